# HFAN with a ResNet-101 (V1c) backbone shared by the frame and flow streams
# (the paper's backbone ablation; no released config or weights), on the
# small refine recipe. Strides 4/8/16/32 without dilation, as MMSeg's UPerNet
# ResNet configs; E = 256 as HFAN-Small. ImageNet initialisation: MMSeg's
# `open-mmlab://resnet101_v1c` (resnet101_v1c-e67eebb6.pth) saved as
# checkpoint/resnet101_v1c.pth (see checkpoint/README.md).
_base_ = ['./hfan.small.512x512.refine.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(backbone=dict(
    backbone=dict(_delete_=True,
                  type='ResNetV1c',
                  depth=101,
                  num_stages=4,
                  out_indices=(0, 1, 2, 3),
                  dilations=(1, 1, 1, 1),
                  strides=(1, 2, 2, 2),
                  norm_cfg=norm_cfg,
                  norm_eval=False,
                  style='pytorch',
                  contract_dilation=True,
                  init_cfg=dict(type='Pretrained',
                                checkpoint='checkpoint/resnet101_v1c.pth'))),
             decode_head=dict(in_channels=[256, 512, 1024, 2048],
                              channels=256))
