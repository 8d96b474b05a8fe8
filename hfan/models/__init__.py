"""HFAN's models: dual-stream encoder, fusion modules, decode head."""
from .data_preprocessor import FrameFlowDataPreProcessor
from .dual_stream_encoder import DualStreamEncoder
from .frame_stream_head import FrameStreamHead
from .fusion import (
                     FUSION_BY_METHOD,
                     AlignedAdaptation,
                     FeatureAdaptation,
                     FeatureAlignment,
                     FlowStream,
                     FrameStream,
                     SumFusion,
)
from .hfan_head import HFANHead
from .mix_transformer import OriginalMixVisionTransformer
from .segmentor import VOSEncoderDecoder

__all__ = [
    'FrameFlowDataPreProcessor', 'DualStreamEncoder', 'FrameStreamHead',
    'HFANHead',
    'OriginalMixVisionTransformer', 'VOSEncoderDecoder',
    'FUSION_BY_METHOD', 'AlignedAdaptation', 'FeatureAdaptation',
    'FeatureAlignment', 'FlowStream', 'FrameStream', 'SumFusion'
]
