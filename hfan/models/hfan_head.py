"""The HFAN decode head: per-level frame/flow fusion + SegFormer's MLP decoder.

Attribution: the decoder follows SegFormer's all-MLP head (E. Xie, W. Wang,
Z. Yu, A. Anandkumar, J. M. Alvarez, P. Luo, "SegFormer: Simple and
Efficient Design for Semantic Segmentation with Transformers", NeurIPS
2021), as released in NVlabs/SegFormer (NVIDIA Source Code License for
SegFormer, non-commercial) and as MMSegmentation implements it in
``mmseg.models.decode_heads.SegformerHead`` (Apache-2.0). The fusion
modules are HFAN's (Pei et al., ECCV 2022); see ``hfan/models/fusion/``.
"""
from typing import List, Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor, nn

from .dual_stream_encoder import is_tracing, split_streams
from .folding import batch_norm_affine
from .fusion import FUSION_BY_METHOD, PARAMETER_FREE_METHODS


@MODELS.register_module()
class HFANHead(BaseDecodeHead):
    """HFAN head (Pei et al., ECCV 2022) on dual-stream features.

    For each backbone level the (2B, C_i, h_i, w_i) feature is split into its
    frame and flow halves and fused by the module that ``select_method``
    chooses (see ``FUSION_BY_METHOD``): ``im``/``fw`` keep one stream,
    ``base`` sums them, ``fam`` aligns them (FAM), ``fat`` weights them
    adaptively (FAT) and ``hfan`` does both. All variants share one decoder,
    SegFormer's all-MLP head: a linear projection of every fused level to
    ``channels`` (E), bilinear upsampling to the first level's size,
    concatenation in the order [c4, c3, c2, c1], a 1x1 conv-norm-ReLU back
    to E, dropout and the 1x1 classifier (``conv_seg``).

    Args:
        select_method (str): One of 'im', 'fw', 'base', 'fam', 'fat', 'hfan'.
        fusion_inner_channels (int): Inner width of FAM/FAT (published: 16).
        fusion_norm_cfg (dict): Norm inside FAM/FAT (published: plain BN).
        interpolate_mode (str): Upsampling mode of the levels.
        **kwargs: ``BaseDecodeHead`` arguments; ``in_channels`` lists the four
            backbone widths and ``channels`` is the embedding width E.

    Shapes:
        inputs: 4 tensors (2B, C_i, H/s_i, W/s_i), frames then flows
        output: (B, num_classes, H/s_1, W/s_1) logits
    """

    def __init__(self,
                 select_method: str = 'hfan',
                 fusion_inner_channels: int = 16,
                 fusion_norm_cfg: dict = dict(type='BN'),
                 interpolate_mode: str = 'bilinear',
                 **kwargs):
        if select_method not in FUSION_BY_METHOD:
            raise ValueError(
                f'unknown select_method {select_method!r}; choose one of '
                f'{sorted(FUSION_BY_METHOD)} (im: frame only, fw: flow only, '
                'base: sum, fam: alignment, fat: adaptation, hfan: both)')
        kwargs.setdefault('input_transform', 'multiple_select')
        super().__init__(**kwargs)
        self.select_method = select_method
        self.interpolate_mode = interpolate_mode
        fusion = dict(type=FUSION_BY_METHOD[select_method])
        if select_method not in PARAMETER_FREE_METHODS:
            fusion.update(inner_channels=fusion_inner_channels,
                          norm_cfg=fusion_norm_cfg)
        self.fusions = nn.ModuleList(
            MODELS.build(dict(fusion, channels=channels))
            for channels in self.in_channels)
        # SegFormer's per-level "MLP" is a linear layer on the tokens, i.e. a
        # 1x1 convolution with bias and no norm/activation.
        self.projections = nn.ModuleList(
            nn.Conv2d(channels, self.channels, 1)
            for channels in self.in_channels)
        self.fusion_conv = ConvModule(
            self.channels * len(self.in_channels),
            self.channels,
            1,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)

    def _check_inputs(self, inputs: Sequence[Tensor]) -> None:
        for level, (feat, expected) in enumerate(
                zip(inputs, self.in_channels)):
            if feat.size(1) != expected:
                got = [f.size(1) for f in inputs]
                raise ValueError(
                    f'HFANHead level {level + 1} expects {expected} channels '
                    f'but the backbone gives {feat.size(1)}: decode_head.'
                    f'in_channels={list(self.in_channels)} does not match '
                    f'the backbone widths {got}. Set decode_head.in_channels '
                    f'to {got} (e.g. MiT-b0: [32, 64, 160, 256]; '
                    'MiT-b1..b5: [64, 128, 320, 512]).')

    def fuse_levels(self, inputs: Sequence[Tensor]) -> List[Tensor]:
        """Fuse the frame and flow halves of every level.

        Returns 4 tensors (B, C_i, h_i, w_i)."""
        inputs = self._transform_inputs(inputs)
        self._check_inputs(inputs)
        return [
            fusion(*split_streams(feat))
            for fusion, feat in zip(self.fusions, inputs)
        ]

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        fused = self.fuse_levels(inputs)
        size = fused[0].shape[2:]
        conv = self.fusion_conv.conv
        if (type(conv) is not nn.Conv2d or conv.kernel_size != (1, 1)
                or self.fusion_conv.order[0] != 'conv'):
            return self.cls_seg(self._decode_upsampling_first(fused, size))
        # SegFormer's decoder as written projects every level, upsamples it
        # to stride 4, concatenates and applies a 1x1 conv there. Both 1x1
        # convs and the upsampling are linear, and interpolation weights sum
        # to one, so the conv's slice for a level commutes with the
        # upsampling: each level gets ONE 1x1 conv (projection, then its
        # slice) at its own resolution, and the upsampled results are
        # summed. Same function and parameters (to float rounding); the
        # wide conv over 4E channels at stride 4 (the costliest op of the
        # head) is gone.
        slices = conv.weight.flatten(1).split(self.channels, dim=1)[::-1]
        # The conv's bias and, in eval mode, the norm's affine map (BN's
        # running statistics) act on the sum, per channel: they are folded
        # into the levels' weights and level 1's bias, so the stride-4 map
        # is not read and written twice more (same function, to float
        # rounding).
        bias = conv.bias
        affine = self._norm_as_affine()
        if affine is not None:
            scale, shift = affine
            slices = [scale[:, None] * weight for weight in slices]
            bias = shift if bias is None else scale * bias + shift
        merged = [weight @ projection.weight.flatten(1)  # (E, C_i)
                  for projection, weight in zip(self.projections, slices)]
        biases = [weight @ projection.bias
                  for projection, weight in zip(self.projections, slices)]
        if bias is not None:
            biases[0] = biases[0] + bias
        if fused[0].device.type == 'cpu' and any(
                feat.shape[2:] != size for feat in fused):
            out = self._sum_levels_channels_last(fused, merged, biases, size)
        else:
            out = None
            for weight, level_bias, feat in zip(merged, biases, fused):
                level = self._upsample(
                    F.conv2d(feat, weight[:, :, None, None], level_bias),
                    size)
                # (in place: the sum is this loop's own tensor, and neither
                # the conv nor the upsampling needs its output for a
                # backward)
                out = level if out is None else out.add_(level)
        out = self._norm_and_activation(out, norm=affine is None)
        return self.cls_seg(out).contiguous()

    def _sum_levels_channels_last(self, fused: List[Tensor],
                                  weights: List[Tensor], biases: List[Tensor],
                                  size) -> Tensor:
        """``sum_i upsample(weights[i] @ fused[i] + biases[i])`` as a
        channels-last (B, E, H, W) map, for a CPU.

        PyTorch's bilinear upsampling of an E-channel map is ~6x faster
        channels-last (one vector op per output pixel over the channels),
        and the norm, activation and classifier that follow take it as it
        is (the head ~1.2x faster, forward and backward: docs/deployment.md).
        Each level's 1x1 conv is a batched product on the (B, C_i, h*w)
        feature read transposed, which writes the channels-last map
        directly; the levels below stride 4 are upsampled and summed first,
        and the stride-4 level's product is accumulated into that sum
        (in place), its bias moved to the deepest level (interpolation
        weights sum to one): the stride-4 map is not copied to
        channels-last, filled with a bias and added. Same function to float
        rounding.
        """
        num = len(fused)
        full = [i for i in range(num) if fused[i].shape[2:] == size]
        low = [i for i in reversed(range(num)) if i not in full]
        biases = list(biases)
        biases[low[0]] = biases[low[0]] + sum(biases[i] for i in full)
        out = None
        for i in low:
            feat = fused[i]
            batch, channels, height, width = feat.shape
            level = torch.baddbmm(
                biases[i], feat.reshape(batch, channels, -1).transpose(1, 2),
                weights[i].t().expand(batch, -1, -1))  # (B, h*w, E)
            level = self._upsample(
                level.view(batch, height, width, -1).permute(0, 3, 1, 2),
                size)
            out = level if out is None else out.add_(level)
        out = out.contiguous(memory_format=torch.channels_last)  # (a no-op
        # after bilinear upsampling)
        batch, embed, height, width = out.shape
        tokens = out.permute(0, 2, 3, 1).reshape(batch, -1, embed)
        tracing = is_tracing()
        for i in full:
            feat = fused[i]
            args = (feat.reshape(batch, feat.shape[1], -1).transpose(1, 2),
                    weights[i].t().expand(batch, -1, -1))
            # in place where it can be (no new stride-4 map); a trace (ONNX
            # export) would not carry an in-place product on a view back to
            # the map it views
            tokens = (torch.baddbmm(tokens, *args)
                      if tracing else tokens.baddbmm_(*args))
        return tokens.view(batch, height, width, embed).permute(0, 3, 1, 2)

    def _norm_as_affine(self):
        """``fusion_conv``'s norm as a per-channel ``(scale, shift)``,
        ``norm(x) = scale * x + shift``, where it is one: a BatchNorm with
        running statistics in eval mode, right after the conv. ``None``
        otherwise (training, another norm or order, no norm)."""
        module = self.fusion_conv
        if (self.training or not module.with_norm
                or module.order[1] != 'norm'):
            return None
        return batch_norm_affine(module.norm)

    def _decode_upsampling_first(self, fused: List[Tensor],
                                 size) -> Tensor:
        """The decoder as SegFormer writes it (any ``conv_cfg``)."""
        projected = [
            self._upsample(projection(feat), size)
            for projection, feat in zip(self.projections, fused)
        ]
        # SegFormer concatenates the deepest level first: [c4, c3, c2, c1].
        return self.fusion_conv(torch.cat(projected[::-1], dim=1))

    def _upsample(self, feat: Tensor, size) -> Tensor:
        """``feat`` at level 1's ``size`` (the head's interpolation)."""
        if feat.shape[2:] == size:
            return feat
        return resize(
            feat,
            size=size,
            mode=self.interpolate_mode,
            align_corners=self.align_corners)

    def _norm_and_activation(self, x: Tensor, norm: bool = True) -> Tensor:
        """``fusion_conv`` after its conv: norm (unless folded: ``norm``
        False) and activation in its order."""
        module = self.fusion_conv
        for layer in module.order:
            if layer == 'norm' and module.with_norm and norm:
                x = module.norm(x)
            elif layer == 'act' and module.with_activation:
                x = module.activate(x)
        return x
