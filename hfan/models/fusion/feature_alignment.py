"""FAM: align frame and flow features on the primary object's semantics."""
from typing import Callable, Optional, Tuple

import torch
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.ocr_head import (
    ObjectAttentionBlock,
    SpatialGatherModule,
)
from mmseg.registry import MODELS
from torch import Tensor, nn

from ..dual_stream_encoder import is_tracing, unique_samples
from ..folding import fold_conv_module, folding_applies


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
        the module's work with both directions. The aligned frame is then
        the same tensor for every flow (a broadcast view when one frame is
        shared by the whole batch).
        """
        index = None
        attend = self.object_context
        if not self.training and not is_tracing():
            frame, index = unique_samples(frame)
            if folding_applies(self, frame):
                attend = self._folded_attention() or attend
        centres = self.gather(frame, self.object_pred(frame))  # (B, C, 2, 1)
        aligned_frame = attend(frame, centres)
        if index is not None and len(frame) < len(flow):
            if len(frame) == 1:
                shape = (len(flow), ) + tuple(aligned_frame.shape[1:])
                aligned_frame = aligned_frame.expand(shape)
                centres = centres.expand((len(flow), ) + centres.shape[1:])
            else:
                aligned_frame, centres = aligned_frame[index], centres[index]
        return aligned_frame, attend(flow, centres)

    def _folded_attention(
            self) -> Optional[Callable[[Tensor, Tensor], Tensor]]:
        """``object_context`` with its 1x1 conv-BN-ReLU stacks folded into
        matrix products (eval mode; None where a layer does not fold).

        Same function to float rounding, in fewer passes over the pixels:
        the pixel queries go through two folded products, the 2 centres'
        keys and values through the block's own modules (two columns), and
        since the out-projection is linear before its norm, it is applied
        to the values rather than to every pixel's context
        (``W (V P) = (W V) P``, P the attention over the centres); the
        bottleneck on ``[context, x]`` is split into its two weight slices
        instead of concatenating the maps.
        """
        block = self.object_context
        if block.query_downsample is not None or not block.matmul_norm:
            return None
        query_convs = block.query_project
        if not isinstance(query_convs, nn.Sequential):
            query_convs = [query_convs]
        folded = [fold_conv_module(m) for m in query_convs]
        out = fold_conv_module(block.out_project)
        bottleneck = fold_conv_module(block.bottleneck)
        if None in folded or out is None or bottleneck is None:
            return None
        # bottleneck(cat([context, x])): the first C input columns act on
        # the context, the last C on x
        on_context, on_x = bottleneck.weight.split(
            [block.out_channels, bottleneck.weight.shape[1] -
             block.out_channels], dim=1)
        scale = block.channels**-.5

        def attend(feats: Tensor, centres: Tensor) -> Tensor:
            batch, channels, height, width = feats.shape
            pixels = feats.reshape(batch, channels, height * width)
            query = pixels
            for conv in folded:
                query = conv(query)  # (B, D, N)
            key = block.key_project(centres).flatten(2)  # (B, D, K)
            value = block.value_project(centres).flatten(2)  # (B, D, K)
            # similarity over the K centres for every pixel: (B, K, N)
            attention = torch.bmm(key.transpose(1, 2) * scale,
                                  query).softmax(dim=1)
            context = torch.bmm(
                torch.matmul(out.weight, value), attention)  # (B, C, N)
            context += out.bias[:, None]
            if out.relu:
                context.relu_()
            result = torch.bmm(on_x.expand(batch, -1, -1), pixels)
            result += bottleneck.bias[:, None]
            result.baddbmm_(on_context.expand(batch, -1, -1), context)
            if bottleneck.relu:
                result.relu_()
            return result.view(batch, -1, height, width)

        return attend

    def forward(self, frame: Tensor, flow: Tensor) -> Tensor:
        aligned_frame, aligned_flow = self.align(frame, flow)
        return aligned_frame + aligned_flow
