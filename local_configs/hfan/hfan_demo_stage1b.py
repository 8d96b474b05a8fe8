# Stage 1b of the demo model: stage 1 (hfan_demo_stage1.py) continued on the
# same composites with a warm restart of the learning rate at half its peak.
# Two configs rather than one longer run because a 2-core CPU session cannot
# hold the whole schedule. Stage 2 (hfan_demo.py) starts from this file's
# last checkpoint. Why and the figures: docs/demo_model.md.
_base_ = ['./hfan_demo_stage1.py']
load_from = 'work_dirs/hfan_demo_stage1/iter_8000.pth'
optimizer = dict(lr=3e-4)
optim_wrapper = dict(optimizer=optimizer)
# a short warm-up, then the decay to 0 at the end of the run (no `end`:
# mmengine takes the train loop's max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=100),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=100),
]
train_cfg = dict(max_iters=6000, val_interval=2000)
