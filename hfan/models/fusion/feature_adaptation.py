"""FAT: adaptive per-pixel, per-channel weighting of the two modalities."""
from typing import Optional

import torch
from mmcv.cnn import ConvModule, build_norm_layer
from mmseg.registry import MODELS
from torch import Tensor, nn

from ..folding import batch_norm_affine, fold_conv_module, folding_applies


def _gate_branch(channels: int, inner_channels: int, norm_cfg: dict,
                 pooled: bool) -> nn.Sequential:
    # conv+bias -> ReLU -> BN -> ReLU -> conv+bias -> ReLU -> BN, as published
    # (a ConvModule without norm still applies mmcv's default ReLU).
    layers = [
        ConvModule(channels, inner_channels, 1),
        build_norm_layer(norm_cfg, inner_channels)[1],
        nn.ReLU(inplace=True),
        ConvModule(inner_channels, channels, 1),
        build_norm_layer(norm_cfg, channels)[1],
    ]
    if pooled:
        layers.insert(0, nn.AdaptiveAvgPool2d(1))
    return nn.Sequential(*layers)


@MODELS.register_module()
class FeatureAdaptation(nn.Module):
    """Feature AdaptaTion module (FAT) of HFAN.

    With ``f = frame + flow``, a gate ``w = sigmoid(local(f) + global(f))``
    weights the two modalities per pixel and channel:
    ``out = 2 * frame * w + 2 * flow * (1 - w)`` (so equal weights give the
    baseline sum). ``local_branch`` works at full resolution; ``global_branch``
    is the same bottleneck after global average pooling and broadcasts over
    the pixels.

    Args:
        channels (int): Channels C of the level's features.
        inner_channels (int): Bottleneck width (published: 16).
        norm_cfg (dict): Norm of the bottlenecks (published: BN).

    Shapes:
        frame, flow: (B, C, h, w) -> (B, C, h, w)
    """

    def __init__(self, channels: int, inner_channels: int = 16,
                 norm_cfg: dict = dict(type='BN')):
        super().__init__()
        self.local_branch = _gate_branch(channels, inner_channels, norm_cfg,
                                         pooled=False)
        self.global_branch = _gate_branch(channels, inner_channels, norm_cfg,
                                          pooled=True)

    def gate(self, frame: Tensor, flow: Tensor) -> Tensor:
        """The frame's weight w in [0, 1], (B, C, h, w)."""
        if folding_applies(self, flow):
            weight = self._gate_folded(frame, flow)
            if weight is not None:
                return weight
        both = frame + flow
        return (self.local_branch(both) + self.global_branch(both)).sigmoid()

    def forward(self, frame: Tensor, flow: Tensor) -> Tensor:
        weight = self.gate(frame, flow)
        if folding_applies(self, flow):
            # the same as below to float rounding, as 2 * (flow + w * (frame
            # - flow)) in place on a new tensor: four passes, not six
            out = torch.sub(frame, flow)
            return out.mul_(weight).add_(flow).mul_(2)
        return 2 * frame * weight + 2 * flow * (1 - weight)

    def _gate_folded(self, frame: Tensor, flow: Tensor) -> Optional[Tensor]:
        """:meth:`gate` with the local branch's convs and norms folded into
        matrix products and its arithmetic in place (None where a layer
        does not fold): the same function to float rounding."""
        local = self.local_branch
        if len(local) != 5 or type(local[2]) is not nn.ReLU:
            return None
        first, second = fold_conv_module(local[0]), fold_conv_module(local[3])
        middle, last = batch_norm_affine(local[1]), batch_norm_affine(local[4])
        if None in (first, second, middle, last):
            return None
        batch, channels, height, width = flow.shape
        both = (frame + flow).contiguous()
        pooled = self.global_branch(both).view(batch, channels, 1)
        hidden = first(both.view(batch, channels, height * width))  # (B, D, N)
        hidden.mul_(middle[0][:, None]).add_(middle[1][:, None]).relu_()
        weight = second(hidden)  # conv + bias + ReLU, (B, C, N)
        weight.mul_(last[0][:, None]).add_(last[1][:, None] + pooled)
        return weight.sigmoid_().view(batch, channels, height, width)
