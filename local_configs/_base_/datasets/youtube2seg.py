# Stage 1 data: YouTube-VOS train in the YouTube2SEG layout; validation on
# DAVIS-16 val. Only the training data root differs from davis2seg.py.
# Override with `--cfg-options youtube_root=PATH davis_root=PATH`.
_base_ = ['./davis2seg.py']
youtube_root = 'data/YouTube2SEG'
train_dataloader = dict(dataset=dict(data_root=youtube_root))
