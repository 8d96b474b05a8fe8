# The demo model (checkpoint/hfan_demo.pth): HFAN with MiT-b0, no ImageNet
# weights, trained on a CPU in two stages on DAVIS-16 train only:
#   stage 1  hfan_demo_stage1.py   copy-paste composites of DAVIS-16 train
#   stage 1b hfan_demo_stage1b.py  the same, continued (warm lr restart)
#   stage 2  this file             DAVIS-16 train (the published "refine"),
#                                  with stage 1's composites beside it, in
#                                  larger crops than stage 1 (256 vs 192)
# DAVIS-16 val is never trained on. Recipe, figures and the variants that
# did not help: docs/demo_model.md.
_base_ = [
    '../_base_/models/hfan_mit_b0_scratch.py',
    '../_base_/datasets/davis2seg_composite_256.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_cpu.py'
]
# pad to the training crops of davis2seg_composite_256.py
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
# stage 1b's last checkpoint (train it first, or override with --load-from)
load_from = 'work_dirs/hfan_demo_stage1b/iter_6000.pth'
# fine-tuning a trained model: a third of stage 1's lr, no warm-up
optimizer = dict(lr=2e-4)
optim_wrapper = dict(optimizer=optimizer)
# (no `end`: mmengine ends the decay at the train loop's max_iters)
param_scheduler = [
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=0),
]
train_cfg = dict(max_iters=500, val_interval=500)
default_hooks = dict(checkpoint=dict(interval=500, max_keep_ckpts=1))
# trained on a CPU: no cuDNN autotuning
env_cfg = dict(cudnn_benchmark=False)
# Test time, where the flow is computed from the frames (infer.py on a video
# or frame folder, tools/demo.py, tools/app.py): segment each frame with the
# flow t -> t+1 and with the reversed backward flow -(t -> t-1) and average
# the probabilities, since two DIS estimates of one motion err in different
# places (docs/demo_model.md, "Both flow directions at test time").
# tools/test.py reads the prepared forward flows and keeps the published
# rule; --flow-directions forward restores it in infer.py.
test_flow_directions = 'both'
