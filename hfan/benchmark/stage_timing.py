"""Seconds per frame of each stage of the user path, one stage after the
other: decode, flow, model, write (``tools/benchmark_user_path.py``).

This module imports nothing of :mod:`hfan` at module level:
:func:`hfan.benchmark.user_path.time_stages_in` loads this file into a process
whose ``hfan`` is another commit's, and the stages timed are that commit's.
"""
import os
import os.path as osp
import tempfile
import time
from typing import Dict, List, Optional, Sequence


def frame_files(folder: str) -> List[str]:
    """The ``.jpg``/``.jpeg``/``.png`` files of ``folder``, sorted."""
    names = sorted(n for n in os.listdir(folder)
                   if n.lower().endswith(('.jpg', '.jpeg', '.png')))
    return [osp.join(folder, n) for n in names]


def stage_breakdown(inputs: Sequence[str], config: str, checkpoint: str,
                    flow_directions: Optional[str] = None,
                    frames: int = 10) -> Dict[str, float]:
    """Time the stages on the first ``frames`` frames of each input.

    Args:
        inputs: folders of frames.
        flow_directions: ``'forward'`` or ``'both'``; None: the config's.

    Returns:
        ``{'decode', 'flow', 'model', 'write'}``: seconds per frame of
        ``cv2.imread``, DIS flow plus colour coding (per the flow
        directions), ``VideoSegmenter.segment_frames`` and ``FrameWriter``
        (drained at the end), with the ``hfan`` that this process imports.
    """
    import cv2
    import numpy as np

    from hfan.apis import VideoSegmenter
    from hfan.flow import build_flow_estimator, flow_to_bgr
    from hfan.io.frame_writer import FrameWriter
    segmenter = VideoSegmenter(config, checkpoint)
    directions = flow_directions or segmenter.flow_directions
    estimator = build_flow_estimator('dis')
    totals = dict(decode=0.0, flow=0.0, model=0.0, write=0.0)
    count = 0
    with tempfile.TemporaryDirectory() as tmp:
        writer = FrameWriter(osp.join(tmp, 'masks'), False, 2)
        with writer:
            for folder in inputs:
                files = frame_files(folder)[:frames + 1]
                start = time.perf_counter()
                images = [cv2.imread(f) for f in files]
                totals['decode'] += (time.perf_counter() - start) * (
                    len(files) - 1) / len(files)
                for t in range(len(files) - 1):
                    start = time.perf_counter()
                    flows = [flow_to_bgr(estimator(images[t], images[t + 1]))]
                    if directions == 'both' and t > 0:
                        flows.append(flow_to_bgr(
                            -estimator(images[t], images[t - 1])))
                    totals['flow'] += time.perf_counter() - start
                    start = time.perf_counter()
                    masks, _ = segmenter.segment_frames([images[t]], [flows])
                    totals['model'] += time.perf_counter() - start
                    start = time.perf_counter()
                    writer.write(osp.basename(folder), f'{t:05d}', masks[0],
                                 np.zeros(masks[0].shape, np.float32))
                    totals['write'] += time.perf_counter() - start
                    count += 1
            start = time.perf_counter()
        totals['write'] += time.perf_counter() - start  # writer drained
    return {k: v / count for k, v in totals.items()}
