# Stage 2 ("refine"): AdamW with a fixed lr of 1e-5 for 4k iterations,
# initialised from stage 1's final checkpoint.
_base_ = ['./schedule_160k.py']
optimizer = dict(lr=1e-05)
optim_wrapper = dict(optimizer=optimizer)
param_scheduler = []
train_cfg = dict(max_iters=4000, val_interval=1000)
default_hooks = dict(checkpoint=dict(interval=1000))
