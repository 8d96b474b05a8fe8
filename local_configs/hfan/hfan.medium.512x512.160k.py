# HFAN-Medium (MiT-b2, E=768): the small recipe with a larger backbone.
_base_ = ['./hfan.small.512x512.160k.py']
model = dict(
    backbone=dict(
        backbone=dict(
            arch='b2',
            init_cfg=dict(
                type='Pretrained', checkpoint='checkpoint/mit_b2.pth'))),
    decode_head=dict(channels=768))
