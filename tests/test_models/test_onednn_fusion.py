"""oneDNN's fused kernels in MiT's inference forward: each kernel against
the eager operators it replaces, when it is taken, and the modules and the
whole model against MMSeg's / the eager path."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmseg.models.backbones.mit import EfficientMultiheadAttention, MixFFN
from mmseg.registry import MODELS
from testkit import make_batch, tiny_model_cfg

import hfan  # noqa: F401
from hfan.models import onednn_fusion
from hfan.models.efficient_attention import FusedEfficientMultiheadAttention
from hfan.models.token_mix_ffn import TokenMixFFN

init_default_scope('mmseg')


@pytest.fixture
def count_fused_calls(monkeypatch):
    """Counts the calls of each fused kernel (they still compute)."""
    calls = {'linear': 0, 'linear_add': 0, 'conv2d_gelu': 0}
    for name in calls:
        kernel = getattr(onednn_fusion, name)

        def counted(*args, _name=name, _kernel=kernel):
            calls[_name] += 1
            return _kernel(*args)

        monkeypatch.setattr(onednn_fusion, name, counted)
    return calls


def test_kernels_equal_the_eager_operators():
    torch.manual_seed(0)
    x = torch.randn(2, 300, 24)
    weight, bias = torch.randn(40, 24), torch.randn(40)
    residual = torch.randn(2, 300, 40)
    with torch.no_grad():
        torch.testing.assert_close(
            onednn_fusion.linear(x, weight, bias), F.linear(x, weight, bias),
            rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(
            onednn_fusion.linear_add(x, weight, bias, residual),
            residual + F.linear(x, weight, bias), rtol=1e-5, atol=1e-5)
        # the Mix-FFN's depth-wise 3x3 conv, on the token map's
        # channels-last view and on a contiguous map
        tokens = torch.randn(2, 15 * 20, 40)
        maps = [tokens.transpose(1, 2).unflatten(2, (15, 20)),
                torch.randn(2, 40, 15, 20)]
        conv_w, conv_b = torch.randn(40, 1, 3, 3), torch.randn(40)
        for feat in maps:
            got = onednn_fusion.conv2d_gelu(feat, conv_w, conv_b, (1, 1), 40)
            expected = F.gelu(F.conv2d(feat, conv_w, conv_b, 1, 1, 1, 40))
            torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    # exact GELU (erf), not the tanh approximation: they differ by ~1e-3
    # at x = -2.5, far above the tolerance
    point = torch.full((1, 1, 1, 1), -2.5)
    with torch.no_grad():
        got = onednn_fusion.conv2d_gelu(point, torch.ones(1, 1, 1, 1), None,
                                        (0, 0), 1)
    exact = -2.5 * 0.5 * (1 + torch.erf(torch.tensor(-2.5 / 2**0.5)))
    assert abs(got.item() - exact.item()) < 1e-6
    assert abs(F.gelu(point, approximate='tanh').item() - exact) > 1e-4


def test_when_the_fused_kernels_are_taken():
    big = torch.zeros(1)
    n = onednn_fusion.MIN_ELEMENTS
    with torch.no_grad():
        assert onednn_fusion.fused_cpu_inference(big, n)
        assert not onednn_fusion.fused_cpu_inference(big, n - 1)
        assert not onednn_fusion.fused_cpu_inference(big.double(), n)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            assert not onednn_fusion.fused_cpu_inference(big, n)
    # recording gradients: the kernels have no backward
    assert not onednn_fusion.fused_cpu_inference(big, n)
    with torch.inference_mode():
        assert onednn_fusion.fused_cpu_inference(big, n)


@pytest.mark.parametrize('with_identity', [False, True])
def test_fused_ffn_equals_mmseg_ffn(monkeypatch, count_fused_calls,
                                    with_identity):
    torch.manual_seed(0)
    reference = MixFFN(embed_dims=16, feedforward_channels=64).eval()
    token = TokenMixFFN(embed_dims=16, feedforward_channels=64).eval()
    token.load_state_dict(reference.state_dict())
    hw = (24, 32)
    x = torch.randn(2, hw[0] * hw[1], 16)
    kwargs = {'identity': torch.randn_like(x)} if with_identity else {}
    with torch.no_grad():
        expected = reference(x, hw, **kwargs)
        # the hidden map, 2 x 768 x 64 values, is under the threshold:
        # the eager operators run
        assert 2 * 768 * 64 < onednn_fusion.MIN_ELEMENTS
        torch.testing.assert_close(token(x, hw, **kwargs), expected)
        assert sum(count_fused_calls.values()) == 0
        monkeypatch.setattr(onednn_fusion, 'MIN_ELEMENTS', 2 * 768 * 64)
        got = token(x, hw, **kwargs)
    assert count_fused_calls == {'linear': 1, 'linear_add': 1,
                                 'conv2d_gelu': 1}
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    # in training mode, or with gradients, MMSeg's operators
    token.train()
    with torch.no_grad():
        token(x, hw, **kwargs)
    token.eval()
    token(x, hw, **kwargs)
    assert sum(count_fused_calls.values()) == 3


@pytest.mark.parametrize('sr_ratio', [1, 4])
def test_fused_attention_equals_mmseg_attention(monkeypatch,
                                                count_fused_calls, sr_ratio):
    torch.manual_seed(0)
    reference = EfficientMultiheadAttention(
        embed_dims=32, num_heads=2, sr_ratio=sr_ratio, qkv_bias=True).eval()
    fused = FusedEfficientMultiheadAttention(
        embed_dims=32, num_heads=2, sr_ratio=sr_ratio, qkv_bias=True).eval()
    fused.load_state_dict(reference.state_dict())
    hw = (16, 20)
    x = torch.randn(2, hw[0] * hw[1], 32)
    monkeypatch.setattr(onednn_fusion, 'MIN_ELEMENTS', x.numel())
    with torch.no_grad():
        expected = reference(x, hw)
        got = fused(x, hw)
    # q, k and v with their biases; the output projection with the residual
    assert count_fused_calls == {'linear': 3, 'linear_add': 1,
                                 'conv2d_gelu': 0}
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_model_with_fused_kernels_equals_the_eager_model(monkeypatch,
                                                         count_fused_calls):
    """The tiny HFAN model's logits with every MiT op fused (threshold 0)
    are the eager ones; tracing (the ONNX export) records no oneDNN op."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg()).eval()
    data = model.data_preprocessor(make_batch(batch=2), False)
    inputs, samples = data['inputs'], data['data_samples']
    with torch.no_grad():
        expected = model.predict(inputs, samples)
        expected = [s.seg_logits.data.clone() for s in expected]
        assert sum(count_fused_calls.values()) == 0  # all maps are small
        monkeypatch.setattr(onednn_fusion, 'MIN_ELEMENTS', 0)
        got = model.predict(inputs, samples)
        got = [s.seg_logits.data for s in got]
    assert count_fused_calls['linear_add'] > 0
    assert count_fused_calls['conv2d_gelu'] > 0
    for g, e in zip(got, expected):
        torch.testing.assert_close(g, e, rtol=1e-4, atol=1e-5)
    calls = sum(count_fused_calls.values())
    with torch.no_grad():
        graph = torch.jit.trace(model.backbone, inputs,
                                 check_trace=False).inlined_graph
    assert sum(count_fused_calls.values()) == calls
    assert 'mkldnn' not in str(graph)
