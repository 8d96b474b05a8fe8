"""EncoderDecoder for frame+flow input that survives CPU distributed runs."""
import torch.distributed as dist
from mmengine.logging import print_log
from mmengine.model import revert_sync_batchnorm
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from torch import nn

from .checkpoint import convert_to_hfan


def sync_bn_unsupported() -> bool:
    """True in a multi-process run whose backend cannot sync BN (gloo/CPU).

    torch's SyncBatchNorm only synchronises CUDA tensors; in a distributed
    CPU run (gloo) its training forward raises. Single-process runs are fine:
    there it already behaves as plain BN.
    """
    return (dist.is_available() and dist.is_initialized()
            and dist.get_world_size() > 1
            and dist.get_backend() != dist.Backend.NCCL)


@MODELS.register_module()
class VOSEncoderDecoder(EncoderDecoder):
    """MMSeg's ``EncoderDecoder`` for HFAN, unchanged in what it computes.

    Three additions:

    * when built inside a distributed run that cannot synchronise BatchNorm
      (CPU processes on gloo), every ``SyncBN`` becomes a plain per-process
      BN, and the log says so once. On GPUs (NCCL) the published SyncBN is
      kept;
    * ``load_state_dict`` also accepts the published checkpoint layout
      (docs/checkpoints.md): a pre-hook converts it in place, so mmengine's
      ``load_checkpoint``, the Runner's ``load_from`` and
      ``mmseg.apis.init_model`` take the released files directly;
    * ``logits_runtime``: another runtime (ONNX Runtime) may compute the
      logits at test time (:meth:`encode_decode`).

    ``test_cfg`` is checked when the model is built (:func:`check_test_cfg`),
    not at the first sliding-window forward.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        check_test_cfg(self.test_cfg)
        #: ``None`` (PyTorch) or a callable that replaces backbone + head at
        #: test time: (N, 6, H, W) normalised input -> (N, C, H/4, W/4)
        #: logits, e.g. :class:`hfan.deploy.OnnxRuntimeLogits`.
        self.logits_runtime = None
        self.register_load_state_dict_pre_hook(accept_published_layout)
        if sync_bn_unsupported() and any(
                isinstance(m, nn.SyncBatchNorm) for m in self.modules()):
            print_log(
                'SyncBN needs CUDA tensors and an NCCL process group; this '
                f'run uses {dist.get_backend()}, so SyncBN falls back to '
                'per-process BatchNorm.',
                logger='current')
            reverted = revert_sync_batchnorm(self)
            assert reverted is self  # the segmentor itself is not a norm

    def encode_decode(self, inputs, batch_img_metas):
        """Logits at the input size, from PyTorch or ``logits_runtime``
        (then resized by the decode head's own ``predict_by_feat``, so that
        whole and sliding-window inference and the multi-scale test run
        unchanged around it)."""
        if self.logits_runtime is None:
            return super().encode_decode(inputs, batch_img_metas)
        logits = self.logits_runtime(inputs)
        return self.decode_head.predict_by_feat(logits, batch_img_metas)


#: ``model.test_cfg.mode`` values MMSeg's ``EncoderDecoder`` runs.
TEST_MODES = ('whole', 'slide')


def _pair_of_positive_ints(value) -> bool:
    return (isinstance(value, (list, tuple)) and len(value) == 2 and all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0
        for v in value))


def check_test_cfg(test_cfg) -> None:
    """Refuse a ``model.test_cfg`` that inference cannot run.

    MMSeg reads ``mode`` and, for ``'slide'``, ``crop_size`` and ``stride``
    (``(h, w)`` pairs) only in the first forward, where a missing key is an
    ``AttributeError`` that names no config key
    (``--cfg-options model.test_cfg.mode=slide`` on a whole-image config).

    Raises:
        ValueError: naming the keys (``model.test_cfg.<key>``) and what they
            accept.
    """
    if not test_cfg:
        return  # MMSeg's default: whole-image inference
    mode = test_cfg.get('mode', 'whole')
    if mode not in TEST_MODES:
        raise ValueError(f'model.test_cfg.mode is {mode!r}; accepted: '
                         f'{", ".join(map(repr, TEST_MODES))}')
    if mode != 'slide':
        return
    missing = [k for k in ('crop_size', 'stride') if k not in test_cfg]
    if missing:
        keys = ' and '.join(f'model.test_cfg.{k}' for k in missing)
        adds = ' '.join(f'+model.test_cfg.{k}=(512,512)' if k == 'crop_size'
                        else f'+model.test_cfg.{k}=(341,341)'
                        for k in missing)
        raise ValueError(
            f"model.test_cfg.mode='slide' (sliding windows) needs {keys}, "
            f'(h, w) pairs of pixels, which the config does not set; add '
            f'them, e.g. --cfg-options {adds}, or use '
            "model.test_cfg.mode=whole")
    for key in ('crop_size', 'stride'):
        if not _pair_of_positive_ints(test_cfg[key]):
            raise ValueError(
                f'model.test_cfg.{key} is {test_cfg[key]!r}; an (h, w) pair '
                'of positive integers is expected, e.g. (512, 512)')


def accept_published_layout(module, state_dict, prefix, local_metadata,
                            strict, missing_keys, unexpected_keys,
                            error_msgs) -> None:
    """``load_state_dict`` pre-hook: any HFAN layout -> this project's.

    The one place where checkpoints are converted at load time (as timm's
    ``checkpoint_filter_fn``), so every loader takes the released files:
    mmengine's ``load_checkpoint``, the Runner's ``load_from``,
    ``mmseg.apis.init_model`` and ``load_hfan_checkpoint``. It runs before
    any key is matched and converts the entries under ``prefix`` in place
    (torch and mmengine hand hooks their own copy of the state dict); a
    state dict already in this layout is untouched. The published,
    never-used ``decode_head.conv_seg`` (2, 128, 1, 1) is dropped.
    """
    keys = [k for k in state_dict if k.startswith(prefix)]
    try:
        conversion = convert_to_hfan(
            {k[len(prefix):]: state_dict[k] for k in keys})
    except ValueError as error:  # e.g. fusion modules of two methods
        error_msgs.append(str(error))
        return
    if not conversion.converted:
        return
    for key in keys:
        del state_dict[key]
    for key, value in conversion.state_dict.items():
        state_dict[prefix + key] = value
    print_log(
        f'loading a {conversion.layout.describe()}; converted in memory'
        + (f', dropped unused {", ".join(conversion.dropped)}'
           if conversion.dropped else ''),
        logger='current')
