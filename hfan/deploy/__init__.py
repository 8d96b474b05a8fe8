"""Deployment: HFAN as an ONNX graph, and ONNX Runtime as a test backend.

The graph holds the encoder, the fusion modules and the decoder: a
normalised 6-channel frame+flow batch in, logits at stride 4 out. Optical
flow, its colour coding, normalisation and the resize of the logits stay
outside (docs/deployment.md).
"""
from .onnx_export import ONNX_OPSET, export_onnx, read_onnx_metadata
from .onnx_runtime import OnnxRuntimeLogits, onnxruntime_available

__all__ = [
    'ONNX_OPSET', 'export_onnx', 'read_onnx_metadata', 'OnnxRuntimeLogits',
    'onnxruntime_available'
]
