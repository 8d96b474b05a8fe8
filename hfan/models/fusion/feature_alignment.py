"""FAM: align frame and flow features on the primary object's semantics."""
from typing import Tuple

from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.ocr_head import (
    ObjectAttentionBlock,
    SpatialGatherModule,
)
from mmseg.registry import MODELS
from torch import Tensor, nn

from ..dual_stream_encoder import is_tracing, unique_samples


@MODELS.register_module()
class FeatureAlignment(nn.Module):
    """Feature AlignMent module (FAM) of HFAN.

    1. ``object_pred`` (1x1 conv + bias + ReLU, as published) predicts a
       2-class (background/object) map from the FRAME features.
    2. A spatial softmax of that map pools the frame features into two class
       centres (category-specific semantics; OCR's ``SpatialGatherModule``).
    3. ``object_context``, OCR's object attention block (queries = the pixel
       features, keys/values = the two centres, 1/sqrt(d)-scaled softmax,
       then a 1x1 bottleneck on [context, query]), is applied to the frame
       features and, with the same weights and the same frame-derived
       centres, to the flow features. The primary object seen in the frame
       thus aligns both modalities.

    Args:
        channels (int): Channels C of the level's features.
        inner_channels (int): Key/query/value width of the attention. The
            published models use C // (C // 16) = 16.
        norm_cfg (dict): Norm of the attention's ConvModules (published: BN).

    Shapes:
        frame, flow: (B, C, h, w) -> (B, C, h, w)
    """

    num_regions = 2  # background and primary object

    def __init__(self, channels: int, inner_channels: int = 16,
                 norm_cfg: dict = dict(type='BN')):
        super().__init__()
        # ConvModule without norm keeps mmcv's default ReLU: the published
        # "probabilities" seen by the gather step are ReLU'd logits.
        self.object_pred = ConvModule(channels, self.num_regions, 1)
        self.gather = SpatialGatherModule(scale=1)
        self.object_context = ObjectAttentionBlock(
            in_channels=channels,
            channels=inner_channels,
            scale=1,
            conv_cfg=None,
            norm_cfg=norm_cfg,
            act_cfg=dict(type='ReLU'))

    def align(self, frame: Tensor, flow: Tensor) -> Tuple[Tensor, Tensor]:
        """Return the aligned (frame, flow) features, each (B, C, h, w).

        In eval mode a frame repeated in the batch (a frame with both flow
        directions) has its centres and aligned features computed once:
        they depend on the frame alone. The same result, a quarter less of
        the module's work with both directions.
        """
        index = None
        if not self.training and not is_tracing():
            frame, index = unique_samples(frame)
        centres = self.gather(frame, self.object_pred(frame))  # (B, C, 2, 1)
        aligned_frame = self.object_context(frame, centres)
        if index is not None and len(frame) < len(flow):
            aligned_frame, centres = aligned_frame[index], centres[index]
        return aligned_frame, self.object_context(flow, centres)

    def forward(self, frame: Tensor, flow: Tensor) -> Tensor:
        aligned_frame, aligned_flow = self.align(frame, flow)
        return aligned_frame + aligned_flow
