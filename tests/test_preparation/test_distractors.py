"""Composite videos with distractor motion (hfan/preparation/distractors.py)
and the make_distractor_composites.py command."""
import hashlib
import json

import cv2
import numpy as np
import pytest

from hfan.cli import make_distractor_composites
from hfan.preparation.composite import Motion
from hfan.preparation.distractors import (
    Distractor,
    DistractorConfig,
    camera_matrices,
    compose_with_distractors,
    detect_source_layout,
    is_held_out,
    random_distractors,
    remove_object,
    render_distractor_video,
    select_items,
    source_spec,
)
from hfan.preparation.settings import SETTINGS_FILE
from hfan.preparation.sources import PrepareError

H, W = 96, 128
RED, GREEN, BLUE = (0, 0, 255), (0, 255, 0), (255, 0, 0)


def translation(dx, dy):
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]])


def pan_camera(n, pan):
    """A camera moving ``pan`` background px right per frame at zoom 1: the
    scene moves ``pan`` px *left* on screen per frame."""
    return dict(cam_centre=np.array([[W / 2 + pan * t, H / 2]
                                     for t in range(n)]),
                cam_zoom=np.ones(n), cam_angle=np.zeros(n))


def test_planted_mask_is_the_object_only_and_distractors_move_on_their_own():
    n = 3
    background = np.full((H, W, 3), GREEN, np.uint8)
    patch = np.full((20, 16, 3), RED, np.uint8)
    patch_mask = np.ones((20, 16), np.uint8)
    # object: centre (7.5, 9.5) of the patch at screen (40.5, 30.5), still:
    # its top-left at (33, 21)
    motion = Motion(**pan_camera(n, 4.0),
                    obj_centre=np.array([[40.5, 30.5]] * n),
                    obj_scale=np.ones(n), obj_angle=np.zeros(n))
    # window: a 24x32 region fixed in the scene (it moves 4 px left per
    # frame with the camera), a blue texture through it; its top-left at
    # screen (80, 40) in frame 0
    window = Distractor('window', np.ones((24, 32), np.uint8),
                        np.full((64, 64, 3), BLUE, np.uint8),
                        region=[translation(80 - 4 * t, 40)
                                for t in range(n)],
                        content=[translation(60, 20) for t in range(n)])
    # mover: a 10x10 blue blob going 6 px right per frame from (10, 70)
    mover = Distractor('mover', np.ones((10, 10), np.uint8),
                       np.full((10, 10, 3), BLUE, np.uint8),
                       region=[translation(10 + 6 * t, 70) for t in range(n)],
                       content=[translation(10 + 6 * t, 70)
                                for t in range(n)])
    frames, masks, moving = compose_with_distractors(
        background, patch, patch_mask, motion, [window, mover], (H, W))
    for t in range(n):
        red = np.all(frames[t] == RED, axis=2)
        blue = np.all(frames[t] == BLUE, axis=2)
        # the mask is exactly the red pixels: rows 21..40, cols 33..48
        assert np.array_equal(masks[t] > 0, red)
        assert red.sum() == 20 * 16
        assert np.array_equal(np.nonzero(red.any(1))[0], np.arange(21, 41))
        # the distractors are blue, visible, and never in the mask
        assert np.array_equal(moving[t] > 0, blue)
        assert blue.sum() == 24 * 32 + 10 * 10
        assert not np.any((masks[t] > 0) & (moving[t] > 0))
        # window: carried by the camera (4 px left per frame)
        ys, xs = np.nonzero(blue[:, 60:])
        assert xs.min() + 60 == 80 - 4 * t and ys.min() == 40
        # mover: its own path, 6 px right per frame
        ys, xs = np.nonzero(blue[60:, :60])
        assert xs.min() == 10 + 6 * t and ys.min() + 60 == 70


def test_object_hides_a_distractor_it_covers():
    background = np.full((H, W, 3), GREEN, np.uint8)
    patch = np.full((20, 20, 3), RED, np.uint8)
    # the object at rows/cols 40..59
    motion = Motion(**pan_camera(1, 0.0), obj_centre=np.array([[49.5, 49.5]]),
                    obj_scale=np.ones(1), obj_angle=np.zeros(1))
    # a 40x40 distractor under the whole object (rows/cols 30..69)
    blob = Distractor('mover', np.ones((40, 40), np.uint8),
                      np.full((40, 40, 3), BLUE, np.uint8),
                      [translation(30, 30)], [translation(30, 30)])
    frames, masks, moving = compose_with_distractors(
        background, patch, np.ones((20, 20), np.uint8), motion, [blob],
        (H, W))
    assert (masks[0] > 0).sum() == 400
    assert (moving[0] > 0).sum() == 40 * 40 - 400
    assert np.array_equal(masks[0] > 0, np.all(frames[0] == RED, axis=2))


