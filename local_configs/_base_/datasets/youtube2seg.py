# Stage 1 data: YouTube-VOS train in the YouTube2SEG layout; validation on
# DAVIS-16 val. Override with `--cfg-options youtube_root=PATH davis_root=PATH`.
_base_ = ['./davis2seg.py']
youtube_root = 'data/YouTube2SEG'
youtube_train = dict(
    type='VOSDataset',
    data_root=youtube_root,
    data_prefix=dict(
        img_path='frame/train',
        flow_path='flow/train',
        seg_map_path='mask/train'),
    pipeline={{_base_.train_pipeline}})
train_dataloader = dict(dataset=youtube_train)
