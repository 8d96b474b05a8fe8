# A few-iteration HFAN (MiT-b0) run on the tiny trees tests/conftest.py
# writes; set `synthetic_root=` on the command line.
_base_ = ['../../local_configs/hfan/hfan.b0.192x256.synthetic.py']
crop_size = (48, 48)
train_pipeline = [
    dict(type='LoadFrameAndFlow'),
    dict(type='LoadBinaryAnnotations'),
    dict(type='RandomResize', scale=(96, 64), ratio_range=(0.8, 1.2),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PairedPhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadFrameAndFlow'),
    dict(type='Resize', scale=(96, 64), keep_ratio=True),
    dict(type='ResizeToMultiple', size_divisor=32),
    dict(type='LoadBinaryAnnotations'),
    dict(type='PackSegInputs'),
]
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(channels=32))
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
max_iters = 4
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=1000)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=2, max_keep_ckpts=-1),
    visualization=dict(type='SegVisualizationHook', draw=False))
