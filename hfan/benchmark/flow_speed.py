"""Speed of the flow step of data preparation, per frame pair.

The frames are a synthetic video (:mod:`hfan.preparation.synthetic`'s
generator: textured, moving scene) of any size; each step is timed pair by
pair (:func:`median_fps`): the DIS estimator, the colour coding plus JPEG
encoding of its flow (:func:`colour_and_encode`), and RAFT-large
(:func:`build_raft`; its speed does not depend on the weights).
"""
import os
import os.path as osp
import platform
import statistics
import tempfile
import time
from typing import Callable, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from hfan.flow.colorize import flow_to_bgr
from hfan.preparation.synthetic import SyntheticConfig, render_video

#: ``(frame, next frame)``, (H, W, 3) uint8 BGR each.
FramePair = Tuple[np.ndarray, np.ndarray]


def machine_info() -> str:
    """Three lines: platform and Python; CPU model and usable cores;
    OpenCV (its threads) and NumPy versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            names = [line.split(':', 1)[1].strip() for line in f
                     if line.startswith('model name')]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(
        os, 'sched_getaffinity') else os.cpu_count()
    return (f'{platform.platform()}, Python {platform.python_version()}\n'
            f'CPU: {cpu}, {usable} usable of {os.cpu_count()} logical '
            f'cores\nOpenCV {cv2.__version__} ({cv2.getNumThreads()} '
            f'threads), NumPy {np.__version__}')


def synthetic_pairs(height: int, width: int, count: int) -> List[FramePair]:
    """``count`` consecutive frame pairs of one synthetic video (seed 0)
    of ``height`` x ``width``."""
    video = render_video(0, SyntheticConfig(height, width, count + 1))
    return list(zip(video.frames[:-1], video.frames[1:]))


def median_fps(step: Callable[[np.ndarray, np.ndarray], object],
               pairs: Sequence[FramePair],
               warmup: int) -> Tuple[float, float, float]:
    """Run ``step(frame, next_frame)`` on each pair, the first ``warmup``
    untimed.

    Returns:
        frames/s of the median, the slowest and the fastest timed pair.
    """
    for a, b in pairs[:warmup]:
        step(a, b)
    times = []
    for a, b in pairs[warmup:]:
        t0 = time.perf_counter()
        step(a, b)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return 1 / med, 1 / max(times), 1 / min(times)


def colour_and_encode(
        flows: Sequence[np.ndarray]
) -> Callable[[np.ndarray, np.ndarray], None]:
    """A step for :func:`median_fps` that colour-codes the next of the
    precomputed (H, W, 2) ``flows`` and encodes it as a JPEG (quality 95),
    the rest of the per-frame flow cost; its frame arguments are
    ignored."""
    remaining = iter(flows)

    def step(frame, next_frame):
        cv2.imencode('.jpg', flow_to_bgr(next(remaining)),
                     [cv2.IMWRITE_JPEG_QUALITY, 95])

    return step


def build_raft(weights: str, device: Optional[str], updates: int):
    """RAFT-large (:class:`~hfan.flow.RAFTFlow`) with ``updates``
    refinement iterations; ``weights`` a file, or ``'random'`` for random
    weights."""
    import torch

    from hfan.flow.raft import RAFTFlow
    from hfan.flow.raft_network import RAFT
    if weights != 'random':
        return RAFTFlow(weights, device=device, num_flow_updates=updates)
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'raft-random.pth')
        torch.save(RAFT().state_dict(), path)
        return RAFTFlow(path, device=device, num_flow_updates=updates)
