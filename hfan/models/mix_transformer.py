"""SegFormer's Mix Transformer with the LayerNorm settings of its release."""
from mmengine.model.weight_init import initialize, update_init_info
from mmseg.models.backbones import MixVisionTransformer
from mmseg.registry import MODELS

from .checkpoint import MIT_NUM_HEADS, MIT_SETTINGS, load_mit_pretrained
from .efficient_attention import FusedEfficientMultiheadAttention
from .token_mix_ffn import TokenMixFFN


@MODELS.register_module()
class OriginalMixVisionTransformer(MixVisionTransformer):
    """MMSeg's ``MixVisionTransformer`` with the original release's norm eps.

    MMSeg 1.x builds every LayerNorm of MiT with one ``norm_cfg`` (eps 1e-6),
    while SegFormer's release (and so every HFAN checkpoint) uses eps 1e-5 in
    the patch-embedding norms and in the attention's spatial-reduction norms.
    The other norms keep 1e-6. The parameters and state-dict keys are exactly
    MMSeg's, so any MMSeg MiT checkpoint loads too.

    Args:
        arch (str, optional): 'b0'..'b5' fills ``embed_dims`` and
            ``num_layers``; explicit keyword arguments win.
        reduction_norm_eps (float): eps of the patch-embedding and
            spatial-reduction LayerNorms. Default: 1e-5.
        fused_attention (bool): compute the attention with one fused kernel
            (:class:`FusedEfficientMultiheadAttention`; same weights and
            result, faster). False keeps MMSeg's ``nn.MultiheadAttention``
            call. Default: True.
        token_ffn (bool): apply the Mix-FFN's 1x1 convolutions to the
            tokens as linear maps (:class:`TokenMixFFN`; same weights, the
            result to float rounding, faster). False keeps MMSeg's
            ``MixFFN``. Default: True.
        **kwargs: ``MixVisionTransformer`` arguments.
    """

    def __init__(self,
                 arch=None,
                 reduction_norm_eps=1e-5,
                 fused_attention=True,
                 token_ffn=True,
                 **kwargs):
        if arch is not None:
            if arch not in MIT_SETTINGS:
                raise ValueError(f'unknown MiT arch {arch!r}; choose one of '
                                 f'{sorted(MIT_SETTINGS)}')
            kwargs = {**MIT_SETTINGS[arch], **kwargs}
        kwargs.setdefault('num_heads', MIT_NUM_HEADS)
        super().__init__(**kwargs)
        self.arch = arch
        for patch_embed, blocks, _ in self.layers:
            patch_embed.norm.eps = reduction_norm_eps
            for block in blocks:
                if getattr(block.attn, 'sr_ratio', 1) > 1:
                    block.attn.norm.eps = reduction_norm_eps
                if fused_attention:
                    # Only the forward differs: the modules and their
                    # parameters are MMSeg's, built by its __init__.
                    block.attn.__class__ = FusedEfficientMultiheadAttention
                if token_ffn:
                    block.ffn.__class__ = TokenMixFFN
        self.fused_attention = fused_attention
        self.token_ffn = token_ffn

    def init_weights(self):
        """MMSeg's MiT init, except ``init_cfg=dict(type='Pretrained')``.

        A ``Pretrained`` checkpoint may be SegFormer's raw ImageNet file
        (``mit_b*.pth``: original names + the ``head.*`` classifier), MMSeg's
        ``mit2mmseg`` output, or a full HFAN/MMSeg segmentor checkpoint (the
        MiT under ``backbone.backbone.`` or ``backbone.``, or the init_cfg's
        ``prefix``). It is converted to MMSeg names and loaded strictly once
        the classifier is left out; a missing file raises
        ``FileNotFoundError`` naming the path and where to get it.
        """
        cfgs = self.init_cfg if isinstance(self.init_cfg,
                                           (list, tuple)) else [self.init_cfg]
        pretrained = [
            c for c in cfgs if isinstance(c, dict) and c.get('type') ==
            'Pretrained'
        ]
        if not pretrained:
            return super().init_weights()
        others = [c for c in cfgs if c not in pretrained]
        if others:
            initialize(self, others)
        cfg = pretrained[-1]
        load_mit_pretrained(
            self,
            cfg['checkpoint'],
            prefix=cfg.get('prefix'),
            map_location=cfg.get('map_location', 'cpu'))
        if hasattr(self, '_params_init_info'):
            update_init_info(
                self,
                init_info=f'Pretrained MiT weights from {cfg["checkpoint"]}')
        self._is_init = True
