# 8 iterations with a decaying lr, a checkpoint every 2: for resume tests.
_base_ = ['./hfan_tiny.py']
max_iters = 8
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0, end_factor=0.1, by_epoch=False,
         begin=0, end=max_iters)
]
train_cfg = dict(max_iters=max_iters)
