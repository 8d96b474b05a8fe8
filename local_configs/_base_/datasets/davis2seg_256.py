# DAVIS-16 (DAVIS2SEG layout) at a CPU scale: frames resized to a short side
# of 256 (a 480x854 DAVIS frame is tested at 256x455 -> 256x480), training
# crops of 192x192, two loader workers for a 2-core machine. Only the
# pipelines and the worker count differ from davis2seg.py.
_base_ = ['./davis2seg.py']
crop_size = (192, 192)
test_scale = (1024, 256)
train_pipeline = [
    dict(type='LoadFrameAndFlow'),
    dict(type='LoadBinaryAnnotations'),
    dict(
        type='RandomResize',
        scale=test_scale,
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PairedPhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadFrameAndFlow'),
    dict(type='Resize', scale=test_scale, keep_ratio=True),
    dict(type='ResizeToMultiple', size_divisor=32),
    dict(type='LoadBinaryAnnotations'),
    dict(type='PackSegInputs'),
]
# --aug-test at the ratios 0.75 / 1.0 / 1.75 of this test scale, with flip
tta_pipeline = [
    dict(type='LoadFrameAndFlow'),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(
                    type='Resize',
                    scale=(int(test_scale[0] * r), int(test_scale[1] * r)),
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
# merged into the base's datasets: only the pipelines change
davis_train = dict(pipeline=train_pipeline)
davis_val = dict(pipeline=test_pipeline)
train_dataloader = dict(num_workers=2, dataset=davis_train)
val_dataloader = dict(num_workers=2, dataset=davis_val)
test_dataloader = val_dataloader
