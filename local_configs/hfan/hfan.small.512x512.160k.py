# HFAN-Small (MiT-b1), stage 1: YouTube-VOS, 160k iterations, 2 GPUs x 8.
_base_ = [
    '../_base_/models/hfan_mit_b1.py', '../_base_/datasets/youtube2seg.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_160k.py'
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    test_cfg=dict(mode='whole'))
train_dataloader = dict(batch_size=8, num_workers=4)
