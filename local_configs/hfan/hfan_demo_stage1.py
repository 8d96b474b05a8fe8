# Stage 1 of the demo model: HFAN with MiT-b0 trained FROM SCRATCH (no
# ImageNet weights) on copy-paste composites of DAVIS-16 *train* footage
# (tools/make_composite_videos.py), on a 2-core CPU. Stage 2 is
# hfan_demo.py. The recipe and its figures: docs/benchmarks.md.
_base_ = [
    '../_base_/models/hfan_mit_b0_scratch.py',
    '../_base_/datasets/composite_256.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_160k.py'
]
crop_size = (192, 192)
model = dict(data_preprocessor=dict(size=crop_size))
# From scratch: a larger lr than fine-tuning, same head multiplier.
optimizer = dict(lr=6e-4)
optim_wrapper = dict(optimizer=optimizer, clip_grad=dict(max_norm=1.0))
max_iters = 8000
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
train_cfg = dict(max_iters=max_iters, val_interval=2000)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=2000, max_keep_ckpts=2))
env_cfg = dict(cudnn_benchmark=False)
