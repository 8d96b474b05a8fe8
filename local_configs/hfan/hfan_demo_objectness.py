# Objectness for the demo model (issue 31): the shipped demo model
# (hfan_demo.py) fine-tuned on composites with distractor motion
# (tools/make_distractor_composites.py), where regions of the background move
# on their own and only the pasted object is in the mask, so motion alone
# does not tell the object. Validation on held-out composites (their `val`
# split); DAVIS-16 val is never trained on. Recipe and figures:
# docs/demo_model.md, "Objectness".
_base_ = [
    '../_base_/models/hfan_mit_b0_scratch.py',
    '../_base_/datasets/distractor_256.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_cpu.py'
]
# pad to the training crops of distractor_256.py
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
# the shipped demo model
load_from = 'checkpoint/hfan_demo.pth'
# fine-tuning a trained model: stage 2's lr, no warm-up
optimizer = dict(lr=2e-4)
optim_wrapper = dict(optimizer=optimizer)
# (no `end`: mmengine ends the decay at the train loop's max_iters)
param_scheduler = [
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=0),
]
train_cfg = dict(max_iters=800, val_interval=400)
default_hooks = dict(checkpoint=dict(interval=400, max_keep_ckpts=2))
# trained on a CPU: no cuDNN autotuning
env_cfg = dict(cudnn_benchmark=False)
# as the demo model: both flow directions where infer.py computes the flow
test_flow_directions = 'both'
