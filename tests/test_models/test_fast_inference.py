"""The faster forward computes the published function: fused attention,
the Mix-FFN on the tokens, the decoder's reordered convolution, frames
encoded once, bf16 autocast."""
import threading

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmseg.models.backbones.mit import EfficientMultiheadAttention, MixFFN
from mmseg.registry import MODELS
from testkit import make_batch, tiny_model_cfg

import hfan  # noqa: F401
from hfan.apis import VideoSegmenter
from hfan.models.dual_stream_encoder import unique_samples
from hfan.models.efficient_attention import FusedEfficientMultiheadAttention
from hfan.models.fusion.feature_alignment import FeatureAlignment
from hfan.models.token_mix_ffn import TokenMixFFN

init_default_scope('mmseg')


def assert_grads_close(got, expected, rel=2e-6):
    """Gradients equal up to float32 rounding: every difference within
    ``rel`` of the largest gradient of the module (sums of thousands of
    terms in another order; a bias before a BN has a gradient of ~0 made of
    rounding alone)."""
    scale = max(g.abs().max().item() for g in expected.values())
    for name, grad in got.items():
        err = (grad - expected[name]).abs().max().item()
        assert err <= rel * scale, (
            f'{name}: |difference| {err:.3g} > {rel} x {scale:.3g}')


@pytest.mark.parametrize('sr_ratio,heads', [(1, 2), (4, 1)])
def test_fused_attention_equals_mmseg_attention(sr_ratio, heads):
    """Same weights, same output and same gradients as MMSeg's module
    (which runs nn.MultiheadAttention)."""
    torch.manual_seed(0)
    reference = EfficientMultiheadAttention(
        embed_dims=32, num_heads=heads, sr_ratio=sr_ratio, qkv_bias=True)
    fused = FusedEfficientMultiheadAttention(
        embed_dims=32, num_heads=heads, sr_ratio=sr_ratio, qkv_bias=True)
    fused.load_state_dict(reference.state_dict())
    hw = (12, 16)
    x = torch.randn(2, hw[0] * hw[1], 32, requires_grad=True)
    x2 = x.detach().clone().requires_grad_(True)
    expected = reference(x, hw)
    got = fused(x2, hw)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    expected.square().sum().backward()
    got.square().sum().backward()
    torch.testing.assert_close(x2.grad, x.grad, rtol=1e-4, atol=1e-5)
    assert_grads_close({n: p.grad for n, p in fused.named_parameters()},
                       {n: p.grad for n, p in reference.named_parameters()})


@pytest.mark.parametrize('train', [False, True])
def test_token_ffn_equals_mmseg_ffn(train):
    """Same weights, same output and gradients as MMSeg's MixFFN (1x1
    convolutions on the (B, C, H, W) map), in eval and train mode."""
    torch.manual_seed(0)
    reference = MixFFN(embed_dims=16, feedforward_channels=64)
    token = TokenMixFFN(embed_dims=16, feedforward_channels=64)
    token.load_state_dict(reference.state_dict())
    reference.train(train)
    token.train(train)
    hw = (6, 10)
    x = torch.randn(2, hw[0] * hw[1], 16, requires_grad=True)
    x2 = x.detach().clone().requires_grad_(True)
    identity = torch.randn(2, hw[0] * hw[1], 16)
    for kwargs in ({}, {'identity': identity}):
        torch.testing.assert_close(
            token(x2, hw, **kwargs), reference(x, hw, **kwargs),
            rtol=1e-5, atol=1e-6)
    expected = reference(x, hw)
    got = token(x2, hw)
    (expected * torch.arange(expected.numel()).view_as(expected).sin()
     ).sum().backward()
    (got * torch.arange(got.numel()).view_as(got).sin()).sum().backward()
    torch.testing.assert_close(x2.grad, x.grad, rtol=1e-4, atol=1e-6)
    assert_grads_close({n: p.grad for n, p in token.named_parameters()},
                       {n: p.grad for n, p in reference.named_parameters()})


def test_mit_uses_the_fast_modules_unless_told_not_to():
    on = MODELS.build(tiny_model_cfg()).backbone.backbone
    off_cfg = tiny_model_cfg()
    off_cfg.backbone.backbone['fused_attention'] = False
    off_cfg.backbone.backbone['token_ffn'] = False
    off = MODELS.build(off_cfg).backbone.backbone
    blocks_on = [b for layer in on.layers for b in layer[1]]
    blocks_off = [b for layer in off.layers for b in layer[1]]
    assert {type(b.attn) for b in blocks_on} == {
        FusedEfficientMultiheadAttention}
    assert {type(b.ffn) for b in blocks_on} == {TokenMixFFN}
    assert {type(b.attn) for b in blocks_off} == {EfficientMultiheadAttention}
    assert {type(b.ffn) for b in blocks_off} == {MixFFN}
    assert list(on.state_dict()) == list(off.state_dict())
    # the whole encoder: one computes what the other does
    off.load_state_dict(on.state_dict())
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        for got, expected in zip(on.eval()(x), off.eval()(x)):
            torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('method', ['im', 'base', 'fam', 'fat', 'hfan'])
