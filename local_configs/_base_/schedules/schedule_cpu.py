# The CPU-trained models' schedule (MiT-b0 without ImageNet weights, on a
# 2-core machine): schedule_160k.py's AdamW and parameter groups at 10x the
# fine-tuning lr, since nothing is pretrained, with gradient clipping against
# the early spikes of a from-scratch run; 200 warm-up iterations, then poly
# decay to 0 over 4000 iterations. Logs every 20 iterations (an iteration
# takes about a second) and keeps two checkpoints. The decay has no `end`:
# mmengine's Runner ends a scheduler without one at the train loop's
# `max_iters`, so a config of another length sets `train_cfg.max_iters`
# (and its checkpoint interval) alone.
_base_ = ['./schedule_160k.py']
optimizer = dict(lr=6e-4)
optim_wrapper = dict(optimizer=optimizer, clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=200),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=200),
]
train_cfg = dict(max_iters=4000, val_interval=1000)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=1000, max_keep_ckpts=2))
