"""Preparation of Long-Videos, FBMS-59 and YouTube-Objects from small
generated trees in their download layouts
(hfan/preparation/sparse_benchmarks.py; prepare_long_videos.py,
prepare_fbms.py, prepare_youtube_objects.py), and their scoring
with ``--protocol annotated`` / ``--class-mean``."""
import importlib
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from hfan.cli.eval_vos import main as main_vos
from hfan.preparation.settings import SETTINGS_FILE
from hfan.preparation.sources import PrepareError
from hfan.preparation.sparse_benchmarks import (
    fbms_videos,
    frame_number,
    per_video_folder_videos,
    read_fbms_gt,
    youtube_objects_release_videos,
)

H, W = 32, 48
FLOW = ['--flow', 'dis', '--dis-preset', 'ultrafast', '--no-progress']


def load_tool(name):
    """The ``main`` of the command ``hfan.cli.<name>``."""
    return importlib.import_module(f'hfan.cli.{name}').main


def frame(t):
    """A textured frame with a square moving right by 2 px per frame."""
    rng = np.random.default_rng(t)
    img = rng.integers(0, 60, (H, W, 3), dtype=np.uint8)
    img[8:20, 4 + 2 * t:16 + 2 * t] = (200, 180, 40)
    return img


def write_jpg(path, img):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img)


def palette_png(path, labels):
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(labels.astype(np.uint8), mode='P')
    im.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * 759)
    im.save(path)


def two_objects(shape=(H, W)):
    """Palette labels: object 1 and object 2 (merged: 40 + 30 pixels)."""
    lab = np.zeros(shape, np.uint8)
    lab[2:7, 2:10] = 1       # 5 x 8 = 40
    lab[20:26, 30:35] = 2    # 6 x 5 = 30
    return lab


def tree_files(root):
    """The data files under ``root`` (the settings record beside them has
    tests of its own: test_resume_settings.py)."""
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob('*')
                  if p.is_file() and p.name != SETTINGS_FILE)


# --------------------------------------------------------------------------
# Long-Videos
# --------------------------------------------------------------------------
@pytest.fixture()
def long_videos(tmp_path):
    root = tmp_path / 'long_video'
    for video in ('blueboy', 'rat'):
        for t in range(6):
            write_jpg(root / 'JPEGImages' / video / f'{t:05d}.jpg', frame(t))
        for t in (0, 5):     # sparse, first and last frame annotated
            palette_png(root / 'Annotations' / video / f'{t:05d}.png',
                        two_objects())
    return root


def test_long_videos_layout_resume_and_scoring(long_videos, tmp_path,
                                               capsys):
    main = load_tool('prepare_long_videos')
    out = tmp_path / 'LV2SEG'
    main([str(long_videos), str(out)] + FLOW)
    files = tree_files(out)
    expected = []
    for video in ('blueboy', 'rat'):
        for t in ('00000', '00005'):
            expected += [f'frame/val/{video}_{t}.jpg',
                         f'flow/val/{video}_{t}.jpg',
                         f'mask/val/{video}_{t}.png',
                         f'gt/{video}/{t}.png']
    assert files == sorted(expected)            # annotated frames only
    gt = cv2.imread(str(out / 'gt' / 'rat' / '00005.png'),
                    cv2.IMREAD_UNCHANGED)
    assert gt.dtype == np.uint8 and set(np.unique(gt)) == {0, 255}
    assert np.array_equal(gt > 0, two_objects() > 0)   # objects merged
    assert np.count_nonzero(gt) == 70
    # the frame is the source JPEG, byte for byte
    assert (out / 'frame' / 'val' / 'rat_00005.jpg').read_bytes() == \
        (long_videos / 'JPEGImages' / 'rat' / '00005.jpg').read_bytes()
    assert '2 videos (0 already complete), 4 annotated frames' in \
        capsys.readouterr().err

    # resumable: a complete run writes nothing, a removed file comes back
    before = {f: os.path.getmtime(out / f) for f in files}
    main([str(long_videos), str(out)] + FLOW)
    assert '2 videos (2 already complete)' in capsys.readouterr().err
    (out / 'gt' / 'blueboy' / '00000.png').unlink()
    (out / 'flow' / 'val' / 'blueboy_00005.jpg').unlink()
    main([str(long_videos), str(out)] + FLOW)
    assert '2 files written' in capsys.readouterr().err
    assert tree_files(out) == files
    assert all(os.path.getmtime(out / f) == before[f] for f in files
               if 'blueboy_00005' not in f and 'blueboy/00000' not in f)

    # scored with the annotated protocol: the GT itself as prediction
    res_path = tmp_path / 'res.json'
    assert main_vos([str(out / 'gt'), str(out / 'gt'), '--protocol',
                     'annotated', '--json', str(res_path), '--workers', '1',
                     '--no-progress']) == 0
    res = json.loads(res_path.read_text())
    assert res['J_mean'] == 1.0 and res['num_frames_evaluated'] == 4


