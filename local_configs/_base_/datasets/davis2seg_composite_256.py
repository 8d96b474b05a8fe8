# DAVIS-16 train together with the copy-paste composites made from it
# (composite_256.py), at the CPU scale of davis2seg_256.py, in crops of
# 256x256: the training set of the demo model's stage 2. The composites
# keep stage 1's cues in view while the model fine-tunes on 30 real videos;
# 256x256 crops show more of the scene than stage 1's 192x192 (both
# choices measured in docs/demo_model.md). Validation and test stay on
# DAVIS-16 val.
_base_ = ['./composite_256.py']
crop_size = (256, 256)
mixed_train_pipeline = [
    dict(type='LoadFrameAndFlow'),
    dict(type='LoadBinaryAnnotations'),
    dict(
        type='RandomResize',
        # the base's short side of 256, by 0.75-1.5 (192-384)
        scale={{_base_.test_scale}},
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PairedPhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(
                type='VOSDataset',
                data_root=root,
                data_prefix=dict(
                    img_path='frame/train',
                    flow_path='flow/train',
                    seg_map_path='mask/train'),
                pipeline=mixed_train_pipeline) for root in
            ({{_base_.davis_root}}, {{_base_.composite_root}})
        ]))
# Tested at a short side of 384 (a 480x854 frame: 384x683 -> 384x704), the
# top of the training resize, where a model trained in these crops sees the
# detail it was trained on (docs/demo_model.md, "Test scale"). --aug-test
# keeps the base's scales (192 / 256 / 448).
test_scale = (2048, 384)
test_pipeline = [
    dict(type='LoadFrameAndFlow'),
    dict(type='Resize', scale=test_scale, keep_ratio=True),
    dict(type='ResizeToMultiple', size_divisor=32),
    dict(type='LoadBinaryAnnotations'),
    dict(type='PackSegInputs'),
]
# DAVIS-16 val in place of the base's composite val (the same folders)
val_dataloader = dict(
    dataset=dict(data_root={{_base_.davis_root}}, pipeline=test_pipeline))
test_dataloader = val_dataloader
