"""MiT's Mix-FFN with its 1x1 convolutions as linear maps on the tokens."""
import torch.nn.functional as F
from mmseg.models.backbones.mit import MixFFN
from torch import Tensor


class TokenMixFFN(MixFFN):
    """MMSeg's ``MixFFN`` with ``fc1`` and ``fc2`` applied to the (B, N, C)
    tokens as linear maps.

    Same modules, parameters, state-dict keys and result, to float
    rounding (the tests compare outputs and gradients with MMSeg's). A 1x1
    convolution is a linear map over the channels; MMSeg runs it on the
    token map seen as (B, C, H, W), a transposed view that the convolution
    first copies. Here only the 3x3 depth-wise convolution sees the map, as
    the same view (no copy: PyTorch takes it as channels-last). On a CPU the
    encoder of the demo model runs 5-9% faster at inference and a training
    step of MiT-b0 1.08x faster (docs/benchmarks.md).

    Shapes:
        x: (B, N, C) tokens of an (H, W) map, N = H * W; output the same.
    """

    def forward(self, x: Tensor, hw_shape, identity=None) -> Tensor:
        fc1, pe_conv, activate, drop, fc2, drop_out = self.layers
        hidden = F.linear(x, fc1.weight.flatten(1), fc1.bias)  # (B, N, 4C)
        # (B, N, 4C) -> (B, 4C, H, W), a view
        hidden = pe_conv(hidden.transpose(1, 2).unflatten(2, hw_shape))
        # back to (B, N, 4C), a view, before the activation: PyTorch's
        # element-wise kernels run ~1.7x slower on a 4-D channels-last map
        # than on the same memory seen as tokens
        hidden = drop(activate(hidden.flatten(2).transpose(1, 2)))
        out = F.linear(hidden, fc2.weight.flatten(1), fc2.bias)
        if identity is None:
            identity = x
        return identity + self.dropout_layer(drop_out(out))
