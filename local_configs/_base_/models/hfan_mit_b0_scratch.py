# HFAN with MiT-b0 (dims 32/64/160/256) and no ImageNet weights: the
# CPU-trained models (the demo model and its stage 1). E = 128 instead of
# Small's 256 halves the decoder's cost at these small input sizes.
_base_ = ['./hfan_mit_b1.py']
model = dict(
    backbone=dict(
        backbone=dict(arch='b0', drop_path_rate=0.1, init_cfg=None)),
    decode_head=dict(in_channels=[32, 64, 160, 256], channels=128),
    test_cfg=dict(mode='whole'))
