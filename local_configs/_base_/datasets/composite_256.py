# Copy-paste composites of real footage (tools/make_composite_videos.py,
# 480x854 frames in the 2SEG layout) at the scale of davis2seg_256.py: the
# stage-1 data of the CPU-trained models. Only the data root differs.
# Override the location with `--cfg-options composite_root=PATH`.
_base_ = ['./davis2seg_256.py']
composite_root = 'data/COMPOSITE2SEG'
train_dataloader = dict(dataset=dict(data_root=composite_root))
val_dataloader = dict(dataset=dict(data_root=composite_root))
test_dataloader = val_dataloader
