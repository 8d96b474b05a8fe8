# 8 iterations with a decaying lr, a checkpoint every 2: for resume tests.
# The decay names no `end`, as the CPU schedules do: mmengine ends it at the
# train loop's max_iters (the resume test checks the final lr).
_base_ = ['./hfan_tiny.py']
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0, end_factor=0.1, by_epoch=False,
         begin=0)
]
train_cfg = dict(max_iters=8)
