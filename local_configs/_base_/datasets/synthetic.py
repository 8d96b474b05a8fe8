# Synthetic videos from tools/make_synthetic_videos.py (192x256 frames, the
# DAVIS2SEG layout), in 128x128 training crops, two loader workers. Only the
# data root, the pipelines and the worker count differ from davis2seg.py.
# Override the location with `--cfg-options synthetic_root=PATH`.
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
# merged into the base's DAVIS datasets (same folders inside the root)
train_dataloader = dict(
    num_workers=2,
    dataset=dict(data_root=synthetic_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2,
    dataset=dict(data_root=synthetic_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
