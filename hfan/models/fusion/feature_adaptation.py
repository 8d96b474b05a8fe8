"""FAT: adaptive per-pixel, per-channel weighting of the two modalities."""
from mmcv.cnn import ConvModule, build_norm_layer
from mmseg.registry import MODELS
from torch import Tensor, nn


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
        both = frame + flow
        return (self.local_branch(both) + self.global_branch(both)).sigmoid()

    def forward(self, frame: Tensor, flow: Tensor) -> Tensor:
        weight = self.gate(frame, flow)
        return 2 * frame * weight + 2 * flow * (1 - weight)
