"""hfan.deploy.gpu_check on a CPU: a row per model and the table.
(tools/gpu_check.sh end to end: tests/test_tools/test_gpu_check.py.)"""
import os.path as osp

import cv2
import pytest
from testkit import synthetic_frame

from hfan.deploy.gpu_check import (
    FRAME_SIZE,
    GPU_CHECK_COLUMNS,
    GPU_CHECK_MODELS,
    check_model,
    device_description,
    format_gpu_table,
    real_inputs,
)
from hfan.utils.defaults import REPO_ROOT

pytestmark = pytest.mark.usefixtures('one_torch_thread')


def test_default_models_are_repository_files():
    for config, checkpoint in GPU_CHECK_MODELS.values():
        assert osp.isfile(config), config
        assert osp.dirname(checkpoint) == osp.join(REPO_ROOT, 'checkpoint')


def test_row_of_a_tiny_model_on_the_cpu(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv('HFAN_ONNX_CACHE', str(tmp_path / 'onnx'))
    for t in range(3):
        cv2.imwrite(str(tmp_path / f'{t:05d}.jpg'), synthetic_frame(t))
    pairs = real_inputs(str(tmp_path), 2)
    assert len(pairs) == 2
    assert pairs[0][0].shape == pairs[0][1].shape == FRAME_SIZE + (3, )
    row = check_model('tiny', *tiny, pairs, 'cpu', repeat=1)
    assert row['model'] == 'tiny'
    assert row['weights'] == osp.basename(tiny[1])
    assert row['fp32'] > 0 and row['fp32 MS'] > 0
    assert 'fp16' not in row and 'fp16=fp32 px' not in row  # CUDA only
    missing = check_model('x', tiny[0], str(tmp_path / 'no.pth'), pairs,
                          'cpu', repeat=1)
    assert missing['weights'] == 'random'
    assert device_description('cpu').startswith('CPU (')


def test_table_formats_figures_and_marks_missing_cells():
    rows = [dict(model='a', weights='w.pth', fp32=12.345, **{
        'fp32 MS': 3.0, 'fp16=fp32 px': '99.900%'})]
    lines = format_gpu_table(rows).splitlines()
    assert lines[0] == '| ' + ' | '.join(GPU_CHECK_COLUMNS) + ' |'
    assert lines[1] == '|' + '---|' * len(GPU_CHECK_COLUMNS)
    assert lines[2] == ('| a | w.pth | 12.3 | n/a | 3.0 | n/a | n/a | '
                        '99.900% |')
