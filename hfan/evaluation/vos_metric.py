"""``VOSMetric``: DAVIS-16 J / F figures inside an MMSeg val / test loop.

Use in a config::

    val_evaluator = dict(type='VOSMetric')                 # davis16 protocol
    test_evaluator = dict(type='VOSMetric', protocol='all-frames')

Each data sample must carry ``img_path`` named ``<video>_<frame>.<ext>`` (the
DAVIS2SEG / YouTube2SEG layout), ``pred_sem_seg`` and ``gt_sem_seg`` (1 x H x
W label maps; any nonzero label is foreground). Per frame only ``(video,
frame, J, F)`` is kept, so memory does not grow with image size. The figures
are exactly those of ``tools/eval_vos.py`` on the same masks (same J/F code,
same per-sequence statistics); unlike the published code's training-time
``VOS`` hook, which pooled all frames of all videos, this is the paper
protocol.
"""
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmseg.registry import METRICS

from .davis import (
    BOUND_TH,
    METRIC_KEYS,
    evaluated_frames,
    format_davis_table,
    frame_scores,
    summarize,
)
from .io import split_flat_name


def _to_numpy(data) -> np.ndarray:
    """A tensor (any device) or array -> numpy array, without importing
    torch here."""
    if hasattr(data, 'detach'):
        data = data.detach().cpu().numpy()
    return np.asarray(data)


def _label_map(sample: dict, key: str) -> np.ndarray:
    try:
        data = sample[key]['data']
    except (KeyError, TypeError):
        raise KeyError(f'data sample of {sample.get("img_path", "?")} has no '
                       f"'{key}' with 'data'") from None
    arr = _to_numpy(data)
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2:
        raise ValueError(f'{key} of {sample.get("img_path", "?")} must be a '
                         f'1 x H x W label map, got shape {arr.shape}')
    return arr


@METRICS.register_module()
class VOSMetric(BaseMetric):
    """DAVIS-16 unsupervised VOS evaluation (J, F, J&F).

    Args:
        protocol: 'davis16' (first and last frame of each video excluded,
            the official protocol) or 'all-frames'.
        bound_th: boundary tolerance of F (fraction of the image diagonal, or
            pixels when >= 1).
        collect_device, prefix, collect_dir: see
            :class:`mmengine.evaluator.BaseMetric`.

    ``compute_metrics`` returns fractions in [0, 1]: ``J_mean, J_recall,
    J_decay, F_mean, F_recall, F_decay, JF_mean`` (uniform mean over videos),
    and logs the x100 table.
    """

    # no prefix: the keys stay 'JF_mean' etc. (e.g. save_best='JF_mean')
    default_prefix: Optional[str] = None

    def __init__(self,
                 protocol: str = 'davis16',
                 bound_th: float = BOUND_TH,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix,
                         collect_dir=collect_dir)
        evaluated_frames(0, protocol)  # validates the name
        self.protocol = protocol
        self.bound_th = bound_th

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Score each frame and keep ``(video, frame, J, F)``.

        Args:
            data_batch: unused.
            data_samples: dicts with ``img_path``, ``pred_sem_seg.data`` and
                ``gt_sem_seg.data`` (1 x H x W; nonzero = foreground).
        """
        for sample in data_samples:
            img_path = sample.get('img_path')
            if img_path is None:
                raise KeyError('VOSMetric needs img_path in each data sample '
                               '(named <video>_<frame>.jpg)')
            video, frame = split_flat_name(img_path)
            try:
                frame_idx = int(frame)
            except ValueError:
                raise ValueError(
                    f'cannot parse the frame number of {img_path}: expected '
                    '<video>_<integer frame>.<ext>') from None
            pred = _label_map(sample, 'pred_sem_seg')
            gt = _label_map(sample, 'gt_sem_seg')
            if pred.shape != gt.shape:
                raise ValueError(f'{osp.basename(img_path)}: prediction shape '
                                 f'{pred.shape} differs from GT {gt.shape}')
            j, f = frame_scores(pred != 0, gt != 0, self.bound_th)
            self.results.append((video, frame_idx, j, f))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Group frames by video, order them, and summarise.

        A video with too few frames for the protocol (fewer than 3 under
        'davis16') is warned about and left out.
        """
        seqs: Dict[str, list] = defaultdict(list)
        for video, frame, j, f in results:
            seqs[video].append((frame, j, f))
        per_frame = {}
        for video in sorted(seqs):
            frames = sorted(seqs[video])
            idx = [fr for fr, _, _ in frames]
            if len(set(idx)) != len(idx):
                dup = sorted({i for i in idx if idx.count(i) > 1})
                raise ValueError(f'video {video}: frame(s) {dup} were '
                                 'evaluated more than once')
            per_frame[video] = (np.array([j for _, j, _ in frames]),
                                np.array([f for _, _, f in frames]))
        summary = summarize(per_frame, self.protocol)
        print_log('\n' + format_davis_table(summary), logger='current')
        return {k: summary[k] for k in METRIC_KEYS}
