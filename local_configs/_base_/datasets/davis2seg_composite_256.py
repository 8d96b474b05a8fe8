# DAVIS-16 train together with the copy-paste composites made from it
# (composite_256.py), at the CPU scale of davis2seg_256.py: the training set
# of the demo model's stage 2. With the composites beside the 30 real
# videos, stage 2 scored higher on DAVIS-16 val than on the real videos
# alone, on two seeds (docs/benchmarks.md). Validation and test stay on
# DAVIS-16 val.
_base_ = ['./composite_256.py']
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[{{_base_.davis_train}}, {{_base_.composite_train}}]))
# (davis_val has every key of the composite_val it replaces)
val_dataloader = dict(dataset={{_base_.davis_val}})
test_dataloader = val_dataloader
