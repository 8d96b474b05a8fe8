"""Code planted in a checkpoint never runs without ``--trust-checkpoint``
(issue 30), on every path outside training that reads one: infer.py,
tools/test.py, tools/convert_checkpoint.py, tools/export_onnx.py, the
Python API, the app and the RAFT weights of the flow estimator. (The
training paths: tests/bad_input/test_train_faults.py.)

The payload unpickles as ``Path(marker).touch()``: if any loader fully
unpickled the file, the marker would exist. Each path must refuse the file
with a message naming it, and write nothing.
"""
import os
import pathlib

import pytest
import torch
from testkit import load_tool, run_infer

from hfan.apis import VideoSegmenter
from hfan.app.handlers import AppError, ModelCache
from hfan.flow.raft import RAFTFlow

pytestmark = pytest.mark.usefixtures('one_torch_thread')


class Payload:
    """Unpickles as ``Path(marker).touch()``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return pathlib.Path.touch, (pathlib.Path(self.marker), )


@pytest.fixture
def planted(tiny, tmp_path):
    """(config, checkpoint with a payload in its meta, marker path): the
    tiny model's real weights, so only the payload makes it untrusted."""
    config, checkpoint = tiny
    state = torch.load(checkpoint, map_location='cpu', weights_only=True)
    if 'state_dict' not in state:
        state = dict(state_dict=state)
    marker = tmp_path / 'payload-ran'
    state['meta'] = dict(note=Payload(marker))
    path = tmp_path / 'planted.pth'
    torch.save(state, str(path))
    return config, str(path), marker


def listing(folder):
    return sorted(os.listdir(folder))


def test_commands_refuse_the_planted_checkpoint(planted, vos_root, tmp_path,
                                                capsys):
    config, checkpoint, marker = planted
    before = listing(tmp_path)
    commands = [
        lambda: run_infer((config, checkpoint), vos_root, tmp_path / 'out'),
        lambda: load_tool('test').main(
            [config, checkpoint, '--work-dir', str(tmp_path / 'work'),
             '--cfg-options', f'davis_root={vos_root}']),
        lambda: load_tool('convert_checkpoint').main(
            [checkpoint, str(tmp_path / 'converted.pth')]),
        lambda: load_tool('export_onnx').main(
            [config, checkpoint, str(tmp_path / 'model.onnx')]),
    ]
    for command in commands:
        assert command() != 0
        err = capsys.readouterr().err
        assert 'planted.pth' in err and '--trust-checkpoint' in err, err
        assert 'Traceback' not in err
        assert not marker.exists()
    # nothing written beside the inputs (the refusals come before any work)
    assert listing(tmp_path) == before


def test_api_app_and_raft_refuse_the_planted_checkpoint(planted):
    config, checkpoint, marker = planted
    with pytest.raises(Exception, match='planted.pth') as refused:
        VideoSegmenter(config, checkpoint, device='cpu')
    assert '--trust-checkpoint' in str(refused.value) or \
        'trust=True' in str(refused.value)
    models = ModelCache(device='cpu')
    with models.lock, pytest.raises(AppError, match='planted.pth'):
        models.get(config, checkpoint)
    with pytest.raises(Exception, match='planted.pth'):
        RAFTFlow(weights=checkpoint, device='cpu')
    assert not marker.exists()


def test_mmengine_local_loader_refuses_the_planted_file(tmp_path):
    # MMSeg's own backbones (ResNet / Swin of the r101 / swin-t configs)
    # read their ImageNet file through mmengine's CheckpointLoader, which
    # falls back to a full unpickling; importing hfan replaces that loader
    from mmseg.registry import MODELS

    import hfan  # noqa: F401  (registers the weights-only local loader)
    marker = tmp_path / 'payload-ran'
    resnet = dict(type='ResNetV1c', depth=18, num_stages=4,
                  out_indices=(0, 1, 2, 3))
    weights = MODELS.build(resnet).state_dict()
    planted = tmp_path / 'resnet18_imagenet.pth'
    torch.save(dict(state_dict=weights, meta=dict(note=Payload(marker))),
               str(planted))
    model = MODELS.build(dict(
        resnet, init_cfg=dict(type='Pretrained', checkpoint=str(planted))))
    with pytest.raises(Exception, match='resnet18_imagenet.pth') as refused:
        model.init_weights()
    assert 'trust' in str(refused.value)
    assert not marker.exists()
    # the same file without the payload still initialises the backbone
    clean = tmp_path / 'clean.pth'
    torch.save(dict(state_dict=weights), str(clean))
    model = MODELS.build(dict(
        resnet, init_cfg=dict(type='Pretrained', checkpoint=str(clean))))
    model.init_weights()
    for name, value in model.state_dict().items():
        assert torch.equal(value, weights[name]), name
