# HFAN with a Swin-Tiny backbone shared by the frame and flow streams (the
# paper's backbone ablation; no released config or weights), on the small
# refine recipe. Backbone settings as MMSeg's Swin-T UPerNet config; E = 256
# as HFAN-Small. ImageNet initialisation: MMSeg's converted Swin-T
# (swin_tiny_patch4_window7_224_20220317-1cdeb081.pth, or the official
# Swin release converted with MMSeg's tools/model_converters/swin2mmseg.py)
# saved as checkpoint/swin_tiny_patch4_window7_224.pth.
_base_ = ['./hfan.small.512x512.refine.py']
model = dict(backbone=dict(backbone=dict(
    _delete_=True,
    type='SwinTransformer',
    pretrain_img_size=224,
    embed_dims=96,
    patch_size=4,
    window_size=7,
    mlp_ratio=4,
    depths=[2, 2, 6, 2],
    num_heads=[3, 6, 12, 24],
    strides=(4, 2, 2, 2),
    out_indices=(0, 1, 2, 3),
    qkv_bias=True,
    qk_scale=None,
    patch_norm=True,
    drop_rate=0.0,
    attn_drop_rate=0.0,
    drop_path_rate=0.3,
    use_abs_pos_embed=False,
    act_cfg=dict(type='GELU'),
    norm_cfg=dict(type='LN', requires_grad=True),
    init_cfg=dict(type='Pretrained',
                  checkpoint='checkpoint/swin_tiny_patch4_window7_224.pth'))),
             decode_head=dict(in_channels=[96, 192, 384, 768], channels=256))
# No weight decay on Swin's position tables either (MMSeg's Swin recipe).
optim_wrapper = dict(paramwise_cfg=dict(
    custom_keys=dict(absolute_pos_embed=dict(decay_mult=0.0),
                     relative_position_bias_table=dict(decay_mult=0.0))))
