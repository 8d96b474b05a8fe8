"""hfan.apis.testing (what tools/test.py sets up; the runs themselves are in
tests/test_tools/test_test_tool.py) and the WriteMasksHook it registers."""
import os.path as osp
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import HOOKS
from mmseg.structures import SegDataSample
from testkit import archive_path

from hfan.apis import load_config
from hfan.apis.testing import prepare_test_config, segmentor_of
from hfan.engine import WriteMasksHook


def prepare(cfg, config_path, **options):
    return prepare_test_config(cfg, config_path=config_path, **options)


def test_the_runner_loads_nothing_itself(tiny):
    config = tiny[0]
    cfg = load_config(config)
    cfg.load_from, cfg.resume = 'some.pth', True
    cfg = prepare(cfg, config, work_dir='w', launcher='pytorch')
    assert cfg.load_from is None and cfg.resume is False
    assert cfg.work_dir == 'w' and cfg.launcher == 'pytorch'
    cfg = prepare(load_config(config), config)
    assert cfg.work_dir == osp.join('./work_dirs',
                                    osp.splitext(osp.basename(config))[0])


def test_aug_test_wraps_the_model_and_uses_the_tta_pipeline(tiny):
    config = tiny[0]
    plain = load_config(config)
    cfg = prepare(load_config(config), config, aug_test=True)
    assert cfg.model.type == 'SegTTAModel'
    assert cfg.model.module == plain.model
    assert cfg.test_dataloader.dataset.pipeline == plain.tta_pipeline
    without = Config({k: v for k, v in load_config(config).items()
                      if k != 'tta_pipeline'})
    with pytest.raises(ValueError, match='tta_pipeline'):
        prepare(without, config, aug_test=True)


def test_show_dir_draws_into_the_folder(tiny):
    config = tiny[0]
    cfg = prepare(load_config(config), config, show_dir='shown')
    assert cfg.default_hooks.visualization.draw is True
    assert cfg.visualizer.save_dir == 'shown'
    cfg = load_config(config)
    cfg.default_hooks.pop('visualization')
    with pytest.raises(RuntimeError, match='default_hooks.visualization'):
        prepare(cfg, config, show_dir='shown')


def test_segmentor_of_unwraps_ddp_and_tta():
    segmentor = torch.nn.Linear(2, 2)
    tta = SimpleNamespace(module=segmentor)
    assert segmentor_of(segmentor) is segmentor
    assert segmentor_of(tta) is segmentor


def test_write_masks_hook_is_registered_and_writes_as_infer(tmp_path):
    init_default_scope('mmseg')
    out = str(tmp_path / 'pred')
    hook = HOOKS.build(dict(type='WriteMasksHook', out_dir=out))
    assert isinstance(hook, WriteMasksHook)
    masks = {}
    outputs = []
    for t in range(2):
        mask = np.zeros((8, 12), np.int64)
        mask[2:6, t:t + 4] = 1
        sample = SegDataSample(metainfo=dict(
            img_path=f'/data/frame/val/blackswan_{t:05d}.jpg'))
        sample.pred_sem_seg = PixelData(data=torch.from_numpy(mask)[None])
        outputs.append(sample)
        masks[f'blackswan_{t:05d}'] = mask
    hook.after_test_iter(None, 0, outputs=outputs)
    hook.after_test(None)
    for name, mask in masks.items():
        archive = cv2.imread(archive_path(out, name), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(archive, mask.astype(np.uint8) * 255)
        flat = cv2.imread(osp.join(out, f'{name}.png'), cv2.IMREAD_GRAYSCALE)
        assert flat.shape == mask.shape
        # the palette PNG: background and foreground apart where the mask is
        assert len(np.unique(flat[mask == 1])) == 1
        assert (flat[mask == 1] != flat[0, 0]).all()