def test_long_videos_errors_name_the_file(long_videos, tmp_path, capsys):
    stray = long_videos / 'Annotations' / 'rat' / '00009.png'
    palette_png(stray, two_objects())
    with pytest.raises(PrepareError, match='annotation without a frame.*'
                       + str(stray)):
        per_video_folder_videos(str(long_videos))
    stray.unlink()
    bad = long_videos / 'Annotations' / 'rat' / '00005.png'
    bad.write_text('not an image')
    main = load_tool('prepare_long_videos')
    assert main([str(long_videos), str(tmp_path / 'out')] + FLOW) == 1
    err = capsys.readouterr().err
    assert err.startswith('prepare_long_videos.py: error: ')
    assert str(bad) in err and 'not an image' in err
    # nothing half-written: no temporary files, and no GT for the bad file
    assert not any('.tmp' in f for f in tree_files(tmp_path / 'out'))
    assert not (tmp_path / 'out' / 'gt' / 'rat' / '00005.png').exists()
    with pytest.raises(PrepareError, match='folder not found'):
        per_video_folder_videos(str(tmp_path / 'nowhere'))
    # an output root under a file: one line naming it, nothing written
    bad.unlink()
    palette_png(bad, two_objects())
    (tmp_path / 'afile').write_text('x')
    assert main([str(long_videos), str(tmp_path / 'afile' / 'out')] +
                FLOW) == 1
    err = capsys.readouterr().err
    assert 'cannot be created' in err and f"{tmp_path / 'afile'} is a file" \
        in err
    assert (tmp_path / 'afile').read_text() == 'x'
    with pytest.raises(PrepareError, match='not found.*zebra'):
        per_video_folder_videos(str(long_videos), videos=['zebra'])


# --------------------------------------------------------------------------
# FBMS-59
# --------------------------------------------------------------------------
def write_pnm(path, img):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path)


@pytest.fixture()
def fbms(tmp_path):
    root = tmp_path / 'FBMS'
    # cars1: frames cars1_01..cars1_08, gray .pgm GT for frames 1 and 4
    cars = root / 'Testset' / 'cars1'
    for t in range(1, 9):
        write_jpg(cars / f'cars1_{t:02d}.jpg', frame(t))
    pgm = np.zeros((H, W), np.uint8)
    pgm[2:7, 2:10] = 80          # object 1: 40 px
    pgm[20:26, 30:35] = 255      # object 2: 30 px
    write_pnm(cars / 'GroundTruth' / '001_gt.pgm', pgm)
    write_pnm(cars / 'GroundTruth' / 'cars1_04_gt.pgm', np.zeros((H, W),
                                                                np.uint8))
    # tennis: frames tennis1.jpg..tennis12.jpg (not zero-padded), colour
    # .ppm GT on a white background, for frames 2 and 10
    tennis = root / 'Testset' / 'tennis'
    for t in range(1, 13):
        write_jpg(tennis / f'tennis{t}.jpg', frame(t % 5))
    ppm = np.full((H, W, 3), 255, np.uint8)
    ppm[2:7, 2:10] = (255, 0, 0)            # 40 px
    ppm[20:26, 30:35] = (0, 0, 255)         # 30 px
    ppm[10:12, 10:13] = (0, 0, 0)           # black: background too
    write_pnm(tennis / 'GroundTruth' / 'tennis_02_gt.ppm', ppm)
    write_pnm(tennis / 'GroundTruth' / 'tennis_10_gt.ppm', ppm)
    write_pnm(tennis / 'GroundTruth' / 'tennis_10_gt_PROB.ppm', ppm)
    return root


def test_frame_numbers():
    assert frame_number('cars1_04_gt') == 4
    assert frame_number('001_gt') == 1
    assert frame_number('tennis12') == 12
    assert frame_number('00007') == 7
    assert frame_number('people') is None


