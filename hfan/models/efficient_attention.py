"""MiT's spatial-reduction attention through one fused attention kernel."""
import torch.nn.functional as F
from mmseg.models.backbones.mit import EfficientMultiheadAttention
from mmseg.models.utils import nchw_to_nlc, nlc_to_nchw
from torch import Tensor

from . import onednn_fusion


class FusedEfficientMultiheadAttention(EfficientMultiheadAttention):
    """MMSeg's ``EfficientMultiheadAttention`` computed with
    ``F.scaled_dot_product_attention``.

    Same parameters, state-dict keys and result (to float rounding). MMSeg
    calls ``nn.MultiheadAttention`` with ``need_weights=True`` on
    sequence-first tensors, which takes its unfused path: the (Nq, Nk)
    attention map of every head is materialised, then averaged over heads
    for weights nobody reads, and the tokens are transposed twice. Here
    the same ``in_proj``/``out_proj`` weights feed one fused kernel (flash
    attention on CPU and CUDA), forward and backward: the encoder of the
    demo model runs ~1.3x faster on a CPU (docs/benchmarks.md).

    Shapes:
        x: (B, N, C) tokens of an (H, W) map, N = H * W; output the same.
    """

    def forward(self, x: Tensor, hw_shape, identity=None) -> Tensor:
        x_kv = x
        if self.sr_ratio > 1:  # keys/values from an r x r strided conv
            x_kv = self.norm(nchw_to_nlc(self.sr(nlc_to_nchw(x, hw_shape))))
        if identity is None:
            identity = x
        mha = self.attn
        batch, num_q, channels = x.shape
        heads = mha.num_heads

        def split_heads(t: Tensor) -> Tensor:  # (B, N, C) -> (B, h, N, C/h)
            return t.view(batch, -1, heads, channels // heads).transpose(1, 2)

        # inference on a CPU: oneDNN adds the biases and the residual in
        # the products' kernels (onednn_fusion); the dropouts are identities
        fused = (not self.training
                 and onednn_fusion.fused_cpu_inference(x, x.numel()))
        linear = onednn_fusion.linear if fused else F.linear
        w_q, w_k, w_v = mha.in_proj_weight.chunk(3)
        b_q, b_k, b_v = (mha.in_proj_bias.chunk(3)
                         if mha.in_proj_bias is not None else (None, ) * 3)
        out = F.scaled_dot_product_attention(
            split_heads(linear(x, w_q, b_q)),
            split_heads(linear(x_kv, w_k, b_k)),
            split_heads(linear(x_kv, w_v, b_v)),
            dropout_p=mha.dropout if self.training else 0.0)
        out = out.transpose(1, 2).reshape(batch, num_q, channels)
        if fused:
            return onednn_fusion.linear_add(out, mha.out_proj.weight,
                                            mha.out_proj.bias, identity)
        out = mha.out_proj(out)
        return identity + self.dropout_layer(self.proj_drop(out))
