"""tools/eval_vos.py and tools/eval_vsod.py: layouts, outputs, errors."""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from hfan.cli.eval_vos import main as main_vos
from hfan.cli.eval_vsod import main as main_vsod

REPO = Path(__file__).resolve().parents[2]
KEYS = ('J_mean', 'J_recall', 'J_decay', 'F_mean', 'F_recall', 'F_decay',
        'JF_mean')


VIDEOS = (('blackswan', 5), ('car_roundabout', 4), ('cows', 6))


def _shifts(seed=0):
    """{video: [k]}: the column shift of each frame's prediction."""
    rng = np.random.default_rng(seed)
    return {video: [int(rng.integers(-2, 3)) for _ in range(n)]
            for video, n in VIDEOS}


def _masks(seed=0):
    """{video: [(gt, pred)]}: small moving boxes (10 rows high), predictions
    displaced by :func:`_shifts` columns (never reaching the border)."""
    out = {}
    for video, shifts in _shifts(seed).items():
        frames = []
        for t, k in enumerate(shifts):
            gt = np.zeros((24, 32), np.uint8)
            gt[4 + t:14 + t, 5 + t:20] = 255
            frames.append((gt, np.roll(gt, k, axis=1)))
        out[video] = frames
    return out


def _write(root, masks, which, flat):
    for video, frames in masks.items():
        for t, pair in enumerate(frames):
            img = pair[0 if which == 'gt' else 1]
            path = (root / f'{video}_{t:05d}.png' if flat
                    else root / video / f'{t:05d}.png')
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), img)


@pytest.fixture()
def trees(tmp_path):
    masks = _masks()
    _write(tmp_path / 'gt', masks, 'gt', flat=False)
    _write(tmp_path / 'gt_flat', masks, 'gt', flat=True)
    _write(tmp_path / 'pred', masks, 'pred', flat=False)
    _write(tmp_path / 'pred_flat', masks, 'pred', flat=True)
    return tmp_path


def _run(main, *args):
    return main([str(a) for a in args] + ['--no-progress'])


def test_both_layouts_give_identical_json(trees, capsys):
    outs = []
    for pred, gt, extra in (('pred', 'gt', []),
                            ('pred_flat', 'gt', ['--layout', 'flat']),
                            ('pred_flat', 'gt_flat', []),
                            ('pred', 'gt_flat', ['--gt-layout', 'flat'])):
        out = trees / f'{pred}-{gt}.json'
        assert _run(main_vos, trees / pred, trees / gt, '--json', out,
                    '--workers', '1', *extra) == 0
        outs.append(out.read_text())
    assert all(o == outs[0] for o in outs)
    res = json.loads(outs[0])
    assert set(KEYS) <= set(res)
    assert res['protocol'] == 'davis16'
    assert res['num_frames_evaluated'] == 3 + 2 + 4
    assert sorted(res['sequences']) == ['blackswan', 'car_roundabout', 'cows']
    assert set(KEYS) <= set(res['sequences']['cows'])
    assert all(0 <= res[k] <= 1 for k in KEYS if 'decay' not in k)
    assert res['JF_mean'] == pytest.approx((res['J_mean'] + res['F_mean'])
                                           / 2)
    table = capsys.readouterr().out
    assert 'J&F' in table and 'car_roundabout' in table
    # the dataset row is printed x100 with one decimal
    assert f"{100 * res['JF_mean']:.1f}" in table


def test_protocol_csv_and_workers(trees):
    j1, j2 = trees / 'w1.json', trees / 'w2.json'
    csv_path = trees / 'out' / 'all.csv'
    assert _run(main_vos, trees / 'pred', trees / 'gt', '--protocol',
                'all-frames', '--json', j1, '--workers', '1') == 0
    assert _run(main_vos, trees / 'pred', trees / 'gt', '--protocol',
                'all-frames', '--json', j2, '--workers', '2', '--csv',
                csv_path) == 0
    assert j1.read_text() == j2.read_text()
    res = json.loads(j1.read_text())
    assert res['protocol'] == 'all-frames'
    assert res['num_frames_evaluated'] == 5 + 4 + 6
    rows = list(csv.DictReader(csv_path.open()))
    assert [r['name'] for r in rows] == ['blackswan', 'car_roundabout',
                                         'cows', 'all-frames']
    assert float(rows[-1]['JF_mean']) == pytest.approx(res['JF_mean'])
    # no temporary files left behind by the atomic writes
    assert sorted(os.listdir(trees / 'out')) == ['all.csv']


def test_sequence_selection(trees):
    out = trees / 'sel.json'
    assert _run(main_vos, trees / 'pred', trees / 'gt', '--sequences',
                'cows,blackswan', '--json', out, '--workers', '1') == 0
    assert sorted(json.loads(out.read_text())['sequences']) == [
        'blackswan', 'cows']