def test_fbms_ppm_white_background_and_merged_objects(fbms):
    ppm = read_fbms_gt(str(fbms / 'Testset' / 'tennis' / 'GroundTruth'
                           / 'tennis_02_gt.ppm'))
    assert np.count_nonzero(ppm) == 70 and set(np.unique(ppm)) == {0, 255}
    assert ppm[0, 0] == 0 and ppm[10, 10] == 0 and ppm[3, 3] == 255
    pgm = read_fbms_gt(str(fbms / 'Testset' / 'cars1' / 'GroundTruth'
                           / '001_gt.pgm'))
    assert np.count_nonzero(pgm) == 70 and pgm[22, 31] == 255


def test_fbms_frames_listed_by_gt_names(fbms, tmp_path, capsys):
    videos = {v.name: v for v in fbms_videos(str(fbms))}
    assert sorted(videos['cars1'].gt) == ['00001', '00004']
    assert sorted(videos['tennis'].gt) == ['00002', '00010']   # no PROB
    # every frame takes part, in numeric order (tennis2 before tennis10)
    names = [os.path.basename(f.image) for f in videos['tennis'].job.frames]
    assert names == [f'tennis{t}.jpg' for t in range(1, 13)]
    main = load_tool('prepare_fbms')
    out = tmp_path / 'FBMS2SEG'
    main([str(fbms), str(out)] + FLOW)
    assert sorted(os.listdir(out / 'frame' / 'val')) == [
        'cars1_00001.jpg', 'cars1_00004.jpg', 'tennis_00002.jpg',
        'tennis_00010.jpg']
    assert (out / 'frame' / 'val' / 'tennis_00010.jpg').read_bytes() == \
        (fbms / 'Testset' / 'tennis' / 'tennis10.jpg').read_bytes()
    gt = cv2.imread(str(out / 'gt' / 'tennis' / '00010.png'), 0)
    assert np.count_nonzero(gt) == 70
    assert np.count_nonzero(cv2.imread(
        str(out / 'gt' / 'cars1' / '00004.png'), 0)) == 0

    # a prediction equal to the GT on cars1 frame 1 and empty elsewhere:
    # cars1 J = (1 + 1) / 2 (frame 4: both empty), tennis J = 0
    pred = tmp_path / 'pred'
    for video in ('cars1', 'tennis'):
        for name in os.listdir(out / 'gt' / video):
            img = cv2.imread(str(out / 'gt' / video / name), 0)
            if video == 'tennis':
                img[:] = 0
            (pred / video).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(pred / video / name), img)
    res_path = tmp_path / 'fbms.json'
    assert main_vos([str(pred), str(out / 'gt'), '--protocol', 'annotated',
                     '--json', str(res_path), '--workers', '1',
                     '--no-progress']) == 0
    res = json.loads(res_path.read_text())
    assert res['sequences']['cars1']['J_mean'] == 1.0
    assert res['sequences']['tennis']['J_mean'] == 0.0
    assert res['J_mean'] == 0.5


def test_fbms_errors_name_the_file(fbms, tmp_path):
    gdir = fbms / 'Testset' / 'cars1' / 'GroundTruth'
    orphan = gdir / '020_gt.pgm'
    write_pnm(orphan, np.zeros((H, W), np.uint8))
    with pytest.raises(PrepareError, match='annotation without a frame.*'
                       + str(orphan)):
        fbms_videos(str(fbms))
    orphan.unlink()
    nameless = gdir / 'gt.pgm'
    write_pnm(nameless, np.zeros((H, W), np.uint8))
    with pytest.raises(PrepareError, match='frame of ' + str(nameless)):
        fbms_videos(str(fbms))
    nameless.unlink()
    broken = gdir / 'cars1_04_gt.pgm'
    broken.write_bytes(b'P5\n48 32\n255\n' + b'\0' * 10)   # truncated
    with pytest.raises(PrepareError, match=str(broken)):
        read_fbms_gt(str(broken))
    (fbms / 'Testset' / 'tennis' / 'GroundTruth' / 'tennis_02_gt.ppm'
     ).unlink()
    (fbms / 'Testset' / 'tennis' / 'GroundTruth' / 'tennis_10_gt.ppm'
     ).unlink()
    (fbms / 'Testset' / 'tennis' / 'GroundTruth' / 'tennis_10_gt_PROB.ppm'
     ).unlink()
    with pytest.raises(PrepareError, match='no .pgm/.ppm annotation in'):
        fbms_videos(str(fbms))


