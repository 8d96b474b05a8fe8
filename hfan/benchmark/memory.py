"""Peak memory of segmenting a video through ``infer.py``'s path, for
``tools/benchmark_memory.py``: a streamed synthetic video, a model with
random weights (memory does not depend on them), and one segmentation run
measured by the process's peak resident memory (``VmHWM`` of
``/proc/self/status``, Linux). A fresh process per run makes each peak its
own; the command starts them."""
from typing import Any, Dict, Iterator, Tuple

import numpy as np


def memory_kb() -> Dict[str, int]:
    """``{'VmHWM': peak, 'VmRSS': now}``: resident memory of this process,
    in kB."""
    values = {}
    with open('/proc/self/status') as f:
        for line in f:
            key, _, rest = line.partition(':')
            if key in ('VmHWM', 'VmRSS'):
                values[key] = int(rest.split()[0])
    return values


def synthetic_frames(n: int, hw: Tuple[int, int],
                     seed: int = 0) -> Iterator[np.ndarray]:
    """``n`` BGR uint8 (H, W, 3) frames, generated one at a time: a blurred
    random background with a disc moving across it."""
    import cv2
    h, w = hw
    rng = np.random.default_rng(seed)
    background = cv2.GaussianBlur(
        rng.integers(0, 255, (h, w, 3), dtype=np.uint8), (0, 0), 3)
    radius = max(4, min(h, w) // 8)
    for t in range(n):
        frame = background.copy()
        x = int(radius + (w - 2 * radius) * (0.5 + 0.45 * np.sin(t / 15)))
        y = int(radius + (h - 2 * radius) * (0.5 + 0.3 * np.cos(t / 23)))
        cv2.circle(frame, (x, y), radius, (40, 200, 240), -1)
        yield frame


def save_random_checkpoint(config: str, path: str) -> str:
    """Save the random initial weights (seed 0) of ``config``'s model to
    ``path`` (``dict(state_dict, meta={})``); returns ``path``."""
    import torch

    from hfan.apis import build_model
    torch.manual_seed(0)
    model = build_model(config)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def measure_segmentation(video: str, config: str, checkpoint: str,
                         output_dir: str, flow: str, overlay: str,
                         device: str) -> Dict[str, Any]:
    """Segment ``video`` with :func:`hfan.infer.run` in this process and
    measure its memory; meant for a fresh process.

    Returns:
        ``dict(frames, seconds, fps, wall, rss_loaded_kb, peak_loaded_kb,
        rss_end_kb, peak_kb, overlays)``: the run's figures, its wall time
        (s), and the resident memory (kB) once the model is loaded and at
        the end (now and peak).
    """
    import time

    from hfan.apis import VideoSegmenter
    from hfan.infer import run
    segmenter = VideoSegmenter(config, checkpoint, device=device)
    loaded = memory_kb()
    start = time.perf_counter()
    stats = run(config=config, checkpoint=checkpoint, input=video,
                output_dir=output_dir, flow=flow, overlay=overlay,
                device=device, overwrite=True, progress=False,
                segmenter=segmenter)
    wall = time.perf_counter() - start
    end = memory_kb()
    return dict(frames=stats['frames'], seconds=stats['seconds'],
                fps=stats['fps'], wall=wall, rss_loaded_kb=loaded['VmRSS'],
                peak_loaded_kb=loaded['VmHWM'], rss_end_kb=end['VmRSS'],
                peak_kb=end['VmHWM'], overlays=stats['overlays'])
