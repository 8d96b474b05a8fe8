"""Bad inputs to tools/eval_vos.py and tools/eval_vsod.py (issues 12, 14).

Each case asserts the exit status, that the message names the offending
file or value, that there is no traceback, and that no output file (or
temporary file) is left behind.
"""
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from hfan.cli import eval_vos, eval_vsod
from hfan.cli.eval_vos import main as main_vos
from hfan.cli.eval_vsod import main as main_vsod

REPO = Path(__file__).resolve().parents[2]


def write(path, img):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img)


def square(value=255, shape=(24, 32)):
    m = np.zeros(shape, np.uint8)
    m[5:15, 6:20] = value
    return m


@pytest.fixture()
def tree(tmp_path):
    """Two videos, 4 frames each, predictions equal to the GT."""
    for video in ('cows', 'dog'):
        for t in range(4):
            write(tmp_path / 'gt' / video / f'{t:05d}.png', square())
            write(tmp_path / 'pred' / video / f'{t:05d}.png', square())
    (tmp_path / 'out').mkdir()
    return tmp_path


def run(main, tree, *extra, json_name='res.json'):
    """Run an evaluator with ``--json out/<json_name>``; return the exit
    status."""
    args = [str(tree / 'pred'), str(tree / 'gt'), '--no-progress',
            '--workers', '1']
    if json_name:
        args += ['--json', str(tree / 'out' / json_name)]
    return main(args + [str(a) for a in extra])


def assert_nothing_written(tree):
    assert os.listdir(tree / 'out') == []


def test_missing_prediction_for_an_annotated_frame(tree, capsys):
    (tree / 'pred' / 'dog' / '00002.png').unlink()
    assert run(main_vos, tree, '--protocol', 'annotated') == 2
    err = capsys.readouterr().err
    assert str(tree / 'pred' / 'dog' / '00002.png') in err
    assert str(tree / 'gt' / 'dog' / '00002.png') in err
    assert_nothing_written(tree)


def test_gt_file_that_is_not_an_image(tree, capsys):
    bad = tree / 'gt' / 'cows' / '00001.png'
    bad.write_text('this is not a PNG')
    assert run(main_vos, tree, '--protocol', 'annotated') == 2
    err = capsys.readouterr().err
    assert str(bad) in err and 'cannot read image' in err
    assert_nothing_written(tree)


def test_class_map_naming_an_unknown_video(tree, capsys):
    cmap = tree / 'classes.txt'
    cmap.write_text('cows animal\ndog animal\nzebra01 animal\n')
    assert run(main_vos, tree, '--classes', cmap) == 2
    err = capsys.readouterr().err
    assert 'zebra01' in err and 'not among the evaluated' in err
    assert_nothing_written(tree)


def test_class_map_missing_a_video(tree, capsys):
    cmap = tree / 'classes.txt'
    cmap.write_text('cows animal\n')
    assert run(main_vos, tree, '--classes', cmap) == 2
    err = capsys.readouterr().err
    assert 'no class for' in err and 'dog' in err
    assert_nothing_written(tree)


@pytest.mark.parametrize('content, expected', [
    ('cows\n', 'line 1'), ('cows animal\ncows plant\n', 'listed twice'),
    ('# nothing\n', 'lists no video')])
def test_malformed_class_map(tree, capsys, content, expected):
    cmap = tree / 'classes.txt'
    cmap.write_text(content)
    assert run(main_vos, tree, '--classes', cmap) == 2
    err = capsys.readouterr().err
    assert str(cmap) in err and expected in err
    assert_nothing_written(tree)


def test_missing_class_map(tree, capsys):
    assert run(main_vos, tree, '--classes', tree / 'nope.txt') == 2
    assert str(tree / 'nope.txt') in capsys.readouterr().err
    assert_nothing_written(tree)


@pytest.mark.parametrize('value', ['-1', '0', 'nan', 'abc'])
def test_bound_th_must_be_positive(tree, capsys, value):
    with pytest.raises(SystemExit) as exc:
        run(main_vos, tree, '--bound-th', value)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert '--bound-th' in err and value in err
    assert len(err.strip().splitlines()) <= 2       # no usage block
    assert_nothing_written(tree)


@pytest.mark.parametrize('main', [main_vos, main_vsod])
def test_json_path_under_a_file_is_refused_before_evaluating(
        tree, capsys, monkeypatch, main):
    (tree / 'out' / 'afile').write_text('x')

    def no_evaluation(*args, **kwargs):
        raise AssertionError('evaluated before checking the output path')

    monkeypatch.setattr(eval_vos, 'evaluate_davis', no_evaluation)
    monkeypatch.setattr(eval_vsod, 'evaluate_vsod', no_evaluation)
    assert run(main, tree, json_name='afile/res.json') == 2
    err = capsys.readouterr().err
    assert 'afile' in err and 'not a folder' in err
    assert os.listdir(tree / 'out') == ['afile']


