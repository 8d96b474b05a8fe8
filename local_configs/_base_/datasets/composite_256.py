# Copy-paste composites of real footage (tools/make_composite_videos.py,
# 480x854 frames in the 2SEG layout) at the scale of davis2seg_256.py: the
# stage-1 data of the CPU-trained models. Override the location with
# `--cfg-options composite_root=PATH`.
_base_ = ['./davis2seg_256.py']
composite_root = 'data/COMPOSITE2SEG'
composite_train = dict(
    type='VOSDataset',
    data_root=composite_root,
    data_prefix=dict(
        img_path='frame/train',
        flow_path='flow/train',
        seg_map_path='mask/train'),
    pipeline={{_base_.train_pipeline}})
composite_val = dict(
    type='VOSDataset',
    data_root=composite_root,
    data_prefix=dict(
        img_path='frame/val', flow_path='flow/val', seg_map_path='mask/val'),
    pipeline={{_base_.test_pipeline}})
train_dataloader = dict(dataset=composite_train)
val_dataloader = dict(dataset=composite_val)
test_dataloader = val_dataloader
