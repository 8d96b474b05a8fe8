# Composite videos with distractor motion (tools/make_distractor_composites.py:
# cut-out objects over backgrounds in which other regions move on their own,
# 360x640 frames in the 2SEG layout) at the CPU scale and 256x256 crops of
# the demo model's stage 2. Validation on the set's `val` split, whose
# objects, backgrounds and textures are held out from `train`: the check for
# choices that does not touch DAVIS-16 val. Override the location with
# `--cfg-options distractor_root=PATH`.
_base_ = ['./davis2seg_composite_256.py']
distractor_root = 'data/DISTRACTOR2SEG'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='VOSDataset',
        data_root=distractor_root,
        data_prefix=dict(
            img_path='frame/train',
            flow_path='flow/train',
            seg_map_path='mask/train'),
        pipeline={{_base_.mixed_train_pipeline}}))
val_dataloader = dict(dataset=dict(data_root=distractor_root))
test_dataloader = val_dataloader
