"""The auxiliary head on the frame stream (hfan/models/frame_stream_head.py)
and loading checkpoints with and without it."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from hfan.cli import convert_checkpoint
from hfan.models.checkpoint.loading import (
    CheckpointMismatchError,
    load_hfan_checkpoint,
)
from tests.testkit.models import (
    MIT_B0_CHANNELS,
    make_batch,
    tiny_model_cfg,
    write_tiny_config,
)


def aux_head_cfg(in_index=2):
    return dict(type='FrameStreamHead', in_channels=MIT_B0_CHANNELS[in_index],
                in_index=in_index, channels=16, num_convs=1,
                concat_input=False, num_classes=2,
                norm_cfg=dict(type='BN', requires_grad=True),
                loss_decode=dict(type='CrossEntropyLoss', loss_weight=0.4))


def build(aux=False, seed=0):
    init_default_scope('mmseg')
    cfg = tiny_model_cfg()
    if aux:
        cfg.auxiliary_head = aux_head_cfg()
    torch.manual_seed(seed)
    return MODELS.build(cfg)


def test_head_reads_the_frame_half_only():
    init_default_scope('mmseg')
    torch.manual_seed(0)
    head = MODELS.build(aux_head_cfg()).eval()
    frames = torch.randn(2, 160, 8, 8)
    levels = [torch.randn(4, c, 8, 8) for c in MIT_B0_CHANNELS]
    levels[2] = torch.cat([frames, torch.randn(2, 160, 8, 8)])
    out = head(levels)
    assert out.shape == (2, 2, 8, 8)  # B frames, not 2B samples
    # other flows: the same logits; other frames: other logits
    levels[2] = torch.cat([frames, torch.randn(2, 160, 8, 8)])
    assert torch.equal(head(levels), out)
    levels[2] = torch.cat([frames + 1, levels[2][2:]])
    assert not torch.allclose(head(levels), out)


def test_head_refuses_a_multi_level_input_transform():
    init_default_scope('mmseg')
    cfg = dict(aux_head_cfg(), input_transform='resize_concat',
               in_index=[0, 1], in_channels=[32, 64])
    with pytest.raises(ValueError, match='input_transform must be None'):
        MODELS.build(cfg)


def test_training_adds_the_auxiliary_loss_and_test_time_ignores_the_head():
    model = build(aux=True)
    data = model.data_preprocessor(make_batch(), training=True)
    losses = model(**data, mode='loss')
    assert {'decode.loss_ce', 'aux.loss_ce'} <= set(losses)
    # the head gets gradients from its loss
    losses['aux.loss_ce'].backward()
    assert model.auxiliary_head.conv_seg.weight.grad.abs().sum() > 0
    # at test time the logits are those of the same model without the head
    plain = build(aux=False)
    plain.load_state_dict({k: v for k, v in model.state_dict().items()
                           if not k.startswith('auxiliary_head.')})
    model.eval(), plain.eval()
    data = model.data_preprocessor(make_batch(seed=1), training=False)
    with torch.no_grad():
        a = model(data['inputs'], data['data_samples'], mode='tensor')
        b = plain(data['inputs'], data['data_samples'], mode='tensor')
    assert torch.equal(a, b)


def test_checkpoints_load_across_the_training_only_head():
    with_aux, without = build(aux=True, seed=1), build(aux=False, seed=2)
    # a checkpoint without the head into a model with one: the rest loads,
    # the head keeps its initialisation
    head_before = {k: v.clone() for k, v in with_aux.state_dict().items()
                   if k.startswith('auxiliary_head.')}
    load_hfan_checkpoint(with_aux, {'state_dict': without.state_dict()})
    state = with_aux.state_dict()
    for k, v in without.state_dict().items():
        assert torch.equal(state[k], v), k
    for k, v in head_before.items():
        assert torch.equal(state[k], v), k
    # a checkpoint with the head into a model without one: the head is
    # left out, the rest loads
    other = build(aux=True, seed=3)
    load_hfan_checkpoint(without, {'state_dict': other.state_dict()})
    for k, v in without.state_dict().items():
        assert torch.equal(v, other.state_dict()[k]), k
    # any other missing key is still an error
    partial = {k: v for k, v in without.state_dict().items()
               if not k.startswith('decode_head.conv_seg')}
    with pytest.raises(CheckpointMismatchError, match='conv_seg'):
        load_hfan_checkpoint(with_aux, {'state_dict': partial})


def test_convert_checkpoint_leaves_the_training_only_head_out(tmp_path,
                                                             capsys):
    config = write_tiny_config(tmp_path / 'tiny.py')
    # a training checkpoint of the same model with the head, as
    # hfan_demo_objectness_aux.py writes
    init_default_scope('mmseg')
    cfg = tiny_model_cfg(channels=32)
    cfg.auxiliary_head = aux_head_cfg()
    torch.manual_seed(4)
    trained = MODELS.build(cfg)
    src, dst = tmp_path / 'iter_8.pth', tmp_path / 'deploy.pth'
    torch.save({'state_dict': trained.state_dict(), 'meta': {}}, src)
    assert convert_checkpoint.main([str(src), str(dst), '--config',
                                    config]) == 0
    out = capsys.readouterr().out
    assert 'left out the training-only auxiliary_head (8 tensors)' in out
    saved = torch.load(dst, weights_only=True)['state_dict']
    assert not any(k.startswith('auxiliary_head.') for k in saved)
    kept = {k: v for k, v in trained.state_dict().items()
            if not k.startswith('auxiliary_head.')}
    assert saved.keys() == kept.keys()
    assert all(torch.equal(saved[k], v) for k, v in kept.items())
