"""DAVIS -> 2SEG preparation (hfan/preparation/davis.py, the
prepare_davis.py command), on small trees made here."""
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from testkit import ROOT

from hfan.cli import prepare_davis
from hfan.flow.io import read_flow
from hfan.preparation.settings import SETTINGS_FILE
from hfan.preparation.synthetic import palette_png

H, W = 40, 56


def jpeg(i, seed=0):
    """A textured frame, shifted by one pixel per index, as JPEG bytes."""
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(
        rng.uniform(0, 255, (H, W, 3)).astype(np.float32), (0, 0), 1.2)
    img = np.roll(base, i, axis=1).clip(0, 255).astype(np.uint8)
    img[:8, :8] = 20 * i  # one JPEG block telling frames apart (Recorder)
    return cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, 100])[1]


def labels(i):
    """An object-id map with three objects (ids 1, 2 and 5)."""
    lab = np.zeros((H, W), np.uint8)
    lab[5:15, 5 + i:20 + i] = 1
    lab[20:30, 30:40] = 2
    lab[32:36, 2:6] = 5
    return lab


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(data))


VIDEOS = {'train': {'bear': 4, 'car': 3}, 'val': {'dog': 2}}


@pytest.fixture
def davis(tmp_path):
    root = tmp_path / 'DAVIS'
    for split, videos in VIDEOS.items():
        write(root / 'ImageSets/2016' / f'{split}.txt',
              ''.join(f'{v}\n' for v in videos).encode())
        for seed, (video, n) in enumerate(videos.items()):
            for i in range(n):
                write(root / 'JPEGImages/480p' / video / f'{i:05d}.jpg',
                      jpeg(i, seed))
                write(root / 'Annotations/480p' / video / f'{i:05d}.png',
                      palette_png(labels(i)))
    return root


def run_davis(*args):
    return prepare_davis.main([str(a) for a in args] + ['--no-progress'])


def error_of(capsys):
    """The one line ``prepare_davis.py: error: ...`` the command printed."""
    err = capsys.readouterr().err.strip()
    assert err.startswith('prepare_davis.py: error: '), err
    assert 'Traceback' not in err and len(err.splitlines()) == 1, err
    return err


def tree(root):
    """The data files under ``root`` with their times (the settings record
    beside them has tests of its own: test_resume_settings.py)."""
    return {
        str(p.relative_to(root)): p.stat().st_mtime_ns
        for p in Path(root).rglob('*')
        if p.is_file() and p.name != SETTINGS_FILE
    }


def expected_davis_files(raw=None):
    out = set()
    for split, videos in VIDEOS.items():
        for video, n in videos.items():
            for i in range(n):
                stem = f'{video}_{i:05d}'
                out |= {f'frame/{split}/{stem}.jpg',
                        f'flow/{split}/{stem}.jpg',
                        f'mask/{split}/{stem}.png'}
                if raw:
                    out.add(f'flow_raw/{split}/{stem}.{raw}')
    return out


def test_davis_outputs(davis, tmp_path):
    out = tmp_path / 'DAVIS2SEG'
    run_davis(davis, out, '--save-raw-flow', 'flo')
    assert set(tree(out)) == expected_davis_files('flo')
    for split, videos in VIDEOS.items():
        for video, n in videos.items():
            for i in range(n):
                stem = f'{video}_{i:05d}'
                src = davis / 'JPEGImages/480p' / video / f'{i:05d}.jpg'
                assert (out / 'frame' / split / f'{stem}.jpg').read_bytes() \
                    == src.read_bytes()  # copied, not re-encoded
                mask = cv2.imread(str(out / 'mask' / split / f'{stem}.png'),
                                  cv2.IMREAD_UNCHANGED)
                assert mask.shape == (H, W) and mask.dtype == np.uint8
                np.testing.assert_array_equal(mask, (labels(i) > 0) * 255)
                flow = cv2.imread(str(out / 'flow' / split / f'{stem}.jpg'))
                assert flow.shape == (H, W, 3)
    # bear moves 1 px right per frame: forward +1, the last frame backward
    for i, sign in ((0, 1), (1, 1), (2, 1), (3, -1)):
        flow = read_flow(out / f'flow_raw/train/bear_{i:05d}.flo')
        assert flow.shape == (H, W, 2)
        assert np.median(flow[8:-8, 8:-8, 0]) == pytest.approx(sign, abs=.2)


def davis2016_layout(root):
    """Turn the DAVIS-2017-layout tree ``root`` into the DAVIS-2016
    release layout: ``ImageSets/480p/<split>.txt`` pair lists instead of
    ``ImageSets/2016`` video lists (frames listed in reverse order, which
    the reader must sort)."""
    for split, videos in VIDEOS.items():
        lines = [f'/JPEGImages/480p/{v}/{i:05d}.jpg '
                 f'/Annotations/480p/{v}/{i:05d}.png \n'
                 for v, n in videos.items() for i in range(n)]
        write(root / 'ImageSets/480p' / f'{split}.txt',
              ''.join(reversed(lines)).encode())
        os.remove(root / 'ImageSets/2016' / f'{split}.txt')
    (root / 'ImageSets/2016').rmdir()
    return root


def test_davis2016_release_layout_gives_the_same_2seg(davis, tmp_path):
    out17 = tmp_path / 'from2017'
    run_davis(davis, out17)
    out16 = tmp_path / 'from2016'
    run_davis(davis2016_layout(davis), out16)
    files = set(tree(out17))
    assert files == set(tree(out16)) == expected_davis_files()
    for f in files:
        assert (out16 / f).read_bytes() == (out17 / f).read_bytes(), f


