"""Compare an exported graph with the PyTorch model on real inputs."""
from typing import Dict, List, Sequence

import numpy as np
import torch


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