@pytest.mark.parametrize('kind', ['window', 'mover'])
def test_drawn_windows_ride_the_camera_and_movers_their_own_path(kind):
    n, pan = 4, 5.0
    motion = Motion(**pan_camera(n, pan), obj_centre=np.zeros((n, 2)),
                    obj_scale=np.ones(n), obj_angle=np.zeros(n))
    cfg = DistractorConfig(no_distractor_prob=0.0, max_distractors=1,
                           window_prob=1.0 if kind == 'window' else 0.0,
                           max_distractor_speed=0.1)
    texture = np.zeros((50, 70, 3), np.uint8)
    for seed in range(5):
        (d, ) = random_distractors(np.random.default_rng(seed), cfg, (H, W),
                                   camera_matrices(motion, (H, W)), [texture])
        assert d.kind == kind
        centre = np.array([d.shape.shape[1] / 2, d.shape.shape[0] / 2, 1.0])
        where = np.array([m @ centre for m in d.region])
        step = np.diff(where, axis=0)
        if kind == 'window':
            # the scene moves `pan` px left per frame: so does the window,
            # and its texture slides by its own velocity on top of that
            assert np.allclose(step, [[-pan, 0.0]] * (n - 1))
            tex = np.array([m @ [35.0, 25.0, 1.0] for m in d.content])
            own = np.diff(tex, axis=0) - step
            assert np.allclose(own, own[0])
            speed = np.linalg.norm(own[0])
            assert 0.3 * 0.1 * W - 1e-6 <= speed <= 0.1 * W + 1e-6
        else:
            # a constant velocity of its own, not the camera's, and the
            # texture rides with the blob
            assert np.allclose(step, step[0])
            assert not np.allclose(step[0], [-pan, 0.0])
            assert all(np.array_equal(r, c)
                       for r, c in zip(d.region, d.content))


def test_held_out_part_is_a_stable_hash_of_the_name():
    # SHA-1('abc') starts a9993e36: 0xa9993e36 / 2**32 = 0.6625
    assert hashlib.sha1(b'abc').hexdigest().startswith('a9993e36')
    assert is_held_out('abc', 0.7) and not is_held_out('abc', 0.6)
    names = [f'item{i}' for i in range(4000)]
    share = np.mean([is_held_out(n, 0.1) for n in names])
    # binomial(4000, 0.1): sd 0.0047; 5 sd either side
    assert abs(share - 0.1) < 0.024


def test_remove_object_fills_the_planted_object():
    image = np.full((60, 80, 3), 128, np.uint8)
    image[20:40, 30:50] = RED
    mask = np.zeros((60, 80), np.uint8)
    mask[20:40, 30:50] = 255
    filled = remove_object(image, mask)
    assert filled.shape == image.shape
    # nothing red is left; the grey around is kept
    assert np.abs(filled.astype(int) - 128).max() <= 2


def write_cutouts(root, count=12, size=(80, 100)):
    """A cut-out set (prepare_cutouts.py's layout): textured images with a
    red 20x30 object at a per-item place."""
    rng = np.random.default_rng(0)
    (root / 'images').mkdir(parents=True)
    (root / 'masks').mkdir()
    items = []
    for i in range(count):
        image = cv2.GaussianBlur(
            rng.uniform(0, 255, (*size, 3)).astype(np.float32), (0, 0), 2)
        image = (image * 0.5 + 32).astype(np.uint8)  # never pure red
        mask = np.zeros(size, np.uint8)
        y, x = 10 + i * 3 % 40, 10 + i * 5 % 60
        mask[y:y + 20, x:x + 30] = 255
        image[mask > 0] = RED
        item = f'toy_{i:03d}'
        cv2.imwrite(str(root / 'images' / f'{item}.jpg'), image,
                    [cv2.IMWRITE_JPEG_QUALITY, 100])
        cv2.imwrite(str(root / 'masks' / f'{item}.png'), mask)
        items.append(dict(id=item, source='toy', licence='test',
                          size=list(size), foreground=float(mask.mean())))
    (root / 'index.json').write_text(json.dumps(dict(items=items)))
    return root


