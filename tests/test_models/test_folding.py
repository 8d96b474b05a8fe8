"""Eval-time folding of 1x1 conv-BN-ReLU stacks in the fusion modules: the
folded forward computes the published function (to float rounding), is
taken only where it applies, and leaves training and tracing alone."""
import pytest
import torch
from mmcv.cnn import ConvModule

import hfan  # noqa: F401
from hfan.models import AlignedAdaptation, FeatureAdaptation, FeatureAlignment
from hfan.models.folding import batch_norm_affine, fold_conv_module


def randomise_norms(module):
    """Running statistics and affine parameters away from the identity, so
    that a norm left out or applied twice shows."""
    for bn in module.modules():
        if isinstance(bn, torch.nn.BatchNorm2d):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.data.uniform_(0.5, 1.5)
            bn.bias.data.uniform_(-0.3, 0.3)
    return module


def count_calls(module):
    calls = []
    module.register_forward_hook(lambda m, args, out: calls.append(1))
    return calls


def test_batch_norm_affine_by_hand():
    """scale = weight / sqrt(var + eps), shift = bias - mean * scale."""
    bn = torch.nn.BatchNorm2d(3, eps=1e-3).eval()
    bn.running_mean.copy_(torch.tensor([1.0, -2.0, 0.5]))
    bn.running_var.copy_(torch.tensor([4.0, 0.25, 1.0]))
    bn.weight.data.copy_(torch.tensor([2.0, 1.0, -1.0]))
    bn.bias.data.copy_(torch.tensor([0.0, 3.0, 1.0]))
    scale, shift = batch_norm_affine(bn)
    expected_scale = torch.tensor([2.0, 1.0, -1.0]) / torch.sqrt(
        torch.tensor([4.0, 0.25, 1.0]) + 1e-3)
    torch.testing.assert_close(scale, expected_scale)
    torch.testing.assert_close(
        shift, torch.tensor([0.0, 3.0, 1.0]) -
        torch.tensor([1.0, -2.0, 0.5]) * expected_scale)
    x = torch.randn(2, 3, 4, 5)
    with torch.no_grad():
        torch.testing.assert_close(
            bn(x), scale[:, None, None] * x + shift[:, None, None])
    assert batch_norm_affine(bn.train()) is None  # batch statistics
    assert batch_norm_affine(torch.nn.GroupNorm(1, 3)) is None


@pytest.mark.parametrize('kwargs', [
    dict(norm_cfg=dict(type='BN')),
    dict(norm_cfg=dict(type='BN'), bias=True),
    dict(),  # conv + bias + ReLU (mmcv's default activation)
    dict(norm_cfg=dict(type='BN'), act_cfg=None),
])
def test_folded_conv_module_equals_the_module(kwargs):
    torch.manual_seed(0)
    module = randomise_norms(ConvModule(12, 7, 1, **kwargs)).eval()
    folded = fold_conv_module(module)
    assert folded.relu == (kwargs.get('act_cfg', 'relu') is not None)
    x = torch.randn(2, 12, 5, 6)
    with torch.no_grad():
        expected = module(x)
        got = folded(x.flatten(2)).view(2, 7, 5, 6)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('module', [
    ConvModule(4, 4, 3, padding=1, norm_cfg=dict(type='BN')),  # not 1x1
    ConvModule(4, 4, 1, norm_cfg=dict(type='GN', num_groups=2)),
    ConvModule(4, 4, 1, norm_cfg=dict(type='BN'), order=('conv', 'act',
                                                          'norm')),
    ConvModule(4, 4, 1, act_cfg=dict(type='LeakyReLU')),
    ConvModule(4, 4, 1, groups=2),
])
def test_what_does_not_fold(module):
    assert fold_conv_module(module.eval()) is None


def test_batch_norm_in_training_does_not_fold():
    module = ConvModule(4, 4, 1, norm_cfg=dict(type='BN'))
    assert fold_conv_module(module.train()) is None
    assert fold_conv_module(module.eval()) is not None


def _fam_published(fam, frame, flow):
    """FAM through MMSeg's object attention block, sample by sample."""
    centres = fam.gather(frame, fam.object_pred(frame))
    return (fam.object_context(frame, centres),
            fam.object_context(flow, centres))


