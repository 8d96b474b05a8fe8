# The tiny run with an ImageNet backbone initialisation that is NOT on disk.
_base_ = ['./hfan_tiny.py']
model = dict(
    backbone=dict(
        backbone=dict(
            init_cfg=dict(
                _delete_=True,
                type='Pretrained',
                checkpoint='/nonexistent/mit_b0.pth'))))
