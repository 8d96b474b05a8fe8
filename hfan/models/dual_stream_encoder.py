"""A backbone that encodes a frame and its optical-flow image with shared weights."""
from typing import List, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.registry import MODELS


@MODELS.register_module()
class DualStreamEncoder(BaseModule):
    """Run one MMSeg backbone over the frame and the flow image of a sample.

    HFAN feeds a 6-channel stack (frame first, then the colour-coded flow,
    each normalised RGB). Both halves go through the SAME backbone in one
    pass: they are concatenated along the batch dimension, so every feature
    level comes out for ``2B`` images, the first ``B`` being the frames and
    the last ``B`` the flows. The decode head splits them back. Sharing one
    backbone keeps the parameter count of a single-stream model and lets any
    MMSeg backbone (MiT, ResNet, Swin, ...) serve unchanged.

    Args:
        backbone (dict): Config of the wrapped MMSeg backbone (3-channel input).
        stream_channels (int): Channels of each stream. Default: 3.
        init_cfg (dict, optional): Initialisation config of this wrapper; the
            wrapped backbone keeps its own ``init_cfg``.

    Shapes:
        input: (B, 2 * stream_channels, H, W)
        output: tuple of (2B, C_i, H / s_i, W / s_i), one per backbone level.
    """

    def __init__(self, backbone: dict, stream_channels: int = 3,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.stream_channels = stream_channels
        self.backbone = MODELS.build(backbone)

    def forward(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        expected = 2 * self.stream_channels
        if inputs.dim() != 4 or inputs.size(1) != expected:
            raise ValueError(
                f'DualStreamEncoder expects a (B, {expected}, H, W) batch: '
                f'the frame ({self.stream_channels} channels) stacked with '
                f'its flow image ({self.stream_channels} channels), frame '
                f'first; got shape {tuple(inputs.shape)}. Load samples with '
                f'the LoadFrameAndFlow transform.')
        frames, flows = inputs.split(self.stream_channels, dim=1)
        feats = self.backbone(torch.cat([frames, flows], dim=0))
        return tuple(feats)


def split_streams(feature: Tensor) -> List[Tensor]:
    """Split a (2B, C, h, w) dual-stream feature into [frame, flow] halves."""
    if feature.size(0) % 2:
        raise ValueError(
            'a dual-stream feature must hold 2B samples (frames then flows); '
            f'got an odd batch of {feature.size(0)}')
    return list(feature.chunk(2, dim=0))
