# HFAN-Small: MiT-b1 shared by the frame and flow streams, HFAN head (E=256).
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='FrameFlowDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='VOSEncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='DualStreamEncoder',
        backbone=dict(
            type='OriginalMixVisionTransformer',
            arch='b1',
            in_channels=3,
            num_stages=4,
            patch_sizes=[7, 3, 3, 3],
            sr_ratios=[8, 4, 2, 1],
            out_indices=(0, 1, 2, 3),
            mlp_ratio=4,
            qkv_bias=True,
            drop_rate=0.0,
            attn_drop_rate=0.0,
            drop_path_rate=0.1,
            init_cfg=dict(
                type='Pretrained', checkpoint='checkpoint/mit_b1.pth'))),
    decode_head=dict(
        type='HFANHead',
        select_method='hfan',
        in_channels=[64, 128, 320, 512],
        in_index=[0, 1, 2, 3],
        channels=256,
        dropout_ratio=0.1,
        num_classes=2,
        out_channels=2,
        norm_cfg=norm_cfg,
        fusion_inner_channels=16,
        fusion_norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
