"""HFAN model: six variants, fusion modules and the dual-stream encoder."""
import copy

import pytest
import torch
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from testkit import MIT_B0, MIT_B0_CHANNELS, make_batch, tiny_model_cfg

import hfan  # noqa: F401
from hfan.models import (
    FUSION_BY_METHOD,
    AlignedAdaptation,
    FeatureAdaptation,
    FeatureAlignment,
)

init_default_scope('mmseg')
METHODS = ['im', 'fw', 'base', 'fam', 'fat', 'hfan']


@pytest.mark.parametrize('method', METHODS)
def test_variant_forward_backward(method):
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(method))
    model.init_weights()
    model.train()
    data = model.data_preprocessor(make_batch(), training=True)
    # Head logits come out at stride 4 of the input.
    logits = model._forward(data['inputs'], data['data_samples'])
    assert logits.shape == (2, 2, 16, 16)
    losses = model.loss(data['inputs'], data['data_samples'])
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(loss)
    loss.backward()
    missing = [
        name for name, p in model.named_parameters()
        if p.requires_grad and (p.grad is None
                                or not torch.isfinite(p.grad).all())
    ]
    assert not missing, f'{method}: no/invalid gradient for {missing[:5]}'
    fusion = model.decode_head.fusions[0]
    assert type(fusion).__name__ == FUSION_BY_METHOD[method]


