"""YouTube-VOS -> 2SEG preparation (hfan/preparation/youtube.py, the
prepare_youtube.py command), on small trees made here."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from hfan.cli import prepare_youtube
from hfan.preparation.settings import SETTINGS_FILE
from hfan.preparation.synthetic import palette_png
from hfan.preparation.two_seg import WriteOptions, process_video
from hfan.preparation.youtube import youtube_jobs

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


def tree(root):
    """The data files under ``root`` with their times (the settings record
    beside them has tests of its own: test_resume_settings.py)."""
    return {
        str(p.relative_to(root)): p.stat().st_mtime_ns
        for p in Path(root).rglob('*')
        if p.is_file() and p.name != SETTINGS_FILE
    }


ANNOTATED = (0, 5, 10)


@pytest.fixture
def youtube(tmp_path):
    root = tmp_path / 'YTVOS'
    for seed, video in enumerate(('0a1b', 'ff00')):
        for i in range(11):  # every frame; annotations every 5th
            write(root / 'train/JPEGImages' / video / f'{i:05d}.jpg',
                  jpeg(i, seed))
        for i in ANNOTATED:
            write(root / 'train/Annotations' / video / f'{i:05d}.png',
                  palette_png(labels(i)))
    return root


class Recorder:
    """Fake estimator: records (from, to) frame indices (top-left block)."""

    def __init__(self):
        self.pairs = []

    def __call__(self, a, b):
        self.pairs.append((round(a[2:6, 2:6].mean() / 20),
                           round(b[2:6, 2:6].mean() / 20)))
        return np.zeros(a.shape[:2] + (2, ), np.float32)


def test_youtube_flow_pairs_use_the_full_frame_sequence(youtube, tmp_path):
    (job, _) = youtube_jobs(str(youtube))
    assert [f.stem for f in job.frames if f.stem] == \
        [f'0a1b_{i:05d}' for i in ANNOTATED]
    rec = Recorder()
    process_video(job, rec, WriteOptions(str(tmp_path / 'out')))
    # to the next JPEG (not the next annotated one); the last backwards
    assert rec.pairs == [(0, 1), (5, 6), (10, 9)]


def test_youtube_command(youtube, tmp_path):
    out = tmp_path / 'YouTube2SEG'
    prepare_youtube.main([str(youtube), str(out), '--no-progress',
                          '--workers', '2'])
    files = tree(out)
    assert set(files) == {
        f'{kind}/train/{v}_{i:05d}.{ext}'
        for v in ('0a1b', 'ff00') for i in ANNOTATED
        for kind, ext in (('frame', 'jpg'), ('flow', 'jpg'), ('mask', 'png'))
    }
    mask = cv2.imread(str(out / 'mask/train/ff00_00005.png'),
                      cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(mask, (labels(5) > 0) * 255)  # merged
    prepare_youtube.main([str(youtube), str(out), '--no-progress'])
    assert tree(out) == files


def test_youtube_errors_name_the_file(youtube, tmp_path, capsys):
    orphan = youtube / 'train/Annotations/ff00/00011.png'
    write(orphan, palette_png(labels(0)))
    assert prepare_youtube.main([str(youtube), str(tmp_path / 'o')]) == 1
    assert str(orphan) in capsys.readouterr().err
    assert prepare_youtube.main([str(tmp_path / 'nowhere'),
                                 str(tmp_path / 'o')]) == 1
    err = capsys.readouterr().err
    assert err.startswith('prepare_youtube.py: error: folder not found: ')
    assert str(tmp_path / 'nowhere' / 'train' / 'JPEGImages') in err
