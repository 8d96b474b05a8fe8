"""score_clip: the J / F that tools/demo.py prints, on masks whose J is
known by construction."""
import os

import cv2
import numpy as np
import pytest

from hfan.evaluation import f_measure
from hfan.infer.scoring import score_clip

H, W = 60, 80


def square(x, size=20, y=10):
    mask = np.zeros((H, W), np.uint8)
    mask[y:y + size, x:x + size] = 255
    return mask


def write(folder, masks):
    os.makedirs(folder, exist_ok=True)
    for t, mask in enumerate(masks):
        cv2.imwrite(str(folder / f'{t:05d}.png'), mask)


def test_score_clip_uses_the_davis16_frames(tmp_path):
    gt = [square(10)] * 5
    empty = np.zeros((H, W), np.uint8)
    # first and last frame wrong, but left out by the DAVIS-16 protocol;
    # frame 1 overlaps the GT by half its width: J = 200 / 600
    pred = [empty, square(20), square(10), empty, empty]
    write(tmp_path / 'gt', gt)
    write(tmp_path / 'pred', pred)
    result = score_clip(str(tmp_path / 'pred'), str(tmp_path / 'gt'))
    assert result['num_frames_evaluated'] == 3
    assert result['J_mean'] == pytest.approx((1 / 3 + 1 + 0) / 3)
    f1 = f_measure(pred[1] > 0, gt[1] > 0)
    assert 0 < f1 < 1
    assert result['F_mean'] == pytest.approx((f1 + 1 + 0) / 3)
    assert result['JF_mean'] == pytest.approx(
        (result['J_mean'] + result['F_mean']) / 2)


def test_score_clip_names_what_is_missing(tmp_path):
    write(tmp_path / 'gt', [square(10)] * 3)
    write(tmp_path / 'pred', [square(10)] * 2)
    with pytest.raises(FileNotFoundError) as info:
        score_clip(str(tmp_path / 'pred'), str(tmp_path / 'gt'))
    assert str(tmp_path / 'pred' / '00002.png') in str(info.value)
    assert 'has 3 masks' in str(info.value)
    os.makedirs(tmp_path / 'empty')
    with pytest.raises(FileNotFoundError, match='no ground-truth masks'):
        score_clip(str(tmp_path / 'pred'), str(tmp_path / 'empty'))
