# The demo model: HFAN with MiT-b0, trained FROM SCRATCH on synthetic videos
# (tools/make_synthetic_videos.py --splits train:200 val:10) on a 2-core CPU
# in about 30 minutes (4000 iterations of batch 8 at 128x128). It has never
# seen real video: it shows the pipeline end to end, not the published
# accuracy (use the released HFAN-s/m checkpoints for that).
_base_ = [
    '../_base_/models/hfan_mit_b1.py', '../_base_/datasets/synthetic.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_160k.py'
]
crop_size = (128, 128)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        backbone=dict(arch='b0', drop_path_rate=0.1, init_cfg=None)),
    decode_head=dict(in_channels=[32, 64, 160, 256], channels=128),
    test_cfg=dict(mode='whole'))
# From scratch: a larger lr than fine-tuning, same head multiplier.
optimizer = dict(lr=6e-4)
optim_wrapper = dict(optimizer=optimizer, clip_grad=dict(max_norm=1.0))
max_iters = 4000
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=200),
    dict(
        type='PolyLR',
        power=1.0,
        eta_min=0.0,
        by_epoch=False,
        begin=200,
        end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=1000)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=1000, max_keep_ckpts=2))
env_cfg = dict(cudnn_benchmark=False)
