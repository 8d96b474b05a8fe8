"""Fusion modules take exactly their arguments: a misspelt config key is an
error that names it, not a silently ignored keyword (issue 13)."""
import pytest
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from testkit import tiny_model_cfg

import hfan  # noqa: F401
from hfan.models.fusion import FUSION_BY_METHOD, PARAMETER_FREE_METHODS

init_default_scope('mmseg')


@pytest.mark.parametrize('method', sorted(FUSION_BY_METHOD))
def test_misspelt_fusion_key_is_named(method):
    cfg = dict(type=FUSION_BY_METHOD[method], channels=32)
    if method not in PARAMETER_FREE_METHODS:
        cfg.update(inner_channels=8, norm_cfg=dict(type='BN'))
    MODELS.build(cfg)  # the exact arguments build
    with pytest.raises(TypeError, match="'inner_chanels'"):
        MODELS.build(dict(cfg, inner_chanels=8))


def test_weighted_fusions_use_their_arguments():
    fam = MODELS.build(dict(type='FeatureAlignment', channels=32,
                            inner_channels=8, norm_cfg=dict(type='BN')))
    assert fam.object_context.key_project[0].conv.out_channels == 8
    fat = MODELS.build(dict(type='AlignedAdaptation', channels=32,
                            inner_channels=4))
    assert fat.adaptation.local_branch[0].conv.out_channels == 4


@pytest.mark.parametrize('method', ['im', 'hfan'])
def test_head_builds_each_fusion_with_its_own_arguments(method):
    # the head passes inner width and norm only to the fusions with weights
    cfg = tiny_model_cfg(method)
    cfg.decode_head.fusion_inner_channels = 8
    head = MODELS.build(cfg.decode_head)
    assert len(head.fusions) == 4
    if method == 'hfan':
        assert head.fusions[0].alignment.object_context.key_project[
            0].conv.out_channels == 8
    cfg.decode_head.fusion_inner_chanels = 8  # misspelt in the head's config
    with pytest.raises(TypeError, match="'fusion_inner_chanels'"):
        MODELS.build(cfg.decode_head)
