"""Tiny HFAN models for CPU tests: a model config, a saved config file and
checkpoint of MiT-b0 with random weights, a batch, the infer.py runner."""
import os.path as osp

import numpy as np
import torch
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from hfan.apis import load_config

from . import ROOT
from .data import SIZE, read_pair, write_vos_split

MIT_B0 = dict(
    type='OriginalMixVisionTransformer', arch='b0', drop_path_rate=0.0)
MIT_B0_CHANNELS = [32, 64, 160, 256]


def tiny_model_cfg(select_method='hfan', channels=32, norm='BN'):
    """An HFAN (MiT-b0) model config small enough for CPU unit tests."""
    return ConfigDict(
        type='VOSEncoderDecoder',
        data_preprocessor=dict(
            type='FrameFlowDataPreProcessor', size_divisor=32),
        backbone=dict(type='DualStreamEncoder', backbone=dict(MIT_B0)),
        decode_head=dict(
            type='HFANHead',
            select_method=select_method,
            in_channels=MIT_B0_CHANNELS,
            in_index=[0, 1, 2, 3],
            channels=channels,
            num_classes=2,
            out_channels=2,
            norm_cfg=dict(type=norm, requires_grad=True),
            loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        train_cfg=dict(),
        test_cfg=dict(mode='whole'))


def make_batch(batch=2, size=(64, 64), seed=0):
    g = torch.Generator().manual_seed(seed)
    inputs = [
        torch.randint(0, 256, (6, *size), generator=g, dtype=torch.uint8)
        for _ in range(batch)
    ]
    samples = []
    for _ in range(batch):
        sample = SegDataSample()
        label = torch.randint(0, 2, (1, *size), generator=g)
        sample.gt_sem_seg = PixelData(data=label)
        sample.set_metainfo(dict(img_shape=size, ori_shape=size,
                                 pad_shape=size))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


REFINE = osp.join(ROOT, 'local_configs', 'hfan',
                  'hfan.small.512x512.refine.py')


def write_tiny_config(path, select_method='hfan'):
    """The small refine config (slide 512x512 / 271) shrunk to MiT-b0, with
    a test resize to 120x80 (-> 128x96 after ResizeToMultiple)."""
    with open(path, 'w') as f:
        f.write(f"""
_base_ = [{REFINE!r}]
model = dict(
    backbone=dict(
        backbone=dict(arch='b0', drop_path_rate=0.0, init_cfg=None)),
    decode_head=dict(select_method={select_method!r},
                     in_channels=[32, 64, 160, 256], channels=32))
test_pipeline = [
    dict(type='LoadFrameAndFlow'),
    dict(type='Resize', scale=(120, 80), keep_ratio=True),
    dict(type='ResizeToMultiple', size_divisor=32),
    dict(type='LoadBinaryAnnotations'),
    dict(type='PackSegInputs'),
]
# --aug-test at the published ratios of this test scale (not of 2048x512)
tta_pipeline = [
    dict(type='LoadFrameAndFlow'),
    dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale=(int(120 * r), int(80 * r)),
              keep_ratio=True) for r in (0.75, 1.0, 1.75)],
        [dict(type='RandomFlip', prob=0., direction='horizontal'),
         dict(type='RandomFlip', prob=1., direction='horizontal')],
        [dict(type='ResizeToMultiple', size_divisor=32)],
        [dict(type='LoadBinaryAnnotations')],
        [dict(type='PackSegInputs')]])
]
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
""")
    return str(path)


def save_tiny_checkpoint(config, path, seed=0):
    """Random weights of the config's model, saved as {'state_dict', 'meta'}.

    The classifier bias is set so that about half of the pixels of a
    synthetic frame are foreground: masks compared in the tests are then
    not all background.
    """
    cfg = load_config(config)
    init_default_scope('mmseg')
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model).eval()
    root = osp.join(osp.dirname(str(path)), f'calibration_{seed}')
    write_vos_split(root, 'val', videos=1, frames=1)
    data = dict(inputs=[
        torch.from_numpy(np.concatenate(read_pair(root, 'video0_00000'),
                                        2)).permute(2, 0, 1)
    ])
    with torch.no_grad():
        inputs = model.data_preprocessor(data, False)['inputs']
        logits = model.encode_decode(inputs, [dict(img_shape=SIZE)])
        margin = (logits[0, 1] - logits[0, 0]).median()
        model.decode_head.conv_seg.bias[1] -= margin
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return str(path)


def run_infer(tiny, root, out, *extra):
    """infer.py's exit status on ``root`` with the ``tiny`` (config,
    checkpoint) pair, on the CPU, quietly."""
    import infer  # the script at the repo root (on sys.path via conftest)
    config, checkpoint = tiny
    return infer.main([
        '--config', config, '--checkpoint', checkpoint, '--input', root,
        '--output_dir', str(out), '--device', 'cpu', '--no-progress',
        '--workers', '1', *extra
    ])
