# HFAN-Small (MiT-b1), stage 2: DAVIS-16 train repeated 15x, 4k iterations,
# initialised from stage 1's last checkpoint (tools/train.py finds it in the
# work dir when `load_from` is None; see `stage1_checkpoint`).
_base_ = [
    '../_base_/models/hfan_mit_b1.py', '../_base_/datasets/davis2seg.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_refine_4k.py'
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(271, 271)))
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    dataset=dict(
        _delete_=True,
        type='RepeatDataset',
        times=15,
        dataset={{_base_.davis_train}}))
stage1_checkpoint = 'iter_160000.pth'