@pytest.mark.parametrize('breakage, named', [
    ('no lists', 'ImageSets/480p'),
    ('missing frame', 'JPEGImages/480p/car/00001.jpg'),
    ('missing annotation', 'Annotations/480p/bear/00002.png'),
    ('bad line', 'ImageSets/480p/val.txt'),
    ('size', 'Annotations/480p/bear/00003.png'),
])
def test_davis2016_bad_input_names_the_file(davis, tmp_path, breakage,
                                            named, capsys):
    root = davis2016_layout(davis)
    if breakage == 'no lists':
        for p in (root / named).iterdir():
            p.unlink()
        (root / named).rmdir()
    elif breakage == 'bad line':
        write(root / named, b'/JPEGImages/480p/dog/00000.jpg\n')
    elif breakage == 'size':  # a mask that does not fit its frame
        write(root / named, palette_png(np.zeros((H - 4, W), np.uint8)))
    else:
        os.remove(root / named)
    assert run_davis(root, tmp_path / 'out') == 1
    err = error_of(capsys)
    assert str(root / named) in err
    if breakage == 'no lists':  # says what either layout needs
        assert 'ImageSets/2016' in err
    assert not [f for f in tree(tmp_path) if '.hfantmp' in f]


def test_rerun_skips_and_resumes_only_missing_files(davis, tmp_path):
    out = tmp_path / 'DAVIS2SEG'
    run_davis(davis, out)
    before = tree(out)
    run_davis(davis, out)
    assert tree(out) == before  # nothing rewritten
    flow_bytes = (out / 'flow/train/car_00001.jpg').read_bytes()
    for name in ('flow/train/car_00001.jpg', 'mask/val/dog_00000.png'):
        os.remove(out / name)
    run_davis(davis, out)
    after = tree(out)
    assert set(after) == set(before)
    changed = {k for k in before if after[k] != before[k]}
    assert changed == {'flow/train/car_00001.jpg', 'mask/val/dog_00000.png'}
    assert (out / 'flow/train/car_00001.jpg').read_bytes() == flow_bytes


def test_interrupted_run_leaves_no_partial_file(davis, tmp_path,
                                                monkeypatch):
    out = tmp_path / 'DAVIS2SEG'
    real_replace, calls = os.replace, []

    def replace_then_die(src, dst):
        calls.append(dst)
        if len(calls) == 7:  # a file half written, then Ctrl-C
            with open(src, 'r+b') as f:
                f.truncate(10)
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, 'replace', replace_then_die)
    assert run_davis(davis, out) == 130  # reported as interrupted
    monkeypatch.setattr(os, 'replace', real_replace)

    files = tree(out)
    assert len(files) == 5  # the 7th rename: the settings record, 5 files
    assert not [f for f in files if '.hfantmp' in f]
    for f in files:  # every file there is complete
        if f.endswith('.png'):
            assert cv2.imread(str(out / f), cv2.IMREAD_UNCHANGED).shape == \
                (H, W)
        elif f.startswith('frame'):
            assert (out / f).read_bytes() == (
                davis / 'JPEGImages/480p' / f.split('/')[-1].split('_')[0] /
                f.split('_')[-1]).read_bytes()
        else:
            assert cv2.imread(str(out / f)).shape == (H, W, 3)
    run_davis(davis, out)  # resumes
    clean = tmp_path / 'clean'
    run_davis(davis, clean)
    assert set(tree(out)) == set(tree(clean)) == expected_davis_files()
    for f in tree(clean):
        assert (out / f).read_bytes() == (clean / f).read_bytes(), f


@pytest.mark.parametrize('breakage, named', [
    ('list', 'ImageSets/2016/val.txt'),
    ('empty', 'ImageSets/2016/val.txt'),
    ('video', 'JPEGImages/480p/dog'),
    ('annotation', 'Annotations/480p/car/00002.png'),
    ('image', 'JPEGImages/480p/bear/00002.jpg'),
    ('mask', 'Annotations/480p/bear/00001.png'),
    ('size', 'Annotations/480p/bear/00003.png'),
])
def test_bad_input_errors_name_the_file(davis, tmp_path, breakage, named,
                                       capsys):
    if breakage == 'list':
        os.remove(davis / named)
    elif breakage == 'empty':
        (davis / named).write_text('\n')
    elif breakage == 'video':
        for p in (davis / named).iterdir():
            p.unlink()
        (davis / named).rmdir()
    elif breakage == 'annotation':
        os.remove(davis / named)
    elif breakage in ('image', 'mask'):
        (davis / named).write_bytes(b'not an image')
    else:
        write(davis / named, palette_png(np.zeros((H, W + 2), np.uint8)))
    assert run_davis(davis, tmp_path / 'out') == 1
    assert str(davis / named) in error_of(capsys)
    assert not [f for f in tree(tmp_path) if '.hfantmp' in f]


def test_tools_run_from_the_repo_root_and_have_help(capsys):
    # in subprocesses: the tools find the package from a checkout
    tools = {'prepare_davis.py': '--raft-weights',
             'benchmark_flow.py': '--runs'}
    procs = [
        subprocess.Popen([sys.executable, f'tools/{t}', '--help'], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True) for t in tools
    ]
    for (tool, flag), proc in zip(tools.items(), procs):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, (tool, err)
        assert 'usage:' in out and flag in out, tool  # (mmseg prints first)
    from hfan.cli import make_synthetic_videos, prepare_youtube
    for command in (prepare_youtube, make_synthetic_videos):
        with pytest.raises(SystemExit) as e:
            command.build_parser().parse_args(['--help'])
        assert e.value.code == 0
        assert 'usage:' in capsys.readouterr().out