def test_decoder_reordering_equals_the_published_order(method):
    """HFANHead.forward (each level's share of the fuse conv applied before
    the upsampling) equals SegFormer's order (upsample, concatenate, conv),
    in eval and in training (BN statistics and gradients)."""
    torch.manual_seed(0)
    head = MODELS.build(tiny_model_cfg(method)).decode_head
    sizes = [(16, 20), (8, 10), (4, 5), (2, 3)]
    feats = [torch.randn(4, c, h, w) for c, (h, w) in zip(
        [32, 64, 160, 256], sizes)]

    def published():
        return head.cls_seg(
            head._decode_upsampling_first(head.fuse_levels(feats), (16, 20)))

    head.eval()
    with torch.no_grad():
        torch.testing.assert_close(head(feats), published(), rtol=1e-5,
                                   atol=1e-5)
        # the fuse conv's bias and its BN (running statistics, affine) are
        # folded into the levels in eval mode: away from their initial
        # identity values, the result is still the published order's
        fuse = head.fusion_conv
        fuse.conv.bias = torch.nn.Parameter(torch.randn(head.channels))
        for name in ('running_mean', 'weight', 'bias'):
            getattr(fuse.norm, name).copy_(torch.randn(head.channels))
        fuse.norm.running_var.uniform_(0.2, 3)
        torch.testing.assert_close(head(feats), published(), rtol=1e-5,
                                   atol=1e-5)
    head.train()
    state = {k: v.clone() for k, v in head.state_dict().items()}
    torch.manual_seed(1)  # the same dropout masks in both orders
    published().sum().backward()
    expected = {n: p.grad.clone() for n, p in head.named_parameters()}
    head.zero_grad()
    head.load_state_dict(state)  # the same BN running statistics to start
    torch.manual_seed(1)
    head(feats).sum().backward()
    assert_grads_close({n: p.grad for n, p in head.named_parameters()},
                       expected)


def test_unique_samples_finds_repeated_frames():
    batch = torch.arange(5 * 3, dtype=torch.float32).view(5, 3)
    batch[1] = batch[0]  # a frame with its two flows
    batch[4] = batch[3]
    unique, index = unique_samples(batch)
    assert index.tolist() == [0, 0, 1, 2, 2]
    assert torch.equal(unique, batch[[0, 2, 3]])
    distinct = torch.randn(3, 4)
    same, index = unique_samples(distinct)
    assert same is distinct and index.tolist() == [0, 1, 2]


