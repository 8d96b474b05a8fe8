"""FramePipeline: a frame resized once for all its flows, the same
samples as the test pipeline on each frame + flow stack."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

import hfan  # noqa: F401  (registers the transforms)
from hfan.apis import inference
from hfan.apis.config import load_config
from hfan.apis.frame_pipeline import FramePipeline
from hfan.utils.channels import concat_channels

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _pipeline(*steps):
    init_default_scope('mmseg')  # as build_model does
    return Compose(list(steps) + [dict(type='PackSegInputs')])


def _results(img):
    return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])


def _assert_same_samples(pipeline, frame, flows):
    split = FramePipeline(pipeline)
    got = split(frame, flows)
    assert len(got) == len(flows)
    for sample, flow in zip(got, flows):
        expected = pipeline(_results(concat_channels([frame, flow])))
        assert torch.equal(sample['inputs'], expected['inputs'])
        assert (sample['data_samples'].metainfo ==
                expected['data_samples'].metainfo)
    return split


@pytest.mark.parametrize('interpolation', ['bilinear', 'nearest'])
@pytest.mark.parametrize('size', [(480, 854), (97, 131), (300, 40)])
def test_shared_resizes_give_the_stacks_samples(interpolation, size):
    """Down- and up-scaling, sizes that ResizeToMultiple changes: bit for
    bit the pipeline's samples, the frame resized once."""
    rng = np.random.default_rng(sum(size))
    frame = rng.integers(0, 256, size + (3, ), dtype=np.uint8)
    flows = [rng.integers(0, 256, size + (3, ), dtype=np.uint8)
             for _ in range(2)]
    pipeline = _pipeline(
        dict(type='Resize', scale=(2048, 384), keep_ratio=True,
             interpolation=interpolation),
        dict(type='ResizeToMultiple', size_divisor=32,
             interpolation=interpolation))
    split = _assert_same_samples(pipeline, frame, flows)
    assert split.shares_frame and len(split.resizes.transforms) == 2
    calls = []
    resize = split.resizes.transforms[0]
    original = resize.transform
    resize.transform = lambda results: (calls.append(
        results['img'].shape[2]), original(results))[1]
    split(frame, flows)
    assert calls == [3, 3, 3]  # the frame once, each flow once


def test_other_transforms_end_the_shared_part():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (60, 90, 3), dtype=np.uint8)
    flows = [rng.integers(0, 256, (60, 90, 3), dtype=np.uint8)]
    # a flip first: nothing shared, the stacks go through as they are
    flip_first = _pipeline(dict(type='RandomFlip', prob=1.0),
                           dict(type='Resize', scale=(64, 64)))
    assert not _assert_same_samples(flip_first, frame, flows).shares_frame
    # bicubic resizing is not taken as per channel; the bilinear resize
    # before it is shared
    bicubic = _pipeline(
        dict(type='Resize', scale=(128, 64), keep_ratio=True),
        dict(type='Resize', scale=(96, 48), interpolation='bicubic'))
    split = _assert_same_samples(bicubic, frame, flows)
    assert len(split.resizes.transforms) == 1


def test_the_configs_share_their_resizes():
    """The test pipelines of the demo and published configs are resizes
    then packing; the multi-scale test (TestTimeAug) is not shared."""
    configs = sorted(glob.glob(osp.join(ROOT, 'local_configs', 'hfan',
                                        '*.py')))
    assert len(configs) >= 10
    init_default_scope('mmseg')
    for path in configs:
        cfg = load_config(path)
        split = FramePipeline(Compose(inference.in_memory_pipeline(
            inference.test_pipeline_of(cfg))))
        assert split.shares_frame, path
        if 'tta_pipeline' in cfg:
            tta = FramePipeline(Compose(inference.in_memory_pipeline(
                inference.test_pipeline_of(cfg, aug_test=True))))
            assert not tta.shares_frame, path
