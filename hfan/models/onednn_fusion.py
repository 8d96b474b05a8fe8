"""oneDNN's fused CPU kernels for MiT's inference forward.

PyTorch's eager CPU ops each make a pass over memory: ``F.linear`` copies
its bias into the output before the matrix product, the GELU after the
Mix-FFN's depth-wise convolution reads and writes the whole (B, N, 4C)
hidden map, and the residual sum another (B, N, C) one. oneDNN, which
PyTorch already calls for these convolutions and products, applies a bias,
a GELU or a sum inside the same kernel ("post-ops"; the operators Inductor
uses on a CPU, ``torch.ops.mkldnn._linear_pointwise`` and
``_convolution_pointwise``). They have no backward, so they are taken only
when nothing needs a gradient, and only in float32 on a CPU outside
autocast, tracing and compilation (the ONNX export traces the plain
operators). Same weights; the result is the eager one to float rounding
(tests: tests/test_models/test_onednn_fusion.py).

oneDNN's fixed cost per call outweighs the memory pass it saves on small
maps: measured block by block on the demo model (MiT-b0, 384x704, one
thread), the fused kernels pay on the stride-4 and stride-8 maps and lose
up to 5% on the stride-32 ones, so they are taken only for an op whose
largest map holds at least ``MIN_ELEMENTS`` values (docs/benchmarks.md).
"""
from typing import Optional, Sequence

import torch
from torch import Tensor

MIN_ELEMENTS = 1 << 20


def fused_cpu_inference(x: Tensor, largest_map: int) -> bool:
    """Whether the fused oneDNN kernels should compute an op on ``x``.

    True for a float32 CPU tensor when no gradient is being recorded,
    nothing traces, compiles or autocasts the forward, and the op's
    largest input or output map holds ``largest_map >= MIN_ELEMENTS``
    values.
    """
    # Tracing first: under a tracer the sizes are tensors, and comparing
    # them would warn (and be recorded) before the check said no.
    return (not torch.jit.is_tracing() and not torch.jit.is_scripting()
            and not torch.compiler.is_compiling()
            and largest_map >= MIN_ELEMENTS and x.device.type == 'cpu'
            and x.dtype == torch.float32
            and not torch.is_grad_enabled()
            and torch.backends.mkldnn.is_available()
            and not torch.is_autocast_enabled('cpu'))


def linear(x: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
    """``F.linear(x, weight, bias)`` with the bias added in the kernel.

    Shapes: x (..., C_in), weight (C_out, C_in), bias (C_out,);
    output (..., C_out).
    """
    return torch.ops.mkldnn._linear_pointwise(x, weight, bias, 'none', [],
                                              '')


def linear_add(x: Tensor, weight: Tensor, bias: Optional[Tensor],
               residual: Tensor) -> Tensor:
    """``residual + F.linear(x, weight, bias)`` in one kernel.

    Shapes: x (..., C_in), weight (C_out, C_in), bias (C_out,), residual
    (..., C_out); output (..., C_out).
    """
    return torch.ops.mkldnn._linear_pointwise.binary(x, residual, weight,
                                                     bias, 'add')


def conv2d_gelu(x: Tensor, weight: Tensor, bias: Optional[Tensor],
                padding: Sequence[int], groups: int) -> Tensor:
    """``F.gelu(F.conv2d(x, weight, bias, 1, padding, 1, groups))``, exact
    (erf) GELU, in one kernel; the output keeps ``x``'s memory format.

    Shapes: x (B, C_in, H, W), weight (C_out, C_in / groups, k, k);
    output (B, C_out, H, W) at stride 1.
    """
    return torch.ops.mkldnn._convolution_pointwise(x, weight, bias,
                                                   list(padding), [1, 1],
                                                   [1, 1], groups, 'gelu', [],
                                                   'none')
