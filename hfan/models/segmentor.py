"""EncoderDecoder for frame+flow input that survives CPU distributed runs."""
import torch.distributed as dist
from mmengine.logging import print_log
from mmengine.model import revert_sync_batchnorm
from torch import nn

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS


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

    The only addition: when built inside a distributed run that cannot
    synchronise BatchNorm (CPU processes on gloo), every ``SyncBN`` becomes a
    plain per-process BN, and the log says so once. On GPUs (NCCL) the
    published SyncBN is kept.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if sync_bn_unsupported() and any(
                isinstance(m, nn.SyncBatchNorm) for m in self.modules()):
            print_log(
                'SyncBN needs CUDA tensors and an NCCL process group; this '
                f'run uses {dist.get_backend()}, so SyncBN falls back to '
                'per-process BatchNorm.',
                logger='current')
            reverted = revert_sync_batchnorm(self)
            assert reverted is self  # the segmentor itself is not a norm
