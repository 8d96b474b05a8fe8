"""MiT's Mix-FFN with its 1x1 convolutions as linear maps on the tokens."""
import torch.nn.functional as F
from mmseg.models.backbones.mit import MixFFN
from torch import Tensor, nn

from . import onednn_fusion


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
        if identity is None:
            identity = x
        if self._fusable(x):
            return self._forward_fused(x, hw_shape, identity)
        fc1, pe_conv, activate, drop, fc2, drop_out = self.layers
        hidden = F.linear(x, fc1.weight.flatten(1), fc1.bias)  # (B, N, 4C)
        # (B, N, 4C) -> (B, 4C, H, W), a view
        hidden = pe_conv(hidden.transpose(1, 2).unflatten(2, hw_shape))
        # back to (B, N, 4C), a view, before the activation: PyTorch's
        # element-wise kernels run ~1.7x slower on a 4-D channels-last map
        # than on the same memory seen as tokens
        hidden = drop(activate(hidden.flatten(2).transpose(1, 2)))
        out = F.linear(hidden, fc2.weight.flatten(1), fc2.bias)
        return identity + self.dropout_layer(drop_out(out))

    def _fusable(self, x: Tensor) -> bool:
        """Inference in float32 on a CPU with MMSeg's exact GELU: the
        dropouts are identities and oneDNN's kernels may add the biases,
        the GELU and the residual (``onednn_fusion``)."""
        activate = self.layers[2]
        return (not self.training and isinstance(activate, nn.GELU)
                and activate.approximate == 'none'
                and onednn_fusion.fused_cpu_inference(
                    x, x.numel() // x.shape[-1] * self.feedforward_channels))

    def _forward_fused(self, x: Tensor, hw_shape, identity: Tensor) -> Tensor:
        """The inference forward in three oneDNN kernels: fc1 with its
        bias; the depth-wise conv with its bias and the GELU; fc2 with its
        bias and the residual. On the demo model (one thread) ~1.15x faster
        on the stride-4 and stride-8 maps, ~1.05x on stride 16
        (docs/benchmarks.md)."""
        fc1, pe_conv, _, _, fc2, _ = self.layers
        hidden = onednn_fusion.linear(x, fc1.weight.flatten(1), fc1.bias)
        hidden = onednn_fusion.conv2d_gelu(
            hidden.transpose(1, 2).unflatten(2, hw_shape), pe_conv.weight,
            pe_conv.bias, pe_conv.padding, pe_conv.groups)
        return onednn_fusion.linear_add(
            hidden.flatten(2).transpose(1, 2), fc2.weight.flatten(1),
            fc2.bias, identity)
