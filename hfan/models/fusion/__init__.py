"""Per-level fusions of frame and flow features, one per ``select_method``."""
from .feature_adaptation import FeatureAdaptation
from .feature_alignment import FeatureAlignment
from .hierarchical_fusion import AlignedAdaptation
from .stream_selection import FlowStream, FrameStream, SumFusion

# The published ``select_method`` names and the fusion each one selects.
FUSION_BY_METHOD = {
    'im': 'FrameStream',
    'fw': 'FlowStream',
    'base': 'SumFusion',
    'fam': 'FeatureAlignment',
    'fat': 'FeatureAdaptation',
    'hfan': 'AlignedAdaptation',
}
# The fusions without weights take only ``channels``; the others also
# ``inner_channels`` and ``norm_cfg``.
PARAMETER_FREE_METHODS = ('im', 'fw', 'base')

__all__ = [
    'FrameStream', 'FlowStream', 'SumFusion', 'FeatureAlignment',
    'FeatureAdaptation', 'AlignedAdaptation', 'FUSION_BY_METHOD',
    'PARAMETER_FREE_METHODS'
]