# --------------------------------------------------------------------------
# YouTube-Objects
# --------------------------------------------------------------------------
def test_youtube_objects_gt_kept_at_its_own_size(tmp_path, capsys):
    root = tmp_path / 'YTO'
    for video in ('aeroplane0001', 'aeroplane0002', 'cat0001'):
        for t in range(1, 5):
            write_jpg(root / 'JPEGImages' / video / f'{t:05d}.jpg',
                      frame(t))
        # annotations at half the frame size, frames 1 and 3
        for t in (1, 3):
            lab = np.zeros((H // 2, W // 2), np.uint8)
            lab[2:10, 3:9] = 255       # 8 x 6 = 48 px
            path = root / 'Annotations' / video / f'{t:05d}.png'
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), lab)
    main = load_tool('prepare_youtube_objects')
    out = tmp_path / 'YTO2SEG'
    main([str(root), str(out)] + FLOW)
    err = capsys.readouterr().err
    assert '3 videos in 2 classes: aeroplane 2, cat 1' in err
    gt = cv2.imread(str(out / 'gt' / 'cat0001' / '00003.png'), 0)
    assert gt.shape == (H // 2, W // 2) and np.count_nonzero(gt) == 48
    mask = cv2.imread(str(out / 'mask' / 'val' / 'cat0001_00003.png'), 0)
    assert mask.shape == (H, W) and np.count_nonzero(mask) == 4 * 48

    # predictions at frame size, scored against the half-size GT
    pred = tmp_path / 'pred'
    for video, value in (('aeroplane0001', 1), ('aeroplane0002', 0),
                         ('cat0001', 1)):
        for t in (1, 3):
            img = cv2.imread(str(out / 'mask' / 'val'
                                 / f'{video}_{t:05d}.png'), 0) * value
            (pred / video).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(pred / video / f'{t:05d}.png'), img)
    args = [str(pred), str(out / 'gt'), '--protocol', 'annotated',
            '--workers', '1', '--no-progress', '--class-mean']
    assert main_vos(args) == 2
    assert 'size mismatch' in capsys.readouterr().err
    res_path = tmp_path / 'yto.json'
    assert main_vos(args + ['--resize-pred', 'nearest', '--json',
                            str(res_path)]) == 0
    res = json.loads(res_path.read_text())
    assert res['J_mean'] == pytest.approx(2 / 3)
    assert res['J_class_mean'] == pytest.approx((0.5 + 1) / 2)
    assert res['num_resized'] == 6


def test_youtube_objects_missing_annotation_folder(tmp_path):
    root = tmp_path / 'YTO'
    write_jpg(root / 'JPEGImages' / 'dog0001' / '00001.jpg', frame(1))
    (root / 'Annotations').mkdir()
    with pytest.raises(PrepareError, match='no annotation folder for video '
                       'dog0001'):
        per_video_folder_videos(str(root))


# the release tree: <class>/data/<NNNN>/shots/<NNN>/{images,labels}/
RELEASE_SHOTS = (('aeroplane', '0001', '001'), ('aeroplane', '0003', '002'),
                 ('cat', '0002', '001'))


def jpeg_mask(path, h, w):
    """An 8 x 6 square (48 px) at half the frame size, saved as a JPEG, with
    the kind of noise JPEG leaves: faint values outside, 240 inside."""
    lab = np.zeros((h, w), np.uint8)
    lab[2:10, 3:9] = 255
    lab[0, 0], lab[12, 20], lab[4, 5] = 40, 100, 240
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), lab)


