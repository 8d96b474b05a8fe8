"""The demo clip (hfan/preparation/demo_clip.py, make_demo_clip.py):
frames and masks downscaled, masks thresholded at half."""
import cv2
import numpy as np
import pytest

from hfan.cli import make_demo_clip as command
from hfan.preparation.demo_clip import make_demo_clip
from hfan.preparation.sources import PrepareError
from hfan.preparation.synthetic import palette_png


@pytest.fixture
def davis(tmp_path):
    root = tmp_path / 'DAVIS'
    img_dir = root / 'JPEGImages/480p/bear'
    ann_dir = root / 'Annotations/480p/bear'
    img_dir.mkdir(parents=True)
    ann_dir.mkdir(parents=True)
    for t in range(3):
        img = np.full((40, 60, 3), 60 * t, np.uint8)
        cv2.imwrite(str(img_dir / f'{t:05d}.jpg'), img)
        labels = np.zeros((40, 60), np.uint8)
        labels[10:30, 20:40] = 2  # 20 x 20, on even pixels
        (ann_dir / f'{t:05d}.png').write_bytes(palette_png(labels))
    return root


def test_frames_and_masks_at_half_size(davis, tmp_path):
    out = tmp_path / 'demo'
    assert make_demo_clip(str(davis), 'bear', str(out), (20, 30), 2) == 2
    assert sorted(p.name for p in (out / 'frames/bear').iterdir()) == [
        '00000.jpg', '00001.jpg']
    frame = cv2.imread(str(out / 'frames/bear/00001.jpg'))
    assert frame.shape == (20, 30, 3) and abs(int(frame.mean()) - 60) <= 2
    mask = cv2.imread(str(out / 'masks/bear/00000.png'),
                      cv2.IMREAD_UNCHANGED)
    expected = np.zeros((20, 30), np.uint8)
    expected[5:15, 10:20] = 255
    np.testing.assert_array_equal(mask, expected)


def test_missing_video_names_the_folder(davis, tmp_path, capsys):
    with pytest.raises(PrepareError, match='JPEGImages/480p/cat'):
        make_demo_clip(str(davis), 'cat', str(tmp_path / 'o'))
    assert command.main([str(davis), 'cat', '--out',
                         str(tmp_path / 'o')]) == 1
    err = capsys.readouterr().err
    assert err.startswith('make_demo_clip.py: error: folder not found: ')
    with pytest.raises(SystemExit) as e:
        command.main([str(davis), 'bear', '--size', '3y4'])
    assert e.value.code == 2
    assert "--size: expected HxW, got '3y4'" in capsys.readouterr().err
