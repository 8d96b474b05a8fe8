"""Copy-paste composite videos (hfan/preparation/composite.py) and the
make_composite_videos.py command."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from hfan.cli import make_composite_videos
from hfan.flow.dis import DISFlow
from hfan.flow.io import read_flow
from hfan.preparation.composite import (
    CompositeConfig,
    Motion,
    compose,
    cut_object,
    list_source_frames,
    render_composite,
)
from hfan.preparation.settings import SETTINGS_FILE
from hfan.preparation.synthetic import encode_jpeg
from hfan.preparation.two_seg import (
    FrameSpec,
    VideoJob,
    WriteOptions,
    process_video,
)

H, W = 96, 128
# the object of every source frame: rows 30..59, cols 40..79 (30 x 40)
OBJ = (slice(30, 60), slice(40, 80))


def texture(seed, h=H, w=W):
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.uniform(0, 255, (h, w, 3)).astype(np.float32),
                           (0, 0), 3.0)
    return cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)


@pytest.fixture
def sources(tmp_path):
    """A 2SEG train split of two 2-frame videos with a boxed object."""
    root = tmp_path / 'SRC'
    for v, video in enumerate(('alpha', 'beta')):
        for t in range(2):
            mask = np.zeros((H, W), np.uint8)
            mask[OBJ] = 255
            for kind, ext, img in (('frame', 'jpg', texture(10 * v + t)),
                                   ('mask', 'png', mask)):
                path = root / kind / 'train' / f'{video}_{t:05d}.{ext}'
                path.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(path), img)
    return root


def still_camera(n, bg_size=(H, W)):
    return dict(cam_centre=np.tile([bg_size[1] / 2, bg_size[0] / 2], (n, 1)),
                cam_zoom=np.ones(n), cam_angle=np.zeros(n))


def test_mask_is_the_pasted_objects_footprint():
    background = texture(1)
    image = texture(2)
    mask = np.zeros((H, W), np.uint8)
    mask[OBJ] = 255
    patch, patch_mask = cut_object(image, mask)  # 2-px margin: 34 x 44
    assert patch.shape[:2] == (34, 44) and patch_mask.sum() == 30 * 40
    # patch centre (21.5, 16.5) placed at screen (60.5, 40.5), then 3 px
    # right and 2 px down per frame: a pure integer translation
    n = 3
    motion = Motion(**still_camera(n),
                    obj_centre=np.array([[60.5 + 3 * t, 40.5 + 2 * t]
                                         for t in range(n)]),
                    obj_scale=np.ones(n), obj_angle=np.zeros(n))
    frames, masks = compose(background, patch, patch_mask, motion, (H, W))
    for t in range(n):
        # the object's top-left patch pixel (2, 2) lands at
        # (2 + 60.5 - 21.5 + 3t, 2 + 40.5 - 16.5 + 2t) = (41 + 3t, 26 + 2t)
        x0, y0 = 41 + 3 * t, 26 + 2 * t
        expected = np.zeros((H, W), np.uint8)
        expected[y0:y0 + 30, x0:x0 + 40] = 255
        np.testing.assert_array_equal(masks[t], expected)
        # inside: the object's own pixels; outside: the (unmoved) background
        np.testing.assert_array_equal(frames[t][y0:y0 + 30, x0:x0 + 40],
                                      image[OBJ])
        np.testing.assert_array_equal(frames[t][expected == 0],
                                      background[expected == 0])


def test_flow_follows_the_planted_object_and_camera(sources, tmp_path):
    videos = list_source_frames(str(sources), 'train')
    assert sorted(videos) == ['alpha', 'beta']
    # the camera pans 3 px right per frame (the background moves 3 px left
    # on screen); the object moves 4 px right and 1 px down on screen
    n = 3
    cam = still_camera(n)
    cam['cam_centre'] = cam['cam_centre'] + np.array([[3.0 * t, 0]
                                                      for t in range(n)])
    motion = Motion(**cam,
                    obj_centre=np.array([[50.0 + 4 * t, 45.0 + t]
                                         for t in range(n)]),
                    obj_scale=np.ones(n), obj_angle=np.zeros(n))
    video = render_composite(7, videos, CompositeConfig(num_frames=n),
                             motion=motion)
    assert len(video.frames) == len(video.masks) == n
    assert all(m.sum() == 30 * 40 * 255 for m in video.masks)
    job = VideoJob('cmp', 'train', [
        FrameSpec(encode_jpeg(f, 95), f'cmp_{t:05d}', m)
        for t, (f, m) in enumerate(zip(video.frames, video.masks))
    ])
    process_video(job, DISFlow(), WriteOptions(str(tmp_path / 'out'), 'npy'))
    for t, sign in ((0, 1), (1, 1), (2, -1)):  # the last flow is backward
        flow = read_flow(tmp_path / f'out/flow_raw/train/cmp_{t:05d}.npy')
        inside = cv2.erode(video.masks[t], np.ones((9, 9))) > 0
        outside = cv2.dilate(video.masks[t], np.ones((9, 9))) == 0
        outside[:8], outside[-8:], outside[:, :8], outside[:, -8:] = (False,
                                                                      ) * 4
        assert np.median(flow[inside], 0) == pytest.approx(
            [4 * sign, sign], abs=0.5)
        assert np.median(flow[outside], 0) == pytest.approx(
            [-3 * sign, 0], abs=0.5)


def test_random_composites_are_reproducible_and_in_frame(sources):
    videos = list_source_frames(str(sources), 'train')
    cfg = CompositeConfig(num_frames=4)
    a = render_composite(3, videos, cfg)
    b = render_composite(3, videos, cfg)
    c = render_composite(4, videos, cfg)
    for x, y in zip(a.frames + a.masks, b.frames + b.masks):
        np.testing.assert_array_equal(x, y)
    assert any(not np.array_equal(x, y) for x, y in zip(a.frames, c.frames))
    for m in a.masks + c.masks:  # an object, mostly on screen
        assert set(np.unique(m)) <= {0, 255}
        assert 0.03 < (m > 0).mean() < 0.9


def run_tool(*args):
    return make_composite_videos.main([str(a) for a in args] +
                                      ['--no-progress'])


def test_tool_writes_resumes_and_names_bad_sources(sources, tmp_path,
                                                   capsys):
    out = tmp_path / 'CMP'
    assert run_tool(sources, out, '--splits', 'train:2', 'val:1',
                    '--frames', '3') == 0
    files = sorted(str(p.relative_to(out)) for p in out.rglob('*')
                   if p.is_file())
    assert files == sorted([SETTINGS_FILE] + [  # + what they were made with
        f'{kind}/{split}/cmp-{split}-{i:04d}_{t:05d}.{ext}'
        for split, n in (('train', 2), ('val', 1)) for i in range(n)
        for t in range(3)
        for kind, ext in (('frame', 'jpg'), ('flow', 'jpg'), ('mask', 'png'))
    ])
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob('*')}
    run_tool(sources, out, '--splits', 'train:2', 'val:1', '--frames', '3')
    assert {p: p.stat().st_mtime_ns for p in out.rglob('*')} == stamps
    # bad sources: a frame without its mask, a missing split
    (sources / 'mask/train/beta_00001.png').unlink()
    capsys.readouterr()
    assert run_tool(sources, tmp_path / 'x', '--splits', 'train:1') == 1
    err = capsys.readouterr().err
    assert err.startswith('make_composite_videos.py: error: missing mask')
    assert str(sources / 'mask/train/beta_00001.png') in err
    assert run_tool(sources, tmp_path / 'x', '--source-split', 'nope') == 1
    assert str(Path(sources) / 'frame' / 'nope') in capsys.readouterr().err
