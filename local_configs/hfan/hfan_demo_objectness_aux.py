# hfan_demo_objectness.py with an auxiliary loss on the frame stream alone
# (FrameStreamHead: an FCN head on the frames' stage-3 features, 1/16 of the
# input), so the appearance features must carry the object without the
# flow. Training only: the head is not used at test time. Figures:
# docs/demo_model.md, "Objectness".
_base_ = ['./hfan_demo_objectness.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    auxiliary_head=dict(
        type='FrameStreamHead',
        in_channels=160,
        in_index=2,
        channels=64,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=2,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)))