@pytest.fixture()
def yto_release(tmp_path):
    root = tmp_path / 'youtube_masks'
    for cls, vid, shot in RELEASE_SHOTS:
        shot_dir = root / cls / 'data' / vid / 'shots' / shot
        for t in range(1, 5):
            write_jpg(shot_dir / 'images' / f'frame{t:04d}.jpg', frame(t))
        for t in (1, 3):
            jpeg_mask(shot_dir / 'labels' / f'{t:05d}.jpg', H // 2, W // 2)
    return root


def test_youtube_objects_release_tree(yto_release, tmp_path, capsys):
    main = load_tool('prepare_youtube_objects')
    out = tmp_path / 'YTO2SEG'
    main([str(yto_release), str(out)] + FLOW)
    err = capsys.readouterr().err
    assert '3 videos (annotated shots) in 2 classes: aeroplane 2, cat 1' \
        in err
    assert (out / 'classes.txt').read_text().splitlines() == [
        'aeroplane-0001-001 aeroplane', 'aeroplane-0003-002 aeroplane',
        'cat-0002-001 cat']
    # the JPEG mask thresholded at 128: the square, not the noise
    gt = cv2.imread(str(out / 'gt' / 'cat-0002-001' / '00003.png'), 0)
    assert gt.shape == (H // 2, W // 2) and set(np.unique(gt)) == {0, 255}
    assert np.count_nonzero(gt) == 48 and gt[2:10, 3:9].all()
    mask = cv2.imread(str(out / 'mask' / 'val' / 'cat-0002-001_00003.png'),
                      0)
    assert mask.shape == (H, W) and np.count_nonzero(mask) == 4 * 48
    assert sorted(f for f in tree_files(out) if f.startswith('frame')) == [
        f'frame/val/{c}-{v}-{s}_{t:05d}.jpg' for c, v, s in RELEASE_SHOTS
        for t in (1, 3)]

    # one video missed, two found: the class mean needs the class map
    pred = tmp_path / 'pred'
    for (cls, vid, shot), value in zip(RELEASE_SHOTS, (1, 0, 1)):
        video = f'{cls}-{vid}-{shot}'
        for t in (1, 3):
            img = cv2.imread(str(out / 'mask' / 'val'
                                 / f'{video}_{t:05d}.png'), 0) * value
            (pred / video).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(pred / video / f'{t:05d}.png'), img)
    res_path = tmp_path / 'yto.json'
    assert main_vos([str(pred), str(out / 'gt'), '--protocol', 'annotated',
                     '--workers', '1', '--no-progress', '--class-mean',
                     '--classes', str(out / 'classes.txt'),
                     '--resize-pred', 'nearest', '--json',
                     str(res_path)]) == 0
    res = json.loads(res_path.read_text())
    assert res['J_mean'] == pytest.approx(2 / 3)
    assert res['J_class_mean'] == pytest.approx((0.5 + 1) / 2)
    assert sorted(res['classes']) == ['aeroplane', 'cat']


def test_youtube_objects_frames_downloaded_apart(yto_release, tmp_path):
    # frames in their own tree, the mask package without images/
    frames_root = tmp_path / 'v1'
    for cls, vid, shot in RELEASE_SHOTS:
        rel = Path(cls) / 'data' / vid / 'shots' / shot
        (frames_root / rel).parent.mkdir(parents=True, exist_ok=True)
        (yto_release / rel / 'images').rename(frames_root / rel)
    with pytest.raises(PrepareError, match='no frames for video '
                       'aeroplane-0001-001.*--frames-root'):
        youtube_objects_release_videos(str(yto_release))
    videos = youtube_objects_release_videos(
        str(yto_release), frames_root=str(frames_root),
        videos=['cat-0002-001'])
    assert [v.name for v in videos] == ['cat-0002-001']
    assert sorted(videos[0].gt) == ['00001', '00003']
    assert [Path(f.source).name for f in videos[0].job.frames] == [
        f'frame{t:04d}.jpg' for t in range(1, 5)]


def test_youtube_objects_release_errors_name_the_file(yto_release,
                                                      tmp_path, capsys):
    labels = yto_release / 'cat' / 'data' / '0002' / 'shots' / '001' / \
        'labels'
    stray = labels / '00007.jpg'
    jpeg_mask(stray, H // 2, W // 2)
    with pytest.raises(PrepareError, match='annotation without a frame.*'
                       + str(stray)):
        youtube_objects_release_videos(str(yto_release))
    stray.unlink()
    bad = labels / '00003.jpg'
    bad.write_text('not an image')
    main = load_tool('prepare_youtube_objects')
    assert main([str(yto_release), str(tmp_path / 'out')] + FLOW) == 1
    assert str(bad) in capsys.readouterr().err
    assert not (tmp_path / 'out' / 'gt' / 'cat-0002-001' /
                '00003.png').exists()
    # neither layout: the message says what either would hold
    (tmp_path / 'empty').mkdir()
    assert main([str(tmp_path / 'empty'), str(tmp_path / 'out2')] +
                FLOW) == 1
    err = capsys.readouterr().err
    assert 'neither YouTube-Objects layout' in err and 'labels/' in err
    # the folder above the tree: the message names the tree's folder
    outside = tmp_path.parent / f'{tmp_path.name}-out2'  # not under ROOT
    assert main([str(tmp_path), str(outside)] + FLOW) == 1
    assert f'pass {yto_release}' in capsys.readouterr().err