def test_encoder_encodes_a_repeated_frame_once():
    model = MODELS.build(tiny_model_cfg()).eval()
    calls = []
    model.backbone.backbone.register_forward_hook(
        lambda m, args, out: calls.append(args[0].shape[0]))
    data = model.data_preprocessor(make_batch(batch=2), False)
    inputs = data['inputs'].clone()
    inputs[1, :3] = inputs[0, :3]  # one frame, two flows
    with torch.no_grad():
        shared = model.backbone(inputs)
        model.train()  # training never shares: BN sees the batch as given
        full = model.backbone.backbone(torch.cat(inputs.split(3, 1)))
    assert calls == [3, 4]
    for a, b in zip(shared, full):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_alignment_aligns_a_repeated_frame_once():
    """FAM with one frame and two flows computes the frame's centres and
    aligned features once (batch 1), and gives what the published order
    (every sample through every step) gives."""
    torch.manual_seed(0)
    fam = FeatureAlignment(channels=32).eval()
    for bn in fam.modules():  # running statistics away from the identity
        if isinstance(bn, torch.nn.BatchNorm2d):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2)
    frame = torch.randn(1, 32, 12, 16).expand(2, -1, -1, -1).contiguous()
    flow = torch.randn(2, 32, 12, 16)
    batches = []
    fam.object_pred.register_forward_hook(
        lambda m, args, out: batches.append(args[0].shape[0]))
    with torch.no_grad():
        got_frame, got_flow = fam.align(frame, flow)
        centres = fam.gather(frame, fam.object_pred(frame))
        expected = (fam.object_context(frame, centres),
                    fam.object_context(flow, centres))
        # two different frames are aligned each on its own
        other = torch.cat([frame[:1], torch.randn(1, 32, 12, 16)])
        fam.align(other, flow)
    assert batches == [1, 2, 2]
    torch.testing.assert_close(got_frame, expected[0], rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(got_flow, expected[1], rtol=1e-6, atol=1e-6)
    assert torch.equal(got_frame[0], got_frame[1])
    assert not torch.equal(got_flow[0], got_flow[1])


@pytest.fixture(scope='module')
def frame_and_flows():
    rng = np.random.default_rng(3)
    frame = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    flows = [rng.normal(0, 2, (48, 64, 2)).astype(np.float32)
             for _ in range(2)]
    return frame, flows


def test_both_directions_equal_two_full_forwards(tiny, frame_and_flows):
    """The planted model's probability of a frame with two flows (one
    shared frame stream) is the mean of two separate forwards."""
    frame, flows = frame_and_flows
    segmenter = VideoSegmenter(*tiny, cpu_bf16=False)
    _, fg = segmenter.segment_frame(frame, flows)
    singles = [segmenter.segment_pair(frame, flow)[1] for flow in flows]
    np.testing.assert_allclose(fg, (singles[0] + singles[1]) / 2,
                               rtol=0, atol=1e-5)


def test_bf16_autocast_follows_float32(tiny, frame_and_flows):
    frame, flows = frame_and_flows
    fp32 = VideoSegmenter(*tiny, cpu_bf16=False)
    bf16 = VideoSegmenter(*tiny, cpu_bf16=True)
    assert bf16.cpu_bf16 and not fp32.cpu_bf16
    mask32, fg32 = fp32.segment_frame(frame, flows)
    mask16, fg16 = bf16.segment_frame(frame, flows)
    assert fg16.dtype == np.float32
    # bf16 keeps 8 bits of mantissa: probabilities move by about 1e-2
    assert np.abs(fg16 - fg32).max() < 0.05
    assert (mask16 == mask32).mean() > 0.95


def test_cpu_bf16_setting(tiny, monkeypatch):
    from hfan.apis.inference import resolve_cpu_bf16
    cpu = torch.device('cpu')
    monkeypatch.setenv('HFAN_CPU_BF16', 'on')
    assert resolve_cpu_bf16(None, cpu, 'torch') is True
    monkeypatch.setenv('HFAN_CPU_BF16', 'off')
    assert resolve_cpu_bf16(None, cpu, 'torch') is False
    monkeypatch.setenv('HFAN_CPU_BF16', 'maybe')
    with pytest.raises(ValueError, match="HFAN_CPU_BF16='maybe'"):
        resolve_cpu_bf16(None, cpu, 'torch')
    monkeypatch.delenv('HFAN_CPU_BF16')
    # auto: never with ONNX Runtime, never on CUDA
    assert resolve_cpu_bf16(None, cpu, 'onnxruntime') is False
    assert resolve_cpu_bf16(None, torch.device('cuda'), 'torch') is False
    with pytest.raises(ValueError, match='on CUDA use fp16'):
        resolve_cpu_bf16(True, torch.device('cuda'), 'torch')
    with pytest.raises(ValueError, match='onnxruntime backend runs the '
                       'float32 graph'):
        resolve_cpu_bf16(True, cpu, 'onnxruntime')


def test_two_forwards_at_once_give_the_masks_of_one(tiny):
    """segment_video with two model workers: the frames of one worker, in
    order, with the resumed frames left out, and PyTorch's thread count
    shared between the workers only while the video runs."""
    rng = np.random.default_rng(5)
    frames = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
              for _ in range(7)]
    threads = torch.get_num_threads()
    seen = []
    results = {}
    for workers in (1, 2):
        segmenter = VideoSegmenter(*tiny, cpu_bf16=False,
                                   flow_directions='both',
                                   model_workers=workers)
        assert segmenter.model_workers == workers
        forward = segmenter.model.inference

        def inference(*args, forward=forward):
            seen.append((workers, torch.get_num_threads()))
            return forward(*args)

        segmenter.model.inference = inference
        results[workers] = list(segmenter.segment_video(
            frames, skip=lambda t: t in (0, 4), batch_size=2))
        assert torch.get_num_threads() == threads
    assert [t for t, _, _ in results[2]] == [1, 2, 3, 5, 6]
    for (t1, m1, p1), (t2, m2, p2) in zip(results[1], results[2]):
        assert t1 == t2
        np.testing.assert_array_equal(m1, m2)
        np.testing.assert_allclose(p1, p2, rtol=0, atol=1e-5)
    assert {n for w, n in seen if w == 1} == {threads}
    assert {n for w, n in seen if w == 2} == {max(1, threads // 2)}


def test_closing_a_video_early_restores_the_threads(tiny):
    rng = np.random.default_rng(6)
    frames = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
              for _ in range(6)]
    threads = torch.get_num_threads()
    segmenter = VideoSegmenter(*tiny, model_workers=2)
    stream = segmenter.segment_video(frames)
    assert next(stream)[0] == 0
    stream.close()
    assert torch.get_num_threads() == threads
    assert not [t for t in threading.enumerate()
                if t.name.startswith('hfan-model')]


def test_model_workers_default_and_bad_values():
    from hfan.apis.inference import resolve_model_workers
    cpu, cuda = torch.device('cpu'), torch.device('cuda')
    expected = 2 if torch.get_num_threads() >= 2 else 1
    assert resolve_model_workers(None, cpu, 'torch') == expected
    assert resolve_model_workers(None, cpu, 'onnxruntime') == 1
    assert resolve_model_workers(None, cuda, 'torch') == 1
    assert resolve_model_workers(3, cpu, 'torch') == 3
    for bad in (0, -1, 1.5, 'two', True):
        with pytest.raises(ValueError, match=f'got {bad!r}'):
            resolve_model_workers(bad, cpu, 'torch')
