"""The GPU check: the published models' speed and fp16 agreement, one row
per model.

For each model, frames/s of :meth:`~hfan.apis.VideoSegmenter.predict` on a
prepared 480x854 frame (normalisation, forward, resize, softmax; median
after warm-up) in float32 and under CUDA fp16 autocast, single-scale and
with the multi-scale + flip test; the fp16-vs-fp32 mask agreement on real
frames with DIS flow; and the ONNX Runtime backend when its CUDA provider
is there (on a CPU, the CPU provider). Weights are random when the
checkpoint is missing: speed does not depend on them.
"""
import os
import os.path as osp
import statistics
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from hfan.utils.defaults import REPO_ROOT

#: The models checked by default: ``{name: (config, checkpoint)}``, the
#: published refine configs (sliding 512x512 windows).
GPU_CHECK_MODELS = {
    name: (osp.join(REPO_ROOT, config), osp.join(REPO_ROOT, checkpoint))
    for name, (config, checkpoint) in {
        'HFAN-Small': ('local_configs/hfan/hfan.small.512x512.refine.py',
                       'checkpoint/HFAN-s-converted.pth'),
        'HFAN-Medium': ('local_configs/hfan/hfan.medium.512x512.refine.py',
                        'checkpoint/HFAN-m-converted.pth'),
    }.items()
}
#: The columns of a row of :func:`check_model`, in table order.
GPU_CHECK_COLUMNS = ('model', 'weights', 'fp32', 'fp16', 'fp32 MS',
                     'fp16 MS', 'ORT fp32', 'fp16=fp32 px')
#: (H, W) the frames are resized to: DAVIS's 480p.
FRAME_SIZE = (480, 854)
#: Untimed calls before the timed ones.
WARMUP = 2

#: ``(frame, colour-coded flow)``, (H, W, 3) uint8 BGR each.
FramePair = Tuple[np.ndarray, np.ndarray]


def device_description(device: str) -> str:
    """The GPU's name for a CUDA ``device``, else ``CPU (<n> cores)``."""
    if device.startswith('cuda'):
        import torch
        return torch.cuda.get_device_name(0)
    return f'CPU ({os.cpu_count()} cores)'


def real_inputs(frames_dir: str, count: int) -> List[FramePair]:
    """The first ``count`` frames of a folder, resized to
    :data:`FRAME_SIZE`, each with its DIS flow to the next."""
    import cv2

    from hfan.flow import build_flow_estimator, flow_to_bgr
    from hfan.io.video import FrameFolder
    height, width = FRAME_SIZE
    folder = FrameFolder(frames_dir)
    frames = [cv2.resize(folder.read(p), (width, height))
              for p in folder.paths[:count + 1]]
    dis = build_flow_estimator('dis')
    return [(frames[t], flow_to_bgr(dis(frames[t], frames[t + 1])))
            for t in range(len(frames) - 1)]


def frames_per_second(segmenter, pair: FramePair, repeat: int) -> float:
    """1 / the median time of ``segmenter.predict`` on the prepared
    ``pair`` over ``repeat`` calls (after :data:`WARMUP`; CUDA
    synchronised)."""
    import torch
    prepared = [segmenter.prepare(*pair)]
    cuda = segmenter.device.type == 'cuda'
    times = []
    for i in range(repeat + WARMUP):
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        segmenter.predict(prepared)
        if cuda:
            torch.cuda.synchronize()
        if i >= WARMUP:
            times.append(time.perf_counter() - start)
    return 1.0 / statistics.median(times)


def check_model(name: str, config: str, checkpoint: Optional[str],
                pairs: Sequence[FramePair], device: str,
                repeat: int) -> Dict[str, object]:
    """One row of the table (keys of :data:`GPU_CHECK_COLUMNS`; frames/s as
    floats, the agreement as text): fp16 rows only on CUDA, the ONNX
    Runtime row only when it can run on ``device``; multi-scale rows
    repeat ``repeat // 5`` times (at least once)."""
    from hfan.apis import VideoSegmenter
    from hfan.deploy import onnxruntime_available
    ckpt = checkpoint if checkpoint and osp.isfile(checkpoint) else None
    cuda = device.startswith('cuda')
    row = dict(model=name, weights=osp.basename(ckpt) if ckpt else 'random')
    base = dict(checkpoint=ckpt, device=device, cpu_bf16=False,
                prefetch=False)
    ms_repeat = max(1, repeat // 5)
    fp32 = VideoSegmenter(config, **base)
    row['fp32'] = frames_per_second(fp32, pairs[0], repeat)
    row['fp32 MS'] = frames_per_second(
        VideoSegmenter(config, aug_test=True, **base), pairs[0], ms_repeat)
    if cuda:
        fp16 = VideoSegmenter(config, fp16=True, **base)
        row['fp16'] = frames_per_second(fp16, pairs[0], repeat)
        row['fp16 MS'] = frames_per_second(
            VideoSegmenter(config, aug_test=True, fp16=True, **base),
            pairs[0], ms_repeat)
        agree = [np.mean(fp16.segment_pair(*p)[0] == fp32.segment_pair(*p)[0])
                 for p in pairs]
        row['fp16=fp32 px'] = f'{100 * np.mean(agree):.3f}%'
    if onnxruntime_available():
        import onnxruntime as ort
        if not cuda or 'CUDAExecutionProvider' in \
                ort.get_available_providers():
            row['ORT fp32'] = frames_per_second(
                VideoSegmenter(config, backend='onnxruntime', **base),
                pairs[0], repeat)
    return row


def format_gpu_table(rows: Sequence[Dict[str, object]]) -> str:
    """A markdown table of :func:`check_model` rows (frames/s with one
    decimal, ``n/a`` where a row has no value)."""
    lines = ['| ' + ' | '.join(GPU_CHECK_COLUMNS) + ' |',
             '|' + '---|' * len(GPU_CHECK_COLUMNS)]
    for row in rows:
        cells = [row.get(c, 'n/a') for c in GPU_CHECK_COLUMNS]
        lines.append('| ' + ' | '.join(
            f'{v:.1f}' if isinstance(v, float) else str(v)
            for v in cells) + ' |')
    return '\n'.join(lines)
