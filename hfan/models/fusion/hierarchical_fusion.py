"""HFAN's full fusion: FAM alignment followed by FAT adaptation."""
from mmseg.registry import MODELS
from torch import Tensor, nn

from .feature_adaptation import FeatureAdaptation
from .feature_alignment import FeatureAlignment


@MODELS.register_module()
class AlignedAdaptation(nn.Module):
    """``select_method='hfan'``: FAM's two aligned maps, weighted by FAT.

    ``a, b = FAM.align(frame, flow)``; ``out = FAT(a, b)``.

    Args:
        channels (int): Channels C of the level's features.
        inner_channels (int): Inner width of FAM and FAT (published: 16).
        norm_cfg (dict): Norm of both modules (published: BN).

    Shapes:
        frame, flow: (B, C, h, w) -> (B, C, h, w)
    """

    def __init__(self, channels: int, inner_channels: int = 16,
                 norm_cfg: dict = dict(type='BN')):
        super().__init__()
        self.alignment = FeatureAlignment(channels, inner_channels, norm_cfg)
        self.adaptation = FeatureAdaptation(channels, inner_channels, norm_cfg)

    def forward(self, frame: Tensor, flow: Tensor) -> Tensor:
        return self.adaptation(*self.alignment.align(frame, flow))
