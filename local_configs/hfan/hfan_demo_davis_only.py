# The demo model's stage 2 on DAVIS-16 train alone, the data of the published
# refine stage: the comparison row for the shipped stage 2 (hfan_demo.py),
# which adds stage 1's composites. Figures: docs/demo_model.md ("Stage 2:
# DAVIS-16 train alone or with the composites beside it").
_base_ = ['./hfan_demo.py']
# the previous recipe's 192x192 crops (stage 1's, davis2seg_256.py)
crop_size = (192, 192)
model = dict(data_preprocessor=dict(size=crop_size))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='VOSDataset',
        data_root={{_base_.davis_root}},
        data_prefix=dict(
            img_path='frame/train',
            flow_path='flow/train',
            seg_map_path='mask/train'),
        pipeline={{_base_.train_pipeline}}))