def test_missing_prediction_is_named(trees, capsys):
    (trees / 'pred' / 'cows' / '00003.png').unlink()
    assert _run(main_vos, trees / 'pred', trees / 'gt') != 0
    err = capsys.readouterr().err
    assert str(trees / 'pred' / 'cows' / '00003.png') in err
    assert str(trees / 'gt' / 'cows' / '00003.png') in err


def test_missing_prediction_video_is_named_in_flat_layout(trees, capsys):
    for p in (trees / 'pred_flat').glob('cows_*.png'):
        p.unlink()
    assert _run(main_vos, trees / 'pred_flat', trees / 'gt') != 0
    err = capsys.readouterr().err
    assert str(trees / 'pred_flat' / 'cows_00000.png') in err


def test_size_mismatch_is_named(trees, capsys):
    bad = trees / 'pred' / 'blackswan' / '00002.png'
    cv2.imwrite(str(bad), np.zeros((24, 30), np.uint8))
    assert _run(main_vos, trees / 'pred', trees / 'gt', '--workers', '2') != 0
    err = capsys.readouterr().err
    assert 'size mismatch' in err and str(bad) in err
    # a skipped (first) frame is not decoded but its size is still checked
    bad0 = trees / 'pred' / 'cows' / '00000.png'
    cv2.imwrite(str(bad), np.zeros((24, 32), np.uint8))
    cv2.imwrite(str(bad0), np.zeros((20, 32), np.uint8))
    assert _run(main_vsod, trees / 'pred', trees / 'gt') != 0
    assert str(bad0) in capsys.readouterr().err


def test_extra_predictions_are_errors(trees, capsys):
    extra = trees / 'pred' / 'cows' / '00099.png'
    cv2.imwrite(str(extra), np.zeros((24, 32), np.uint8))
    assert _run(main_vos, trees / 'pred', trees / 'gt') != 0
    assert str(extra) in capsys.readouterr().err
    extra.unlink()
    (trees / 'pred' / 'bmx').mkdir()
    cv2.imwrite(str(trees / 'pred' / 'bmx' / '00000.png'),
                np.zeros((24, 32), np.uint8))
    assert _run(main_vos, trees / 'pred', trees / 'gt') != 0
    assert 'bmx' in capsys.readouterr().err


def test_empty_and_unreadable(trees, capsys):
    (trees / 'empty').mkdir()
    assert _run(main_vos, trees / 'empty', trees / 'gt') != 0
    assert 'empty' in capsys.readouterr().err
    assert _run(main_vos, trees / 'nowhere', trees / 'gt') != 0
    assert 'does not exist' in capsys.readouterr().err
    broken = trees / 'pred' / 'cows' / '00002.png'
    broken.write_bytes(b'not a png')
    assert _run(main_vos, trees / 'pred', trees / 'gt') != 0
    assert str(broken) in capsys.readouterr().err


def test_flat_name_without_underscore(trees, capsys):
    cv2.imwrite(str(trees / 'pred_flat' / 'oops.png'),
                np.zeros((24, 32), np.uint8))
    assert _run(main_vos, trees / 'pred_flat', trees / 'gt') != 0
    assert 'oops.png' in capsys.readouterr().err


def test_eval_vsod_json(trees):
    outs = []
    for pred in ('pred', 'pred_flat'):
        out = trees / f'vsod-{pred}.json'
        assert _run(main_vsod, trees / pred, trees / 'gt', '--json', out,
                    '--workers', '1') == 0
        outs.append(out.read_text())
    assert outs[0] == outs[1]
    res = json.loads(outs[0])
    for key in ('S', 'E', 'F', 'MAE', 'meanE', 'meanF', 'adpE', 'adpF'):
        assert key in res and key in res['sequences']['cows']
    assert 0 < res['S'] <= 1
    assert res['num_frames_evaluated'] == 3 + 2 + 4
    # MAE by hand: a 10-row box shifted by k columns differs from its GT in
    # 2 * |k| * 10 of the 24 * 32 pixels; frames 2..N-1 of each sequence,
    # then the uniform mean over sequences
    per_seq = {v: np.mean([20 * abs(k) / (24 * 32) for k in ks[1:-1]])
               for v, ks in _shifts().items()}
    for v, mae in per_seq.items():
        assert res['sequences'][v]['MAE'] == pytest.approx(mae)
    assert res['MAE'] == pytest.approx(np.mean(list(per_seq.values())))


def test_scripts_run_from_the_repo_root(trees):
    """The real entry points, as a user runs them (one success, one error)."""
    out = trees / 'script.json'
    ok = subprocess.run(
        [sys.executable, 'tools/eval_vos.py', str(trees / 'pred'),
         str(trees / 'gt'), '--json', str(out), '--workers', '1'],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert 'J&F' in ok.stdout and out.exists()
    (trees / 'pred' / 'cows' / '00001.png').unlink()
    bad = subprocess.run(
        [sys.executable, 'tools/eval_vsod.py', str(trees / 'pred'),
         str(trees / 'gt')],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0
    assert str(trees / 'pred' / 'cows' / '00001.png') in bad.stderr
