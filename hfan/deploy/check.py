"""Compare an exported graph with the PyTorch model on real inputs, and
export a model checked that way (:func:`export_and_check`)."""
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from hfan.utils.defaults import DEMO_FRAMES
from hfan.utils.digests import file_sha256
from hfan.utils.paths import check_output_not_input, check_writable_file

from .onnx_export import ONNX_OPSET, export_onnx, model_digest
from .onnx_runtime import OnnxRuntimeLogits

#: How many frames of a folder :func:`export_and_check` checks on.
CHECK_FRAMES = 3


def model_inputs(segmenter,
                 frames: Sequence[np.ndarray]) -> List[torch.Tensor]:
    """Normalised (1, 6, H, W) model inputs of consecutive frames: each
    frame with its DIS flow to the next (the last with the reversed flow to
    the one before), through the config's test pipeline and the data
    preprocessor, as :class:`~hfan.apis.VideoSegmenter` feeds the model."""
    from hfan.flow import build_flow_estimator, flow_to_bgr
    if len(frames) < 2:
        raise ValueError('checking an export needs at least 2 consecutive '
                         f'frames, got {len(frames)}')
    estimator = build_flow_estimator('dis')
    inputs = []
    for t, frame in enumerate(frames):
        other = frames[t + 1] if t + 1 < len(frames) else frames[t - 1]
        prepared = segmenter.prepare(frame,
                                     flow_to_bgr(estimator(frame, other)))
        data = segmenter.model.data_preprocessor(
            dict(inputs=[prepared['inputs']],
                 data_samples=[prepared['data_samples']]), False)
        inputs.append(data['inputs'])
    return inputs


@torch.no_grad()
def compare_logits(model, runtime, inputs: Sequence[torch.Tensor]) -> Dict:
    """Largest absolute difference between the PyTorch logits
    (backbone + head of ``model``, float32) and ``runtime``'s, the largest
    |logit| (the scale of float32 rounding), and the share of stride-4
    pixels whose class agrees, over ``inputs``."""
    worst, agree, total, scale = 0.0, 0, 0, 0.0
    for x in inputs:
        expected = model.decode_head(model.extract_feat(x))
        scale = max(scale, expected.abs().max().item())
        got = runtime(x)
        if got.shape != expected.shape:
            raise ValueError(f'the exported graph gives logits of shape '
                             f'{tuple(got.shape)}, PyTorch '
                             f'{tuple(expected.shape)}')
        worst = max(worst, (got - expected).abs().max().item())
        agree += (got.argmax(1) == expected.argmax(1)).sum().item()
        total += expected[:, 0].numel()
    return dict(max_abs_diff=worst, max_abs_logit=scale,
                class_agreement=agree / total,
                inputs=len(inputs),
                input_shape=list(inputs[0].shape) if inputs else None)


@dataclass
class ExportCheck:
    """What :func:`export_and_check` wrote and measured.

    Attributes:
        out: the ``.onnx`` file.
        opset: its ONNX opset.
        frames_dir: the folder of the frames it was checked on.
        max_abs_diff: the largest |logit difference| to PyTorch.
        max_abs_logit: the largest |logit| (the scale of float32 rounding).
        class_agreement: the share of stride-4 pixels whose class agrees.
        inputs: how many frames were compared.
        input_shape: ``[N, 6, H, W]`` of one model input.
    """
    out: str
    opset: int
    frames_dir: str
    max_abs_diff: float
    max_abs_logit: float
    class_agreement: float
    inputs: int
    input_shape: List[int]

    def allowed_difference(self, tolerance: float) -> float:
        """``tolerance`` relative to the largest |logit| when that is above
        1, absolute otherwise."""
        return tolerance * max(1.0, self.max_abs_logit)


def export_and_check(config: str,
                     checkpoint: str,
                     out: str,
                     frames_dir: Optional[str] = None,
                     shared_frames: bool = False,
                     opset: Optional[int] = None,
                     cfg_options: Optional[dict] = None,
                     trust_checkpoint: bool = False) -> ExportCheck:
    """Export the model of ``config`` + ``checkpoint`` to ``out`` and
    compare the exported graph's logits (ONNX Runtime) with PyTorch's on
    the first :data:`CHECK_FRAMES` frames of ``frames_dir`` (default:
    :data:`DEMO_FRAMES`) with their DIS flow, at the frames' size.

    The file's metadata names the config and checkpoint files and holds
    the checkpoint's SHA-256; ``shared_frames`` exports the graph the ONNX
    Runtime backend runs; ``opset`` defaults to
    :data:`~hfan.deploy.ONNX_OPSET`.

    Raises:
        hfan.utils.paths.OutputPathError: ``out`` is one of the inputs (the
            config, the checkpoint), lies in the frames folder, or cannot
            be written; checked before the model is built.
    """
    from hfan.apis import VideoSegmenter
    from hfan.io.video import FrameFolder
    check_output_not_input(out, 'the ONNX output', [
        ('config', config), ('checkpoint', checkpoint),
        ('frames folder', frames_dir or DEMO_FRAMES)])
    check_writable_file(out, 'the ONNX output')
    segmenter = VideoSegmenter(
        config, checkpoint, cfg_options=cfg_options,
        trust_checkpoint=trust_checkpoint, cpu_bf16=False, prefetch=False)
    frames_dir = frames_dir or DEMO_FRAMES
    folder = FrameFolder(frames_dir)
    frames = [folder.read(path) for path in folder.paths[:CHECK_FRAMES]]
    inputs = model_inputs(segmenter, frames)
    opset = opset or ONNX_OPSET
    export_onnx(
        segmenter.model, out,
        example_size=tuple(inputs[0].shape[2:]), opset=opset,
        shared_frames=shared_frames,
        metadata=dict(config=osp.basename(config),
                      checkpoint=osp.basename(checkpoint),
                      checkpoint_sha256=file_sha256(checkpoint)))
    runtime = OnnxRuntimeLogits(out, model_digest(segmenter.model))
    result = compare_logits(segmenter.model, runtime, inputs)
    return ExportCheck(out=out, opset=opset, frames_dir=frames_dir, **result)
