"""Optical flow for HFAN's inputs: estimators (DIS by default; RAFT-large
with the original release's weights, or torchvision's), the per-video flow
rule of the published data, the RAFT-style colour coding, and raw flow
files."""
from .base import FlowEstimator
from .builder import FLOW_ESTIMATORS, build_flow_estimator
from .colorize import flow_to_bgr, flow_to_color
from .dis import DISFlow
from .io import read_flow, write_flow
from .raft import RAFTFlow
from .video_flow import (
                         FLOW_DIRECTIONS,
                         check_flow_directions,
                         configured_flow_directions,
                         iter_frames_with_flows,
                         iter_frames_with_forward_flow,
                         iter_video_flows,
)

__all__ = [
    'FlowEstimator', 'DISFlow', 'RAFTFlow', 'FLOW_ESTIMATORS',
    'build_flow_estimator', 'iter_frames_with_forward_flow',
    'iter_frames_with_flows',
    'iter_video_flows', 'FLOW_DIRECTIONS', 'check_flow_directions',
    'configured_flow_directions',
    'flow_to_color', 'flow_to_bgr', 'read_flow', 'write_flow'
]
