"""VOS dataset, frame+flow loading and paired augmentation."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, MODELS, TRANSFORMS
from testkit import ROOT, write_vos_split

import hfan  # noqa: F401
from hfan.apis import load_config

init_default_scope('mmseg')
TEST_PIPELINE = [
    dict(type='LoadFrameAndFlow'),
    dict(type='LoadBinaryAnnotations'),
    dict(type='PackSegInputs'),
]


def build(root, split='train', pipeline=TEST_PIPELINE, **kwargs):
    return DATASETS.build(
        dict(
            type='VOSDataset',
            data_root=root,
            data_prefix=dict(
                img_path=f'frame/{split}',
                flow_path=f'flow/{split}',
                seg_map_path=f'mask/{split}'),
            pipeline=pipeline,
            **kwargs))


def test_dataset_pairs_files_by_name(vos_root):
    dataset = build(vos_root)
    assert len(dataset) == 8  # 2 videos x 4 frames
    info = dataset.get_data_info(5)
    assert osp.basename(info['img_path']) == 'video1_00001.jpg'
    assert info['flow_path'].endswith(osp.join('flow', 'train',
                                               'video1_00001.jpg'))
    assert info['seg_map_path'].endswith(osp.join('mask', 'train',
                                                  'video1_00001.png'))
    assert (info['video'], info['frame_index']) == ('video1', 1)
    sample = dataset[5]
    assert sample['inputs'].shape == (6, 64, 96)
    gt = sample['data_samples'].gt_sem_seg.data
    assert set(gt.unique().tolist()) == {0, 1}  # 0/255 PNG -> labels 0/1
    # the planted square of video 1, frame 1: rows 12..27, cols 12..27
    assert gt[0, 12:28, 12:28].all() and gt.sum() == 16 * 16
    # frame first: its square is BGR (40, 200, 240); the flow's (60, 60, 255)
    frame = sample['inputs'][:3, 20, 20].tolist()
    flow = sample['inputs'][3:, 20, 20].tolist()
    assert np.allclose(frame, (40, 200, 240), atol=6)
    assert np.allclose(flow, (60, 60, 255), atol=6)


def test_missing_flow_names_the_file(vos_root):
    os.remove(osp.join(vos_root, 'flow', 'train', 'video0_00002.jpg'))
    with pytest.raises(FileNotFoundError, match=r'video0_00002\.jpg'):
        build(vos_root)


def test_missing_mask_names_the_file(vos_root):
    os.remove(osp.join(vos_root, 'mask', 'train', 'video1_00003.png'))
    with pytest.raises(FileNotFoundError, match=r'video1_00003\.png'):
        build(vos_root)


def test_empty_split_and_missing_root(tmp_path):
    for sub in ('frame', 'flow', 'mask'):
        os.makedirs(tmp_path / sub / 'train')
    with pytest.raises(ValueError, match='empty split'):
        build(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        build(str(tmp_path / 'nowhere'))


def test_size_mismatch_and_unreadable_image(vos_root):
    flow = osp.join(vos_root, 'flow', 'train', 'video0_00000.jpg')
    cv2.imwrite(flow, np.zeros((32, 32, 3), np.uint8))
    dataset = build(vos_root)
    with pytest.raises(ValueError, match=r'video0_00000\.jpg.*same size'):
        dataset.prepare_data(0)
    frame = osp.join(vos_root, 'frame', 'train', 'video0_00001.jpg')
    with open(frame, 'wb') as f:
        f.write(b'not a jpeg')
    with pytest.raises(ValueError, match=r'cannot decode.*video0_00001'):
        dataset.prepare_data(1)


def planted_sample(seed=0, size=(60, 80)):
    """Frame, flow and mask that all encode the same random pattern P."""
    rng = np.random.default_rng(seed)
    pattern = rng.integers(0, 256, size, dtype=np.uint8)
    img = np.stack([pattern] * 6, axis=2)
    img[..., 1] = 255 - pattern  # distinguish channels inside a half
    img[..., 4] = 255 - pattern
    return dict(
        img=img,
        img_shape=size,
        ori_shape=size,
        gt_seg_map=(pattern > 128).astype(np.uint8),
        seg_fields=['gt_seg_map'])


LOAD = [dict(type='LoadFrameAndFlow'), dict(type='LoadBinaryAnnotations')]


def write_planted_files(folder, frame, flow, mask):
    """frame.png / flow.png / mask.png (lossless) and the sample dict a
    dataset hands to its pipeline."""
    os.makedirs(folder, exist_ok=True)
    paths = {}
    for key, name, image in (('img_path', 'frame', frame),
                             ('flow_path', 'flow', flow),
                             ('seg_map_path', 'mask', mask)):
        paths[key] = osp.join(str(folder), name + '.png')
        assert cv2.imwrite(paths[key], image)
    return lambda: dict(paths, seg_fields=[], reduce_zero_label=False)


@pytest.fixture
def pattern_files(tmp_path):
    """A random 60x80 pattern P: frame BGR (P, 255-P, P), flow image its
    negative, mask 255 where P > 128."""
    rng = np.random.default_rng(7)
    pattern = rng.integers(0, 256, (60, 80), dtype=np.uint8)
    frame = np.stack([pattern, 255 - pattern, pattern], axis=2)
    sample = write_planted_files(tmp_path / 'pattern', frame, 255 - frame,
                                 (pattern > 128).astype(np.uint8) * 255)
    return sample, pattern


def interior(mask, size=3):
    """Pixels whose size x size neighbourhood is all object or all not."""
    kernel = np.ones((size, size), np.uint8)
    return cv2.erode(mask, kernel) == cv2.dilate(mask, kernel)


@pytest.mark.parametrize('seed', range(5))
def test_crop_flip_pad_keep_frame_flow_mask_aligned(seed, pattern_files):
    """From files: crop and flip in the pipeline, padding in the data
    preprocessor (where the configs pad: mmcv's Pad cannot pad 6 channels).
    The result is a 40x50 window of the file's pattern (flipped or not) in
    the frame, its negative in the flow, and the mask of that window."""
    sample, pattern = pattern_files
    np.random.seed(seed)
    pipeline = Compose([
        TRANSFORMS.build(t) for t in LOAD + [
            dict(type='RandomCrop', crop_size=(40, 50), cat_max_ratio=0.75),
            dict(type='RandomFlip', prob=0.5),
            dict(type='PackSegInputs'),
        ]
    ])
    packed = pipeline(sample())
    pre = MODELS.build(
        dict(type='FrameFlowDataPreProcessor', size=(48, 56),
             mean=[0, 0, 0], std=[1, 1, 1], bgr_to_rgb=False))
    out = pre(dict(inputs=[packed['inputs']],
                   data_samples=[packed['data_samples']]), training=True)
    img = out['inputs'][0].permute(1, 2, 0).numpy()
    gt = out['data_samples'][0].gt_sem_seg.data[0].numpy()
    assert img.shape == (48, 56, 6)
    window = img[:40, :50, 0].astype(np.uint8)
    matches = [(y, x, flip) for y in range(60 - 40 + 1)
               for x in range(80 - 50 + 1) for flip in (False, True)
               if np.array_equal(
                   window, (pattern[y:y + 40, x:x + 50])[:, ::-1]
                   if flip else pattern[y:y + 40, x:x + 50])]
    assert len(matches) == 1, matches  # one crop of the file, maybe flipped
    np.testing.assert_array_equal(img[:40, :50, 1], 255 - window)
    np.testing.assert_array_equal(img[:40, :50, 3:], 255 - img[:40, :50, :3])
    assert (gt[40:] == 255).all() and (gt[:, 50:] == 255).all()  # padding
    np.testing.assert_array_equal(gt[:40, :50], window > 128)


def test_flip_moves_every_channel():
    sample = planted_sample(1)
    original = sample['img'].copy()
    flip = TRANSFORMS.build(dict(type='RandomFlip', prob=1.0))
    out = flip(sample)
    np.testing.assert_array_equal(out['img'], original[:, ::-1])
    np.testing.assert_array_equal(out['gt_seg_map'],
                                  (original[:, ::-1, 0] > 128))


def test_random_resize_moves_frame_flow_and_mask_together(tmp_path):
    """From files: 4 diagonal 16x16 blocks (frame white, flow image black
    on white) resized by a ratio s: block k must cover rows and columns
    [16ks, 16(k+1)s) in the frame, the flow and the mask alike."""
    block = np.kron(np.eye(4, dtype=np.uint8) * 255, np.ones((16, 16),
                                                              np.uint8))
    frame = np.stack([block] * 3, axis=2)
    sample = write_planted_files(tmp_path, frame, 255 - frame, block)
    np.random.seed(3)
    pipeline = Compose([TRANSFORMS.build(t) for t in LOAD + [
        dict(type='RandomResize', scale=(64, 64), ratio_range=(1.5, 2.0),
             keep_ratio=True)]])
    out = pipeline(sample())
    h, w = out['img'].shape[:2]
    assert h == w and 96 <= h <= 128
    assert out['gt_seg_map'].shape == (h, w)
    s = h / 64
    index = (np.arange(h) / s // 16).astype(int)  # block of each row/col
    expected = (index[:, None] == index[None, :]).astype(np.uint8)
    inside = interior(expected)
    assert inside.mean() > 0.9
    gt = out['gt_seg_map']
    np.testing.assert_array_equal(gt[inside], expected[inside])
    np.testing.assert_array_equal((out['img'][..., 0] > 127)[inside],
                                  expected[inside] > 0)
    np.testing.assert_array_equal((out['img'][..., 3] < 128)[inside],
                                  expected[inside] > 0)


def assert_per_pixel(before, after):
    """``after`` is a function of each pixel's colour in ``before``: equal
    input colours give the same output colour, so nothing moved. Up to a
    few levels: OpenCV's HSV conversion rounds its vectorised and scalar
    paths differently (measured: at most 4 after contrast); a moved random
    pattern differs by up to 255."""
    key = before.reshape(-1, 3).astype(np.int64) @ np.array([65536, 256, 1])
    out = after.reshape(-1, 3).astype(np.int64)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    assert len(first) < len(key) // 4  # many pixels share each colour
    assert np.abs(out - out[first[inverse.ravel()]]).max() <= 8


def test_photometric_distortion_is_drawn_per_stream():
    """Each half gets its own draw. A half is left as it is only when all
    four distortions are skipped (p = 1/16 each), so in 10 samples both
    the frame and the flow image change in most, the two halves (equal
    before) differ in most, every change is per pixel (the geometry stays)
    and the mask is not touched."""
    distort = TRANSFORMS.build(dict(type='PairedPhotoMetricDistortion'))
    np.random.seed(0)
    changed = {'frame': 0, 'flow': 0}
    differs = 0
    for seed in range(10):
        sample = planted_sample(seed)
        before, mask = sample['img'].copy(), sample['gt_seg_map'].copy()
        out = distort(sample)
        img = out['img']
        assert img.shape == (60, 80, 6) and img.dtype == np.uint8
        np.testing.assert_array_equal(out['gt_seg_map'], mask)
        for name, half in (('frame', slice(0, 3)), ('flow', slice(3, 6))):
            assert_per_pixel(before[..., half], img[..., half])
            changed[name] += int(not np.array_equal(before[..., half],
                                                    img[..., half]))
        differs += int(not np.array_equal(img[..., :3], img[..., 3:]))
    assert changed['frame'] >= 8 and changed['flow'] >= 8, changed
    assert differs >= 8
    with pytest.raises(ValueError, match='6'):
        distort(dict(img=np.zeros((4, 4, 3), np.uint8)))


def test_train_pipeline_from_config(vos_root):
    """The refine config's training pipeline on files (conftest's moving
    square: frame BGR (40, 200, 240) on dark noise, flow image (60, 60, 255)
    on white), sizes shrunk. The photometric step comes last, so the same
    seed without it gives the same geometry: there the mask must be the
    square of both the frame and the flow image, and with it the mask is
    the same."""
    cfg = load_config(
        osp.join(ROOT, 'local_configs/hfan/hfan.small.512x512.refine.py'))
    pipeline = [dict(t) for t in cfg.train_pipeline]
    assert [t['type'] for t in pipeline[:2]] == ['LoadFrameAndFlow',
                                                 'LoadBinaryAnnotations']
    assert pipeline[-2]['type'] == 'PairedPhotoMetricDistortion'
    for t in pipeline:
        if t['type'] == 'RandomResize':
            t['scale'] = (96, 64)  # ratio 0.5-2: 48x32 .. 192x128
        if t['type'] == 'RandomCrop':
            t['crop_size'] = (48, 48)
    full = build(vos_root, pipeline=pipeline)
    geometric = build(vos_root, pipeline=pipeline[:-2] + pipeline[-1:])
    with_object = 0
    for seed in range(8):
        np.random.seed(seed)
        a = full[seed % 4]
        np.random.seed(seed)
        b = geometric[seed % 4]
        gt = b['data_samples'].gt_sem_seg.data[0].numpy().astype(np.uint8)
        assert b['inputs'].shape[0] == 6
        assert b['inputs'].shape[1:] == gt.shape
        assert gt.shape[0] <= 48 and gt.shape[1] <= 48
        img = b['inputs'].permute(1, 2, 0).numpy()
        # 4 pixels from any mask edge: clear of the bilinear and JPEG
        # (8x8 blocks, chroma at half resolution) blur, scaled up to x2
        inside = interior(gt, 9)
        obj, bg = inside & (gt > 0), inside & (gt == 0)
        with_object += int(obj.sum() >= 16)
        # flow image: flat colours, the square exactly where the mask is
        np.testing.assert_array_equal((img[..., 3] < 158)[inside],
                                      gt[inside] > 0)  # its B channel
        # frame: the flat square (G 200) on noise (G < 120); JPEG rings in
        # the 8x8 blocks across the square's edge (measured on simulated
        # crops: at least 96 % of the square's interior stays above 160)
        if obj.any():
            assert (img[..., 1][obj] > 160).mean() > 0.9
        assert (img[..., 1][bg] > 160).mean() < 0.02
        np.testing.assert_array_equal(
            a['data_samples'].gt_sem_seg.data[0].numpy(), gt)
        assert a['inputs'].shape == b['inputs'].shape
        assert not np.array_equal(a['inputs'].numpy(), b['inputs'].numpy())
    # small ratios erode the square's interior away; some crops keep it
    assert with_object >= 1


def test_concat_and_repeat_datasets(vos_root, tmp_path):
    other = str(tmp_path / 'other')
    write_vos_split(other, 'train', videos=1, frames=3)
    concat = DATASETS.build(
        dict(
            type='ConcatDataset',
            datasets=[
                dict(
                    type='VOSDataset',
                    data_root=vos_root,
                    data_prefix=dict(
                        img_path='frame/train',
                        flow_path='flow/train',
                        seg_map_path='mask/train'),
                    pipeline=TEST_PIPELINE),
                dict(
                    type='RepeatDataset',
                    times=3,
                    dataset=dict(
                        type='VOSDataset',
                        data_root=other,
                        data_prefix=dict(
                            img_path='frame/train',
                            flow_path='flow/train',
                            seg_map_path='mask/train'),
                        pipeline=TEST_PIPELINE)),
            ]))
    assert len(concat) == 8 + 3 * 3
    assert concat[-1]['inputs'].shape == (6, 64, 96)
