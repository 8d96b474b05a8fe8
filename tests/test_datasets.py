"""VOS dataset, frame+flow loading and paired augmentation."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

import hfan  # noqa: F401
from hfan.apis import load_config
from mmseg.registry import DATASETS, MODELS, TRANSFORMS
from conftest import ROOT, write_vos_split

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


@pytest.mark.parametrize('seed', range(5))
def test_crop_flip_pad_keep_frame_flow_mask_aligned(seed):
    """Crop and flip in the pipeline, padding in the data preprocessor
    (where the configs pad: mmcv's Pad cannot pad 6 channels)."""
    np.random.seed(seed)
    pipeline = Compose([
        TRANSFORMS.build(t) for t in [
            dict(type='RandomCrop', crop_size=(40, 50), cat_max_ratio=0.75),
            dict(type='RandomFlip', prob=0.5),
            dict(type='PackSegInputs'),
        ]
    ])
    packed = pipeline(planted_sample(seed))
    pre = MODELS.build(
        dict(type='FrameFlowDataPreProcessor', size=(48, 56),
             mean=[0, 0, 0], std=[1, 1, 1], bgr_to_rgb=False))
    out = pre(dict(inputs=[packed['inputs']],
                   data_samples=[packed['data_samples']]), training=True)
    img = out['inputs'][0].permute(1, 2, 0).numpy()
    gt = out['data_samples'][0].gt_sem_seg.data[0].numpy()
    assert img.shape == (48, 56, 6)
    np.testing.assert_array_equal(img[..., :3], img[..., 3:])
    valid = gt != 255
    assert valid.sum() == 40 * 50  # the crop, the rest is padding
    np.testing.assert_array_equal(gt[valid], (img[..., 0] > 128)[valid])


def test_flip_moves_every_channel():
    sample = planted_sample(1)
    original = sample['img'].copy()
    flip = TRANSFORMS.build(dict(type='RandomFlip', prob=1.0))
    out = flip(sample)
    np.testing.assert_array_equal(out['img'], original[:, ::-1])
    np.testing.assert_array_equal(out['gt_seg_map'],
                                  (original[:, ::-1, 0] > 128))


def test_random_resize_moves_frame_flow_and_mask_together():
    """Big blocks survive bilinear resizing: block centres stay aligned."""
    block = np.kron(np.eye(4, dtype=np.uint8) * 255, np.ones((16, 16),
                                                              np.uint8))
    img = np.stack([block] * 6, axis=2)
    sample = dict(img=img, img_shape=block.shape, ori_shape=block.shape,
                  gt_seg_map=(block > 0).astype(np.uint8),
                  seg_fields=['gt_seg_map'])
    np.random.seed(3)
    resize = TRANSFORMS.build(
        dict(type='RandomResize', scale=(64, 64), ratio_range=(1.5, 2.0),
             keep_ratio=True))
    out = resize(sample)
    h, w = out['img'].shape[:2]
    assert out['gt_seg_map'].shape == (h, w) and h > 64
    np.testing.assert_array_equal(out['img'][..., :3], out['img'][..., 3:])
    gt = out['gt_seg_map']
    agree = (out['img'][..., 0] > 127) == (gt > 0)
    # bilinear (image) and nearest (mask) may differ only on block borders
    kernel = np.ones((3, 3), np.uint8)
    interior = cv2.erode(gt, kernel) == cv2.dilate(gt, kernel)
    assert interior.mean() > 0.9 and agree[interior].all()


def test_photometric_distortion_is_drawn_per_stream():
    distort = TRANSFORMS.build(dict(type='PairedPhotoMetricDistortion'))
    np.random.seed(0)
    differs = 0
    for seed in range(10):
        sample = planted_sample(seed)
        out = distort(sample)
        assert out['img'].shape == (60, 80, 6)
        differs += int(not np.array_equal(out['img'][..., :3],
                                          out['img'][..., 3:]))
    # brightness/contrast/saturation/hue are each applied with p = 0.5 per
    # stream, so identical draws for both halves in 10 samples are unlikely.
    assert differs >= 8
    with pytest.raises(ValueError, match='6'):
        distort(dict(img=np.zeros((4, 4, 3), np.uint8)))


def test_train_pipeline_from_config(vos_root):
    cfg = load_config(
        osp.join(ROOT, 'local_configs/hfan/hfan.small.512x512.refine.py'))
    pipeline = [dict(t) for t in cfg.train_pipeline]
    for t in pipeline:
        if t['type'] == 'RandomResize':
            t['scale'] = (96, 64)
        if t['type'] == 'RandomCrop':
            t['crop_size'] = (48, 48)
    dataset = build(vos_root, pipeline=pipeline)
    sample = dataset[0]
    assert sample['inputs'].shape[0] == 6
    assert sample['inputs'].shape[1] <= 48 and sample['inputs'].shape[2] <= 48


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
