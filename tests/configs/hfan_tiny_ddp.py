_base_ = ['./hfan_tiny.py']
custom_imports = dict(
    imports=['hfan', 'ddp_probe'], allow_failed_imports=False)
custom_hooks = [
    dict(type='CheckFiniteLossHook'),
    dict(type='SaveRankParametersHook'),
]