@pytest.mark.parametrize('method', ['im', 'fw'])
def test_single_stream_variants_ignore_the_other_stream(method):
    """`im` sees only the frame (channels 0:3), `fw` only the flow (3:6):
    changing the other half leaves the logits unchanged, changing the used
    half changes them."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(method)).eval()
    x = model.data_preprocessor(make_batch(), training=False)['inputs']
    used, other = ((slice(0, 3), slice(3, 6)) if method == 'im' else
                   (slice(3, 6), slice(0, 3)))
    y, z = x.clone(), x.clone()
    y[:, other] = torch.randn_like(y[:, other])
    z[:, used] = torch.randn_like(z[:, used])
    with torch.no_grad():
        a, b, c = (model._forward(t) for t in (x, y, z))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert (a - c).abs().max() > 1e-3


def test_base_is_the_decoder_on_summed_stream_features():
    """`base` = SegFormer's decoder applied to frame features + flow
    features, each from the shared backbone run on one stream alone. The
    decoder is taken from an `im` model with the same weights (same keys):
    `im` decodes the frame half, here set to the sum."""
    torch.manual_seed(0)
    base = MODELS.build(tiny_model_cfg('base')).eval()
    im = MODELS.build(tiny_model_cfg('im')).eval()
    im.load_state_dict(base.state_dict())
    x = base.data_preprocessor(make_batch(), training=False)['inputs']
    with torch.no_grad():
        mit = base.backbone.backbone
        summed = [f + g for f, g in zip(mit(x[:, :3]), mit(x[:, 3:]))]
        expected = im.decode_head(
            [torch.cat([s, torch.zeros_like(s)]) for s in summed])
        got = base._forward(x)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_decoder_concatenates_levels_deepest_first():
    """SegFormer's decoder (docs/checkpoints.md 3.6): every level projected
    to E, levels 2-4 resized to level 1's size, concatenated as
    [c4, c3, c2, c1] before the fuse conv. Projections that output their
    level number s (zero weights, bias s) must give channel blocks 4, 3, 2,
    1, each constant over level 1's grid. (The head's forward computes the
    same function in another order: test_fast_inference.py.)"""
    torch.manual_seed(0)
    head = MODELS.build(tiny_model_cfg('im')).decode_head.eval()
    e = head.channels
    for level, projection in enumerate(head.projections, 1):
        torch.nn.init.zeros_(projection.weight)
        torch.nn.init.constant_(projection.bias, float(level))
    seen = {}
    def keep_input(module, args, out):
        seen['input'] = args[0]  # returns None: the output is kept

    head.fusion_conv.register_forward_hook(keep_input)
    sizes = [(16, 20), (8, 10), (4, 5), (2, 3)]
    feats = [torch.randn(2, c, h, w)
             for c, (h, w) in zip(MIT_B0_CHANNELS, sizes)]
    with torch.no_grad():
        logits = head.cls_seg(
            head._decode_upsampling_first(head.fuse_levels(feats), (16, 20)))
    x = seen['input']
    assert x.shape == (1, 4 * e, 16, 20) and logits.shape[2:] == (16, 20)
    for block, level in enumerate((4, 3, 2, 1)):
        torch.testing.assert_close(
            x[:, block * e:(block + 1) * e],
            torch.full((1, e, 16, 20), float(level)), rtol=0, atol=1e-6)


def test_variant_predict_shapes():
    model = MODELS.build(tiny_model_cfg('hfan')).eval()
    data = model.data_preprocessor(make_batch(size=(40, 72)), training=False)
    with torch.no_grad():
        results = model.predict(data['inputs'], data['data_samples'])
    assert results[0].pred_sem_seg.data.shape == (1, 40, 72)
    logits = results[0].seg_logits.data
    assert logits.shape == (2, 40, 72)
    # the mask is the argmax of the logits at the input size, and those
    # logits are the head's stride-4 output resized (bilinear) to it
    torch.testing.assert_close(results[0].pred_sem_seg.data[0],
                               logits.argmax(dim=0), rtol=0, atol=0)
    with torch.no_grad():
        head = model._forward(data['inputs'])  # (2, 2, 10, 18)
    assert head.shape == (2, 2, 10, 18)
    torch.testing.assert_close(
        logits, torch.nn.functional.interpolate(
            head[:1], size=(40, 72), mode='bilinear',
            align_corners=False)[0],
        rtol=1e-5, atol=1e-5)


def test_dual_stream_encoder_shares_weights():
    """Frame and flow halves are the backbone run on each image alone."""
    torch.manual_seed(0)
    encoder = MODELS.build(
        dict(type='DualStreamEncoder', backbone=dict(MIT_B0))).eval()
    frame, flow = torch.randn(2, 3, 64, 64), torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        feats = encoder(torch.cat([frame, flow], dim=1))
        alone_frame = encoder.backbone(frame)
        alone_flow = encoder.backbone(flow)
    assert [f.shape[1] for f in feats] == MIT_B0_CHANNELS
    for level, feat in enumerate(feats):
        assert feat.shape[0] == 4  # 2B: frames first, then flows
        torch.testing.assert_close(feat[:2], alone_frame[level],
                                   atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(feat[2:], alone_flow[level],
                                   atol=1e-5, rtol=1e-5)


def test_original_mit_norm_eps():
    backbone = MODELS.build(dict(MIT_B0))
    patch_norms = [layer[0].norm.eps for layer in backbone.layers]
    assert patch_norms == [1e-5] * 4
    for i, layer in enumerate(backbone.layers):
        for block in layer[1]:
            assert block.norm1.eps == 1e-6 and block.norm2.eps == 1e-6
            if i < 3:  # stages with spatial reduction (sr > 1)
                assert block.attn.norm.eps == 1e-5
        assert layer[2].eps == 1e-6


def test_feature_adaptation_equal_weights_is_sum():
    """With a zero gate logit, w = 0.5 and FAT reduces to frame + flow."""
    fat = FeatureAdaptation(32).eval()
    for branch in (fat.local_branch, fat.global_branch):
        torch.nn.init.zeros_(branch[-1].weight)
        torch.nn.init.zeros_(branch[-1].bias)
    frame, flow = torch.randn(2, 32, 5, 7), torch.randn(2, 32, 5, 7)
    with torch.no_grad():
        out = fat(frame, flow)
    torch.testing.assert_close(out, frame + flow)


def test_feature_adaptation_gate_formula():
    """out = 2 * frame * w + 2 * flow * (1 - w) with w = sigmoid(ca + pa)."""
    fat = FeatureAdaptation(32).eval()
    for branch in (fat.local_branch, fat.global_branch):
        torch.nn.init.zeros_(branch[-1].weight)
        torch.nn.init.constant_(branch[-1].bias, 0.5)  # ca = pa = 0.5
    frame, flow = torch.randn(1, 32, 3, 3), torch.randn(1, 32, 3, 3)
    w = torch.sigmoid(torch.tensor(1.0))
    with torch.no_grad():
        out = fat(frame, flow)
    torch.testing.assert_close(out, 2 * frame * w + 2 * flow * (1 - w))


def _poc_by_hand(fam, frame, x):
    """FAM's object-context attention on ``x`` (frame or flow features) with
    the class centres pooled from ``frame`` (docs/checkpoints.md, section 3):
    CSS = softmax over pixels of the ReLU'd 2-class map, key / value from
    the centres, query from ``x``, scale 16^-1/2, softmax over the 2
    centres, out-projection, bottleneck on [context, x]."""
    b, _, h, w = x.shape
    inner = fam.object_context.key_project[0].conv.out_channels
    probs = torch.relu(fam.object_pred.conv(frame)).flatten(2)
    weights = probs.softmax(dim=2)  # (B, 2, HW)
    centres = torch.einsum('bkn,bcn->bck', weights, frame.flatten(2))
    centres = centres.unsqueeze(-1)  # (B, C, 2, 1)
    block = fam.object_context
    q = block.query_project(x).flatten(2).transpose(1, 2)
    k = block.key_project(centres).flatten(2)  # (B, 16, 2)
    v = block.value_project(centres).flatten(2).transpose(1, 2)
    attn = (q @ k / inner**0.5).softmax(dim=-1)  # over the 2 centres
    ctx = (attn @ v).transpose(1, 2).reshape(b, inner, h, w)
    ctx = block.out_project(ctx)
    return block.bottleneck(torch.cat([ctx, x], dim=1))


def test_feature_alignment_attention_by_hand():
    """FAM against the published formulas (docs/checkpoints.md, section 3)."""
    torch.manual_seed(0)
    fam = FeatureAlignment(32, 16).eval()
    frame, flow = torch.randn(2, 32, 4, 5), torch.randn(2, 32, 4, 5)
    with torch.no_grad():
        expected = _poc_by_hand(fam, frame, frame) + _poc_by_hand(
            fam, frame, flow)
        torch.testing.assert_close(fam(frame, flow), expected, atol=1e-5,
                                   rtol=1e-5)


def _bottleneck_by_hand(convs_and_norms, x):
    """The published FAT branch written out: conv+bias -> ReLU -> BN ->
    ReLU -> conv+bias -> ReLU -> BN (eval-mode BN with running stats)."""
    conv1, bn1, _, conv2, bn2 = convs_and_norms

    def bn(m, t):
        return torch.nn.functional.batch_norm(
            t, m.running_mean, m.running_var, m.weight, m.bias, False, 0.0,
            m.eps)

    def conv(m, t):
        return torch.nn.functional.conv2d(t, m.conv.weight, m.conv.bias)

    t = bn(bn1, torch.relu(conv(conv1, x)))
    return bn(bn2, torch.relu(conv(conv2, torch.relu(t))))


def test_hfan_fusion_is_fat_of_fam():
    """HFAN (docs/checkpoints.md 3.5): a = POC(frame), b = POC(flow) with the
    frame's class centres, f = a + b, w = sigmoid(CA(f) + PA(f)) (PA after
    global average pooling, broadcast), out = 2a*w + 2b*(1-w): a and b in
    this order (the frame-aligned map carries w)."""
    torch.manual_seed(0)
    fusion = AlignedAdaptation(32).eval()
    fat = fusion.adaptation
    for bn in fusion.modules():  # non-trivial running statistics
        if isinstance(bn, torch.nn.BatchNorm2d):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
    frame, flow = torch.randn(2, 32, 4, 5), torch.randn(2, 32, 4, 5)
    with torch.no_grad():
        a = _poc_by_hand(fusion.alignment, frame, frame)
        b = _poc_by_hand(fusion.alignment, frame, flow)
        f = a + b
        ca = _bottleneck_by_hand(list(fat.local_branch), f)
        pooled = f.mean(dim=(2, 3), keepdim=True)
        pa = _bottleneck_by_hand(list(fat.global_branch)[1:], pooled)
        w = torch.sigmoid(ca + pa)
        expected = 2 * a * w + 2 * b * (1 - w)
        torch.testing.assert_close(fusion(frame, flow), expected, rtol=1e-5,
                                   atol=1e-5)
        swapped = 2 * b * w + 2 * a * (1 - w)
        assert (fusion(frame, flow) - swapped).abs().max() > 1e-3


def test_unknown_select_method():
    with pytest.raises(ValueError, match=r"select_method 'sum'.*'base'"):
        MODELS.build(tiny_model_cfg('sum'))


def test_channel_mismatch_names_widths():
    cfg = tiny_model_cfg('hfan')
    cfg['decode_head']['in_channels'] = [64, 128, 320, 512]  # MiT-b1 widths
    model = MODELS.build(cfg)
    data = model.data_preprocessor(make_batch(), training=False)
    with pytest.raises(ValueError, match=r'32, 64, 160, 256'):
        model._forward(data['inputs'])


def test_three_channel_input_is_refused():
    model = MODELS.build(tiny_model_cfg('hfan'))
    with pytest.raises(ValueError, match=r'\(B, 6, H, W\)'):
        model.extract_feat(torch.randn(1, 3, 64, 64))
    with pytest.raises(ValueError, match=r'6, H, W'):
        model.data_preprocessor(
            dict(inputs=[torch.zeros(3, 8, 8, dtype=torch.uint8)]))


def test_preprocessor_normalises_each_half_as_rgb():
    """BGR->RGB per half, then (x - mean) / std with ImageNet statistics."""
    pre = MODELS.build(dict(type='FrameFlowDataPreProcessor'))
    bgr = torch.tensor([10, 20, 30, 200, 100, 50],
                       dtype=torch.uint8).view(6, 1, 1).expand(6, 2, 2)
    out = pre(dict(inputs=[bgr.clone()]))['inputs'][0, :, 0, 0]
    mean = [123.675, 116.28, 103.53]
    std = [58.395, 57.12, 57.375]
    rgb = [30, 20, 10, 50, 100, 200]
    expected = [(v - mean[i % 3]) / std[i % 3] for i, v in enumerate(rgb)]
    torch.testing.assert_close(out, torch.tensor(expected))
    # bit for bit the float32 arithmetic (x - mean) / std, for uint8 and
    # float inputs, and the caller's float tensor is left as it was
    images = torch.randint(0, 256, (6, 5, 7), dtype=torch.uint8)
    mean6 = torch.tensor(mean * 2).view(6, 1, 1)
    std6 = torch.tensor(std * 2).view(6, 1, 1)
    rgb_order = [2, 1, 0, 5, 4, 3]
    exact = (images[rgb_order].float() - mean6) / std6
    for given in (images, images.float()):
        before = given.clone()
        assert torch.equal(pre.normalize(given), exact)
        assert torch.equal(given, before)
    as_is = MODELS.build(dict(type='FrameFlowDataPreProcessor',
                              bgr_to_rgb=False))
    given = images.float()
    assert torch.equal(as_is.normalize(given), (given - mean6) / std6)
    assert torch.equal(given, images.float())
    # statistics written as integers (no normalisation): float32 values
    identity = MODELS.build(dict(type='FrameFlowDataPreProcessor',
                                 mean=[0, 0, 0], std=[1, 1, 1]))
    assert torch.equal(identity.normalize(images),
                       images[rgb_order].float())
    with pytest.raises(ValueError, match='3 values'):
        MODELS.build(dict(type='FrameFlowDataPreProcessor', mean=[1, 2]))


def test_fusion_modules_are_per_level():
    model = MODELS.build(tiny_model_cfg('fam'))
    widths = [
        f.object_pred.conv.in_channels for f in model.decode_head.fusions
    ]
    assert widths == MIT_B0_CHANNELS
    # the deepest level has the widest attention bottleneck input (2C)
    last = model.decode_head.fusions[-1].object_context.bottleneck.conv
    assert last.in_channels == 2 * 256 and last.out_channels == 256
    assert copy.deepcopy(model) is not None


# ---------------------------------------------------------------------------
# MiT initialisation (init_cfg type='Pretrained') from whole checkpoints
# ---------------------------------------------------------------------------
def _random_mit_weights(seed):
    """MiT-b0 tensors unlike any initialisation: N(0, 1) everywhere."""
    g = torch.Generator().manual_seed(seed)
    mit = MODELS.build(dict(MIT_B0))
    return {k: torch.randn(v.shape, generator=g)
            for k, v in mit.state_dict().items()}


def _mit_initialised_from(path, **init):
    mit = MODELS.build(
        dict(MIT_B0, init_cfg=dict(type='Pretrained', checkpoint=str(path),
                                   **init)))
    mit.init_weights()
    return mit.state_dict()


def _assert_same_tensors(state, expected):
    assert sorted(state) == sorted(expected)
    for key, value in expected.items():
        assert torch.equal(state[key], value), key


def test_mit_initialises_from_whole_segmentor_checkpoints(tmp_path):
    """An HFAN checkpoint (MiT under `backbone.backbone.`, head, meta) and
    an MMSeg SegFormer checkpoint (MiT under `backbone.`): the backbone gets
    exactly the saved MiT tensors, nothing of the head."""
    weights = _random_mit_weights(1)
    hfan_model = MODELS.build(tiny_model_cfg('hfan'))
    hfan_model.backbone.backbone.load_state_dict(weights)
    path = tmp_path / 'hfan.pth'
    torch.save({'state_dict': hfan_model.state_dict(),
                'meta': dict(iter=4)}, path)
    _assert_same_tensors(_mit_initialised_from(path), weights)

    other = _random_mit_weights(2)
    segformer = MODELS.build(dict(
        type='EncoderDecoder',
        backbone=dict(MIT_B0),
        decode_head=dict(type='SegformerHead', in_channels=MIT_B0_CHANNELS,
                         in_index=[0, 1, 2, 3], channels=32, num_classes=2),
        test_cfg=dict(mode='whole')))
    segformer.backbone.load_state_dict(other)
    assert any(k.startswith('decode_head.')
               for k in segformer.state_dict())
    path = tmp_path / 'segformer.pth'
    torch.save({'state_dict': segformer.state_dict()}, path)
    _assert_same_tensors(_mit_initialised_from(path), other)


def test_mit_init_cfg_prefix_selects_the_weights(tmp_path):
    """Two MiTs in one file under non-standard prefixes: init_cfg's
    `prefix` (with or without its trailing dot) picks which one."""
    teacher, student = _random_mit_weights(3), _random_mit_weights(4)
    state = {f'teacher.encoder.{k}': v for k, v in teacher.items()}
    state.update({f'student.encoder.{k}': v for k, v in student.items()})
    state['teacher.classifier.weight'] = torch.zeros(2, 256)
    path = tmp_path / 'distill.pth'
    torch.save({'state_dict': state}, path)
    _assert_same_tensors(
        _mit_initialised_from(path, prefix='teacher.encoder'), teacher)
    _assert_same_tensors(
        _mit_initialised_from(path, prefix='student.encoder.'), student)