@pytest.mark.parametrize('shared_frame', [True, False])
def test_folded_alignment_equals_the_published_block(shared_frame):
    torch.manual_seed(0)
    fam = randomise_norms(FeatureAlignment(32, 16)).eval()
    if shared_frame:  # one frame with both flow directions
        frame = torch.randn(1, 32, 12, 16).expand(2, -1, -1, -1).contiguous()
    else:
        frame = torch.randn(2, 32, 12, 16)
    flow = torch.randn(2, 32, 12, 16)
    bottleneck_calls = count_calls(fam.object_context.bottleneck)
    with torch.no_grad():
        expected = _fam_published(fam, frame, flow)
        assert len(bottleneck_calls) == 2
        got = fam.align(frame, flow)
    assert len(bottleneck_calls) == 2  # folded: the module was not run
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        torch.testing.assert_close(g, e, rtol=1e-5, atol=1e-5)


def test_folded_adaptation_equals_the_gate_formula():
    torch.manual_seed(0)
    fat = randomise_norms(FeatureAdaptation(32, 16)).eval()
    frame, flow = torch.randn(2, 32, 9, 11), torch.randn(2, 32, 9, 11)
    local_calls = count_calls(fat.local_branch)
    with torch.no_grad():
        both = frame + flow
        weight = (fat.local_branch(both) + fat.global_branch(both)).sigmoid()
        assert len(local_calls) == 1
        expected = 2 * frame * weight + 2 * flow * (1 - weight)
        got_weight = fat.gate(frame, flow)
        got = fat(frame, flow)
    assert len(local_calls) == 1  # folded: the branch was not run
    torch.testing.assert_close(got_weight, weight, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    # the inputs are left as they were (the folded path works in place on
    # its own tensors only)
    with torch.no_grad():
        torch.testing.assert_close(fat(frame, flow), got)


def test_gradients_in_eval_mode_run_the_modules():
    """The folded arithmetic is in place: with gradients on (eval mode, as
    a saliency tool would run it) the published modules run instead."""
    torch.manual_seed(0)
    fusion = randomise_norms(AlignedAdaptation(32, 16)).eval()
    frame = torch.randn(2, 32, 6, 8, requires_grad=True)
    flow = torch.randn(2, 32, 6, 8)
    calls = count_calls(fusion.alignment.object_context.bottleneck)
    local_calls = count_calls(fusion.adaptation.local_branch)
    out = fusion(frame, flow)
    assert len(calls) == 2 and len(local_calls) == 1
    out.sum().backward()
    assert frame.grad.abs().sum() > 0
    with torch.no_grad():
        torch.testing.assert_close(fusion(frame, flow), out.detach(),
                                   rtol=1e-5, atol=1e-5)
    assert len(calls) == 2 and len(local_calls) == 1  # folded without


def test_training_and_other_norms_run_the_modules():
    """Training (batch statistics, gradients) and a norm that does not fold
    go through the published modules, whose results the folded path must
    then not replace."""
    torch.manual_seed(0)
    fusion = AlignedAdaptation(32, 16)
    frame = torch.randn(2, 32, 6, 8, requires_grad=True)
    flow = torch.randn(2, 32, 6, 8)
    calls = count_calls(fusion.alignment.object_context.bottleneck)
    local_calls = count_calls(fusion.adaptation.local_branch)
    fusion(frame, flow).sum().backward()
    assert len(calls) == 2 and len(local_calls) == 1
    assert frame.grad is not None and frame.grad.abs().sum() > 0

    grouped = AlignedAdaptation(32, 16, norm_cfg=dict(type='GN',
                                                      num_groups=4)).eval()
    calls = count_calls(grouped.alignment.object_context.bottleneck)
    local_calls = count_calls(grouped.adaptation.local_branch)
    with torch.no_grad():
        grouped(frame, flow)
    assert len(calls) == 2 and len(local_calls) == 1


def test_a_trace_records_the_published_layers():
    """An exported graph keeps the modules (batch norms included)."""
    torch.manual_seed(0)
    fusion = randomise_norms(AlignedAdaptation(32, 16)).eval()
    frame, flow = torch.randn(2, 32, 6, 8), torch.randn(2, 32, 6, 8)
    with torch.no_grad():
        eager = fusion(frame, flow)
        traced = torch.jit.trace(fusion, (frame, flow))
    assert 'batch_norm' in str(traced.inlined_graph)
    with torch.no_grad():
        torch.testing.assert_close(traced(frame, flow), eager, rtol=1e-5,
                                   atol=1e-5)
