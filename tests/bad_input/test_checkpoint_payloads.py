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
