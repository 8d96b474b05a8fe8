# Stage 1b of the demo model: stage 1 (hfan_demo_stage1.py) continued on the
# same composites with a warm restart of the learning rate. Stage 1's
# composite-val J&F was still rising at its last iteration (0.645 / 0.667 /
# 0.689 at 4k / 6k / 8k), and one 2-core CPU session cannot hold a single
# longer run, so the schedule is split in two: 8000 iterations, then these
# 6000 from a restart at half the peak lr. Stage 2 (hfan_demo.py) starts
# from this file's last checkpoint. Figures: docs/benchmarks.md.
_base_ = ['./hfan_demo_stage1.py']
load_from = 'work_dirs/hfan_demo_stage1/iter_8000.pth'
optimizer = dict(lr=3e-4)
optim_wrapper = dict(optimizer=optimizer)
max_iters = 6000
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=100),
    dict(
        type='PolyLR',
        power=1.0,
        eta_min=0.0,
        by_epoch=False,
        begin=100,
        end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=2000)
