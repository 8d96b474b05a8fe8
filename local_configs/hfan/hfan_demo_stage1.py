# Stage 1 of the demo model: HFAN with MiT-b0 trained FROM SCRATCH (no
# ImageNet weights) on copy-paste composites of DAVIS-16 *train* footage
# (tools/make_composite_videos.py), on a CPU. Stage 1b is
# hfan_demo_stage1b.py, stage 2 hfan_demo.py; the recipe and its figures:
# docs/demo_model.md.
_base_ = [
    '../_base_/models/hfan_mit_b0_scratch.py',
    '../_base_/datasets/composite_256.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_cpu.py'
]
# pad to the training crops of composite_256.py
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
# the CPU schedule at twice its length (its decay ends with the run)
train_cfg = dict(max_iters=8000, val_interval=2000)
default_hooks = dict(checkpoint=dict(interval=2000))
# trained on a CPU: no cuDNN autotuning
env_cfg = dict(cudnn_benchmark=False)
