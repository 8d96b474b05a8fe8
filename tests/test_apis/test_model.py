"""hfan.apis.model: the one build_model of inference, the converter, the
parameter count and the memory benchmark."""
import os.path as osp

import pytest
import torch
from testkit import ROOT

from hfan.apis import build_model, load_config
from hfan.apis.model import count_model
from hfan.models.checkpoint import CheckpointMismatchError

TINY = osp.join(ROOT, 'tests', 'configs', 'hfan_tiny.py')


def test_from_a_file_or_a_config_the_same_model():
    torch.manual_seed(0)
    from_file = build_model(TINY)
    torch.manual_seed(0)
    cfg = load_config(TINY)
    from_cfg = build_model(cfg)
    assert from_cfg.cfg is cfg and not from_cfg.training
    a, b = from_file.state_dict(), from_cfg.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    # the config is not changed by building (pretrained is dropped on a copy)
    assert cfg.model == load_config(TINY).model


def test_one_process_model_has_no_sync_bn():
    cfg = load_config(TINY)
    assert 'SyncBN' in str(cfg.model)  # the training config's norm
    model = build_model(cfg)
    assert not any(isinstance(m, torch.nn.SyncBatchNorm)
                   for m in model.modules())


def test_cfg_options_of_a_file_only():
    model = build_model(
        TINY, cfg_options={'model.decode_head.select_method': 'im'})
    assert model.decode_head.select_method == 'im'
    assert model.cfg.model.decode_head.select_method == 'im'
    with pytest.raises(ValueError, match='cfg_options'):
        build_model(load_config(TINY), cfg_options={'a': 1})


def test_checkpoint_loaded_strictly(tiny, tmp_path):
    config, checkpoint = tiny
    saved = torch.load(checkpoint, map_location='cpu',
                       weights_only=True)['state_dict']
    model = build_model(config, checkpoint, device='cpu')
    state = model.state_dict()
    assert state.keys() == saved.keys()
    assert all(torch.equal(state[k], saved[k]) for k in saved)
    assert next(model.parameters()).device == torch.device('cpu')
    with pytest.raises(CheckpointMismatchError, match='missing'):
        build_model(config, checkpoint, cfg_options={
            'model.decode_head.select_method': 'fat'})


def test_count_model_by_component():
    counts = count_model(load_config(TINY))
    model = build_model(TINY)
    assert counts['total'] == sum(p.numel() for p in model.parameters())
    assert counts['total'] == counts['backbone'] + counts['head']
    head = model.decode_head
    own = sum(p.numel() for name, p in head.named_parameters()
              if not name.startswith(('fusions.', 'projections.',
                                      'fusion_conv.', 'conv_seg.')))
    assert counts['head'] == (sum(counts['fusions']) + counts['projections']
                              + counts['fusion_conv'] + counts['classifier']
                              + own)
    assert len(counts['fusions']) == 4 and all(counts['fusions'])
    im = count_model(load_config(
        TINY, {'model.decode_head.select_method': 'im'}))
    assert im['fusions'] == [0, 0, 0, 0]
    assert im['total'] == counts['total'] - sum(counts['fusions'])
