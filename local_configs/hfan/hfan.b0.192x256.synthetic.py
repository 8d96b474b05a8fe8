# HFAN with MiT-b0 (E = 128) trained FROM SCRATCH on synthetic videos
# (tools/make_synthetic_videos.py --splits train:200 val:10) on a CPU: the
# synthetic ablation's recipe (docs/benchmarks.md) and the base of the test
# configs. It never sees real video: it exercises the pipeline end to end,
# not the published accuracy. The demo model is hfan_demo.py.
_base_ = [
    '../_base_/models/hfan_mit_b0_scratch.py',
    '../_base_/datasets/synthetic.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_cpu.py'
]
# pad to the training crops of synthetic.py
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
# trained on a CPU: no cuDNN autotuning
env_cfg = dict(cudnn_benchmark=False)
