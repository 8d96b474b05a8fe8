"""1x1 conv - BatchNorm - ReLU stacks as matrix products, for inference.

In eval mode a BatchNorm with running statistics is an affine map per
channel, ``norm(x) = scale * x + shift``; after a 1x1 convolution it folds
into the convolution's weight and bias. The fusion modules of HFAN run
stacks of such ConvModules over every pixel of a level; folded, each is one
batched matrix product with its bias and ReLU applied in place, and the
stride-4 map is not read and written again for the norm (same function, to
float rounding). Anything else (training, another conv, norm or order) is
reported as not foldable and the caller keeps the modules; so are
gradients (the folded arithmetic is in place), autocast (its dtypes are
chosen per operator, not for in-place products) and tracing (an exported
graph keeps the published layers).
"""
from typing import NamedTuple, Optional, Tuple

import torch
from mmcv.cnn import ConvModule
from torch import Tensor, nn

from .dual_stream_encoder import is_tracing


class FoldedConv(NamedTuple):
    """A 1x1 ConvModule as ``y = relu?(weight @ x + bias)``.

    Shapes: weight (C_out, C_in), bias (C_out,).
    """
    weight: Tensor
    bias: Tensor
    relu: bool

    def __call__(self, x: Tensor) -> Tensor:
        """(B, C_in, N) -> (B, C_out, N), a new tensor."""
        out = torch.bmm(self.weight.expand(x.shape[0], -1, -1), x)
        out += self.bias[:, None]
        return out.relu_() if self.relu else out


def folding_applies(module: nn.Module, x: Tensor) -> bool:
    """Whether ``module`` may run folded on ``x``: eval mode without
    gradients (the folded arithmetic is in place), no autocast on ``x``'s
    device, not tracing."""
    return (not module.training and not torch.is_grad_enabled()
            and not is_tracing()
            and not torch.is_autocast_enabled(x.device.type))


def batch_norm_affine(norm: nn.Module) -> Optional[Tuple[Tensor, Tensor]]:
    """``(scale, shift)`` with ``norm(x) = scale[c] * x + shift[c]``, for a
    BatchNorm in eval mode with running statistics; None for anything else.

    Shapes: scale, shift (C,).
    """
    if (not isinstance(norm, nn.modules.batchnorm._BatchNorm)
            or norm.training or norm.running_var is None):
        return None
    scale = torch.rsqrt(norm.running_var + norm.eps)
    shift = -norm.running_mean * scale
    if norm.weight is not None:
        scale = scale * norm.weight
        shift = shift * norm.weight + norm.bias
    return scale, shift


def fold_conv_module(module: nn.Module) -> Optional[FoldedConv]:
    """A ConvModule of a plain 1x1 convolution (stride 1, no padding or
    groups), then optionally an eval BatchNorm, then optionally ReLU, as a
    :class:`FoldedConv`; None for anything else."""
    if (not isinstance(module, ConvModule) or module.order[0] != 'conv'
            or module.with_spectral_norm):
        return None
    conv = module.conv
    if (type(conv) is not nn.Conv2d or conv.kernel_size != (1, 1)
            or conv.stride != (1, 1) or conv.padding != (0, 0)
            or conv.dilation != (1, 1) or conv.groups != 1):
        return None
    weight = conv.weight.flatten(1)
    bias = conv.bias
    if module.with_norm:
        affine = batch_norm_affine(module.norm)
        if affine is None or module.order[1] != 'norm':
            return None
        scale, shift = affine
        weight = scale[:, None] * weight
        bias = shift if bias is None else scale * bias + shift
    elif bias is None:
        bias = weight.new_zeros(weight.shape[0])
    relu = module.with_activation
    if relu and type(module.activate) is not nn.ReLU:
        return None
    return FoldedConv(weight, bias, relu)
