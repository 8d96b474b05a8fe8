# Synthetic videos from tools/make_synthetic_videos.py (192x256 frames, the
# DAVIS2SEG layout). Override the location with `--cfg-options
# synthetic_root=PATH`.
_base_ = ['./davis2seg.py']
synthetic_root = 'data/synthetic'
crop_size = (128, 128)
train_pipeline = [
    dict(type='LoadFrameAndFlow'),
    dict(type='LoadBinaryAnnotations'),
    dict(
        type='RandomResize',
        scale=(256, 192),
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PairedPhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadFrameAndFlow'),
    dict(type='Resize', scale=(256, 192), keep_ratio=True),
    dict(type='ResizeToMultiple', size_divisor=32),
    dict(type='LoadBinaryAnnotations'),
    dict(type='PackSegInputs'),
]
# --aug-test at the ratios of this test scale (see davis2seg.py).
tta_pipeline = [
    dict(type='LoadFrameAndFlow'),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(
                    type='Resize',
                    scale=(int(256 * r), int(192 * r)),
                    keep_ratio=True) for r in [0.75, 1.0, 1.75]
            ],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ],
            [dict(type='ResizeToMultiple', size_divisor=32)],
            [dict(type='LoadBinaryAnnotations')],
            [dict(type='PackSegInputs')],
        ])
]
synthetic_train = dict(
    type='VOSDataset',
    data_root=synthetic_root,
    data_prefix=dict(
        img_path='frame/train',
        flow_path='flow/train',
        seg_map_path='mask/train'),
    pipeline=train_pipeline)
synthetic_val = dict(
    type='VOSDataset',
    data_root=synthetic_root,
    data_prefix=dict(
        img_path='frame/val', flow_path='flow/val', seg_map_path='mask/val'),
    pipeline=test_pipeline)
train_dataloader = dict(
    batch_size=8, num_workers=2, dataset=synthetic_train)
val_dataloader = dict(batch_size=1, num_workers=2, dataset=synthetic_val)
test_dataloader = val_dataloader
