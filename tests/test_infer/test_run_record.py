"""hfan.infer.run_record: settings compared by content, per video."""
import hashlib
import json
import os
import os.path as osp
import shutil
from types import SimpleNamespace

import pytest

from hfan.apis import load_config
from hfan.infer import InferenceError
from hfan.infer.run_record import (
    SETTINGS_FILE,
    check_settings,
    config_sha256,
    file_sha256,
    run_settings,
)


def options(config, checkpoint, **changes):
    values = dict(config=config, checkpoint=checkpoint, cfg_options=None,
                  aug_test=False, fp16=False, flow='dis', raft_weights=None,
                  backend='torch', onnx=None)
    values.update(changes)
    return SimpleNamespace(**values)


def test_file_sha256_is_the_digest_of_the_contents(tiny):
    with open(tiny[1], 'rb') as f:
        assert file_sha256(tiny[1]) == hashlib.sha256(f.read()).hexdigest()


def test_config_digest_follows_what_decides_the_masks(tiny):
    cfg = load_config(tiny[0])
    base = config_sha256(cfg)
    assert config_sha256(load_config(tiny[0])) == base  # deterministic
    # a training setting changes no mask
    assert config_sha256(load_config(
        tiny[0], {'train_dataloader.batch_size': 7})) == base
    # the test mode, the multi-scale pipeline do
    assert config_sha256(load_config(
        tiny[0], {'model.test_cfg.mode': 'whole'})) != base
    assert config_sha256(cfg, aug_test=True) != base


def test_paths_are_for_the_reader_contents_are_compared(tiny, tmp_path):
    """A copy of the checkpoint elsewhere resumes (the same contents);
    another kind of device does not (other weights under the same name:
    tests/bad_input/test_infer_faults.py)."""
    config, checkpoint = tiny
    copy = shutil.copy(checkpoint, tmp_path / 'copy.pth')
    out = str(tmp_path / 'out')
    first = run_settings(options(config, checkpoint), True)
    os.makedirs(out)
    check_settings(out, first, False, inputs={'v': None})
    check_settings(out, run_settings(options(config, str(copy)), True),
                   False, write=False, inputs={'v': None})
    cuda = run_settings(options(config, checkpoint), True,
                        device_type='cuda')
    assert cuda['device_type'] == 'cuda' and 'device_type' not in first
    with pytest.raises(InferenceError, match="device_type: None -> 'cuda'"):
        check_settings(out, cuda, False, write=False, inputs={'v': None})
    record = json.load(open(osp.join(out, SETTINGS_FILE)))
    assert record['checkpoint_sha256'] == file_sha256(checkpoint)
    assert record['inputs']['v']['settings'] in record['settings_of_videos']
