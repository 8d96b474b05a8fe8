"""Parameter-free fusions of the ablation: one stream alone, or both summed.

Like every fusion they are built per level from the level's width
``channels`` (unused here), and take no other argument.
"""
from mmseg.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class FrameStream(nn.Module):
    """``select_method='im'``: keep the frame features, ignore the flow."""

    def __init__(self, channels: int):
        super().__init__()

    def forward(self, frame: Tensor, flow: Tensor) -> Tensor:
        return frame


@MODELS.register_module()
class FlowStream(nn.Module):
    """``select_method='fw'``: keep the flow features, ignore the frame."""

    def __init__(self, channels: int):
        super().__init__()

    def forward(self, frame: Tensor, flow: Tensor) -> Tensor:
        return flow


@MODELS.register_module()
class SumFusion(nn.Module):
    """``select_method='base'``: the baseline, frame + flow features."""

    def __init__(self, channels: int):
        super().__init__()

    def forward(self, frame: Tensor, flow: Tensor) -> Tensor:
        return frame + flow
