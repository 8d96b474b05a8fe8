"""A backbone that encodes a frame and its optical-flow image with shared
weights."""
from typing import List, Tuple

import torch
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class DualStreamEncoder(BaseModule):
    """Run one MMSeg backbone over the frame and the flow image of a sample.

    HFAN feeds a 6-channel stack (frame first, then the colour-coded flow,
    each normalised RGB). Both halves go through the SAME backbone in one
    pass: they are concatenated along the batch dimension, so every feature
    level comes out for ``2B`` images, the first ``B`` being the frames and
    the last ``B`` the flows. The decode head splits them back. Sharing one
    backbone keeps the parameter count of a single-stream model and lets any
    MMSeg backbone (MiT, ResNet, Swin, ...) serve unchanged.

    Args:
        backbone (dict): Config of the wrapped MMSeg backbone (3-channel
            input).
        stream_channels (int): Channels of each stream. Default: 3.
        init_cfg (dict, optional): Initialisation config of this wrapper; the
            wrapped backbone keeps its own ``init_cfg``.

    In eval mode, a frame repeated in the batch (a frame with several
    flows) is encoded once (:func:`unique_samples`); the output is the same.

    Shapes:
        input: (B, 2 * stream_channels, H, W)
        output: tuple of (2B, C_i, H / s_i, W / s_i), one per backbone level.
    """

    def __init__(self, backbone: dict, stream_channels: int = 3,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.stream_channels = stream_channels
        self.backbone = MODELS.build(backbone)

    def forward(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        expected = 2 * self.stream_channels
        if inputs.dim() != 4 or inputs.size(1) != expected:
            raise ValueError(
                f'DualStreamEncoder expects a (B, {expected}, H, W) batch: '
                f'the frame ({self.stream_channels} channels) stacked with '
                f'its flow image ({self.stream_channels} channels), frame '
                f'first; got shape {tuple(inputs.shape)}. Load samples with '
                f'the LoadFrameAndFlow transform.')
        frames, flows = inputs.split(self.stream_channels, dim=1)
        if self.training or is_tracing():
            # (an exported graph must not bake in one batch's repeats)
            return tuple(self.backbone(torch.cat([frames, flows], dim=0)))
        # At test time a frame often comes with several flows (both flow
        # directions: the batch holds (frame_t, flow_fwd), (frame_t,
        # flow_bwd)). Each distinct frame is encoded once and its features
        # are repeated: the same features, a quarter less encoder work.
        unique, index = unique_samples(frames)
        if len(unique) == len(frames):
            return tuple(self.backbone(torch.cat([frames, flows], dim=0)))
        return self.encode_shared(unique, flows, index)

    def encode_shared(self, frames: Tensor, flows: Tensor,
                      frame_index: Tensor) -> Tuple[Tensor, ...]:
        """Features of N (frame, flow) pairs whose frames are F distinct ones.

        Args:
            frames: (F, stream_channels, H, W) distinct frames.
            flows: (N, stream_channels, H, W) flow images.
            frame_index: (N,) long, the frame of each flow.

        Returns:
            what :meth:`forward` gives for the N pairs: (2N, C_i, h_i, w_i)
            per level, the N frames' features then the N flows'.
        """
        feats = self.backbone(torch.cat([frames, flows], dim=0))
        num = frames.shape[0]
        return tuple(
            torch.cat([feat[:num][frame_index], feat[num:]], dim=0)
            for feat in feats)


def is_tracing() -> bool:
    """Whether the forward is being traced (``torch.jit.trace``, the ONNX
    export): data-dependent shortcuts must then be left out."""
    return torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()


def unique_samples(batch: Tensor) -> Tuple[Tensor, Tensor]:
    """The distinct samples of a batch, in order of first appearance.

    Args:
        batch: (B, ...) tensor.

    Returns:
        ``(unique, index)``: (U, ...) the distinct samples and (B,) long
        ``index`` with ``unique[index] == batch``. Samples are compared for
        exact equality; only a sample equal to the one before it or to the
        first of the batch is looked for (how test batches repeat a frame),
        so the cost is O(B) comparisons.
    """
    keep = [0]
    index = [0]
    for i in range(1, len(batch)):
        for j in (keep[-1], keep[0]):
            if torch.equal(batch[i], batch[j]):
                index.append(keep.index(j))
                break
        else:
            index.append(len(keep))
            keep.append(i)
    if len(keep) == len(batch):
        return batch, torch.arange(len(batch), device=batch.device)
    index = torch.tensor(index, device=batch.device)
    if keep == list(range(keep[0], keep[-1] + 1)):  # a view, not a copy
        return batch[keep[0]:keep[-1] + 1], index
    return batch[keep], index


def split_streams(feature: Tensor) -> List[Tensor]:
    """Split a (2B, C, h, w) dual-stream feature into [frame, flow] halves."""
    if feature.size(0) % 2:
        raise ValueError(
            'a dual-stream feature must hold 2B samples (frames then flows); '
            f'got an odd batch of {feature.size(0)}')
    return list(feature.chunk(2, dim=0))