def test_rendered_video_masks_only_the_pasted_object(tmp_path):
    root = write_cutouts(tmp_path / 'CUT')
    spec = source_spec(str(root))
    assert spec.layout == 'cutouts'
    items = select_items([spec], [spec], holdout=0.3, held_out=False)
    cfg = DistractorConfig(no_distractor_prob=0.0)
    for seed in range(4):
        video = render_distractor_video(seed, items, cfg, size=(64, 96))
        again = render_distractor_video(seed, items, cfg, size=(64, 96))
        assert all(np.array_equal(a, b)
                   for a, b in zip(video.frames, again.frames))
        for frame, mask, moving in zip(video.frames, video.masks,
                                       video.distractor_masks):
            assert frame.shape == (64, 96, 3) and mask.any()
            assert moving.any()  # a distractor is always drawn here
            assert not np.any((mask > 0) & (moving > 0))
        # the background's own red object was inpainted away and the
        # distractor textures come from inpainted images too: red (before
        # the photometric change) is left only where the pasted object is
        # (strongly red: B, G low and R high relative to them)
        f = video.frames[0].astype(int)
        reddish = (f[..., 2] - np.maximum(f[..., 0], f[..., 1])) > 100
        assert reddish[video.masks[0] == 0].mean() < 0.01


def test_held_out_and_training_items_do_not_overlap(tmp_path):
    root = write_cutouts(tmp_path / 'CUT', count=40)
    spec = source_spec(str(root))
    train = select_items([spec], [spec], 0.3, held_out=False)
    held = select_items([spec], [spec], 0.3, held_out=True)
    assert set(train.objects).isdisjoint(held.objects)
    assert len(train.objects) + len(held.objects) == 40
    assert set(held.objects) == {
        f'0:toy_{i:03d}' for i in range(40) if is_held_out(f'toy_{i:03d}', 0.3)
    }


def test_layout_detection_names_what_is_accepted(tmp_path):
    with pytest.raises(PrepareError, match='neither a cut-out set'):
        detect_source_layout(str(tmp_path))
    (tmp_path / 'frame' / 'train').mkdir(parents=True)
    assert detect_source_layout(str(tmp_path)) == '2seg'


def run_tool(*args):
    return make_distractor_composites.main([str(a) for a in args])


def test_tool_writes_resumes_and_refuses_bad_input(tmp_path, capsys):
    cut = write_cutouts(tmp_path / 'CUT', count=20)
    out = tmp_path / 'OUT'
    args = [out, '--objects', cut, '--backgrounds', cut, '--splits',
            'train:2', 'val:1', '--holdout', '0.3', '--frames', '3',
            '--size', '64x96', '--no-progress']
    assert run_tool(*args) == 0
    for kind, ext in (('frame', 'jpg'), ('flow', 'jpg'), ('mask', 'png')):
        names = sorted(p.name for p in (out / kind / 'train').iterdir())
        assert names == [f'dst-train-{v:04d}_{t:05d}.{ext}' for v in range(2)
                         for t in range(3)]
        assert len(list((out / kind / 'val').iterdir())) == 3
    mask = cv2.imread(str(out / 'mask' / 'val' / 'dst-val-0000_00000.png'), 0)
    assert mask.shape == (64, 96) and set(np.unique(mask)) <= {0, 255}
    assert (out / SETTINGS_FILE).is_file()
    last = out / 'frame' / 'train' / 'dst-train-0001_00002.jpg'
    before = last.read_bytes()
    # resumed: nothing to do; another holdout is refused (settings differ)
    assert run_tool(*args) == 0
    err = capsys.readouterr().err
    assert '3 videos, 3 already complete\nwrote 0 files' in err
    assert last.read_bytes() == before
    assert run_tool(*['0.4' if a == '0.3' else a for a in args]) != 0
    assert 'holdout' in capsys.readouterr().err
    # a folder of neither layout is named
    empty = tmp_path / 'EMPTY'
    empty.mkdir()
    assert run_tool(tmp_path / 'O2', '--objects', empty, '--backgrounds',
                    cut) == 1
    assert f'{empty}: neither a cut-out set' in capsys.readouterr().err
    # a fraction outside (0, 1) is a usage error
    with pytest.raises(SystemExit) as e:
        run_tool(tmp_path / 'O3', '--objects', cut, '--backgrounds', cut,
                 '--holdout', '1.5')
    assert e.value.code == 2
    assert 'between 0 and 1' in capsys.readouterr().err
