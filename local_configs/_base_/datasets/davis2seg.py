# DAVIS-16 in the DAVIS2SEG layout (frame / flow / mask folders, per split).
# Override the location with `--cfg-options davis_root=PATH`.
dataset_type = 'VOSDataset'
davis_root = 'data/DAVIS2SEG'
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadFrameAndFlow'),
    dict(type='LoadBinaryAnnotations'),
    dict(
        type='RandomResize',
        scale=(2048, 512),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PairedPhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadFrameAndFlow'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='ResizeToMultiple', size_divisor=32),
    # The mask is loaded after resizing: metrics use the original size.
    dict(type='LoadBinaryAnnotations'),
    dict(type='PackSegInputs'),
]
# --aug-test: ratios 0.75 / 1.0 / 1.75 OF THE TEST SCALE (2048, 512), as the
# published MultiScaleFlipAug did (a DAVIS frame gives 384x704, 512x928 and
# 896x1600 views), with horizontal flip; softmax probabilities are averaged.
img_ratios = [0.75, 1.0, 1.75]
tta_pipeline = [
    dict(type='LoadFrameAndFlow'),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(
                    type='Resize',
                    scale=(int(2048 * r), int(512 * r)),
                    keep_ratio=True) for r in img_ratios
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
davis_train = dict(
    type=dataset_type,
    data_root=davis_root,
    data_prefix=dict(
        img_path='frame/train',
        flow_path='flow/train',
        seg_map_path='mask/train'),
    pipeline=train_pipeline)
davis_val = dict(
    type=dataset_type,
    data_root=davis_root,
    data_prefix=dict(
        img_path='frame/val', flow_path='flow/val', seg_map_path='mask/val'),
    pipeline=test_pipeline)
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=davis_train)
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=davis_val)
test_dataloader = val_dataloader
val_evaluator = dict(type='VOSMetric', protocol='davis16')
test_evaluator = val_evaluator