def test_csv_path_that_is_a_folder(tree, capsys):
    assert run(main_vos, tree, '--csv', tree / 'out', json_name=None) == 2
    err = capsys.readouterr().err
    assert str(tree / 'out') in err and 'is a folder' in err
    assert_nothing_written(tree)


def test_json_and_csv_both_to_stdout(tree, capsys):
    assert run(main_vos, tree, '--csv', '-', '--json', '-',
               json_name=None) == 2
    out = capsys.readouterr()
    assert out.out == '' and '--json -' in out.err


def test_palette_label_prediction_is_refused(tree, capsys):
    from PIL import Image
    labels = np.zeros((24, 32), np.uint8)
    labels[5:15, 6:12] = 1
    labels[5:15, 12:20] = 2                          # two objects
    bad = tree / 'pred' / 'dog' / '00001.png'
    im = Image.fromarray(labels, mode='P')
    im.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * 759)
    im.save(bad)
    assert run(main_vos, tree) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and 'palette (label) map with 3 labels' in err
    assert_nothing_written(tree)


def test_colour_label_prediction_is_refused(tree, capsys):
    img = np.zeros((24, 32, 3), np.uint8)
    img[5:15, 6:12] = (0, 0, 128)
    img[5:15, 12:20] = (0, 128, 0)
    bad = tree / 'pred' / 'cows' / '00002.png'
    write(bad, img)
    assert run(main_vos, tree) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and 'colour label map' in err
    assert_nothing_written(tree)


def test_non_binary_gt_is_warned_about_naming_the_sequence(tree, capsys):
    gt = square()
    gt[0, 0] = 3                                      # a stray low value
    write(tree / 'gt' / 'dog' / '00001.png', gt)
    gt[0, 0] = 0
    assert run(main_vos, tree, '--protocol', 'all-frames') == 0
    err = capsys.readouterr().err
    assert 'warning: GT is not binary' in err
    assert 'dog (1 frame(s)' in err and 'cows' not in err
    assert (tree / 'out' / 'res.json').exists()


def test_non_binary_gt_warning_in_vsod(tree, capsys):
    gt = square()
    gt[0, 0] = 3
    write(tree / 'gt' / 'cows' / '00001.png', gt)
    assert run(main_vsod, tree, '--protocol', 'all-frames') == 0
    err = capsys.readouterr().err
    assert 'GT is not binary' in err and 'cows (1 frame(s)' in err


def test_vsod_binary_mode_refuses_a_gray_map(tree, capsys):
    prob = square(200)
    prob[prob == 0] = 40
    bad = tree / 'pred' / 'cows' / '00001.png'
    write(bad, prob)
    assert run(main_vsod, tree, '--pred-mode', 'binary') == 2
    err = capsys.readouterr().err
    assert str(bad) in err and 'not a binary mask' in err \
        and '--pred-mode gray' in err
    assert_nothing_written(tree)


def test_vsod_gray_mode_refuses_a_palette_file(tree, capsys):
    from PIL import Image
    bad = tree / 'pred' / 'dog' / '00002.png'
    im = Image.fromarray((square() > 0).astype(np.uint8), mode='P')
    im.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    im.save(bad)
    assert run(main_vsod, tree, '--pred-mode', 'gray') == 2
    err = capsys.readouterr().err
    assert str(bad) in err and 'palette' in err
    assert_nothing_written(tree)


def test_size_mismatch_without_resize_pred(tree, capsys):
    bad = tree / 'pred' / 'dog' / '00001.png'
    write(bad, square(shape=(12, 16)))
    assert run(main_vos, tree) == 2
    err = capsys.readouterr().err
    assert 'size mismatch' in err and str(bad) in err
    assert_nothing_written(tree)


def test_script_stdout_is_only_json(tree):
    """The real entry point (banners of imported libraries included):
    with ``--json -`` stdout parses as JSON, the table is on stderr."""
    import json
    ok = subprocess.run(
        [sys.executable, 'tools/eval_vos.py', str(tree / 'pred'),
         str(tree / 'gt'), '--json', '-', '--workers', '1'],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)['J_mean'] == 1.0
    assert 'J&F' in ok.stderr


def test_error_with_csv_to_stdout_leaves_stdout_empty(tree, capsys):
    (tree / 'pred' / 'cows' / '00001.png').unlink()
    assert run(main_vsod, tree, '--csv', '-', json_name=None) == 2
    out = capsys.readouterr()
    assert out.out == ''
    assert str(tree / 'pred' / 'cows' / '00001.png') in out.err
    assert len(out.err.strip().splitlines()) <= 2


@pytest.mark.parametrize('damage', ['truncated', 'empty'])
def test_damaged_prediction_png_is_named(tree, capsys, damage):
    bad = tree / 'pred' / 'cows' / '00002.png'
    data = bad.read_bytes()
    bad.write_bytes(data[:len(data) // 2] if damage == 'truncated' else b'')
    assert run(main_vos, tree) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and 'cannot read image' in err
    assert_nothing_written(tree)
