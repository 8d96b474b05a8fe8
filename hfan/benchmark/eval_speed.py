"""Speed of the DAVIS-16 evaluator against a per-frame reference.

:func:`compare_evaluators` generates 480x854 0/255 mask folders (moving
random ellipses; the "prediction" is the GT displaced and perturbed), then
times :func:`hfan.evaluation.evaluate_davis` (vectorised, process pool) and
:func:`reference_eval`, a straightforward per-frame evaluator that follows
the algorithm of the official davis2017-evaluation python functions: PIL
decoding, (empty) void masks applied, full-image boundary maps from padded
neighbour copies, a ``cv2.dilate`` with the full disk per boundary map,
``np.sum`` counts, one process.
"""
import os
import os.path as osp
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

import cv2
import numpy as np
from PIL import Image

from hfan.evaluation import METRIC_KEYS, default_workers, evaluate_davis

#: (H, W) of the generated masks: DAVIS-16's 480p.
MASK_SIZE = (480, 854)
#: Frames/s of davis2017-evaluation's metric functions, one process, on the
#: project's 2-CPU machine (docs/evaluation.md, section 3).
OFFICIAL_FPS = 61.6


def make_masks(root: str, seqs: int, frames: int, seed: int = 0) -> None:
    """Write GT and prediction trees ``root/{gt,pred}/<video>/<frame>.png``
    of ``seqs`` videos ``seq00, seq01...`` with ``frames`` 480x854 0/255
    masks each."""
    h, w = MASK_SIZE
    rng = np.random.default_rng(seed)
    for s in range(seqs):
        video = f'seq{s:02d}'
        for sub in ('gt', 'pred'):
            os.makedirs(osp.join(root, sub, video), exist_ok=True)
        blobs = [(rng.uniform(150, 700), rng.uniform(100, 380),
                  rng.uniform(30, 150), rng.uniform(30, 120),
                  rng.uniform(-4, 4), rng.uniform(-3, 3))
                 for _ in range(rng.integers(1, 4))]
        for t in range(frames):
            gt = np.zeros((h, w), np.uint8)
            pred = np.zeros((h, w), np.uint8)
            for cx, cy, ax, ay, vx, vy in blobs:
                c = (int(cx + vx * t), int(cy + vy * t))
                cv2.ellipse(gt, c, (int(ax), int(ay)), 0, 0, 360, 255, -1)
                d = rng.normal(0, 4, 2).astype(int)
                cv2.ellipse(pred, (c[0] + d[0], c[1] + d[1]),
                            (int(ax * rng.uniform(0.9, 1.1)),
                             int(ay * rng.uniform(0.9, 1.1))),
                            0, 0, 360, 255, -1)
            if rng.random() < 0.5:  # a false positive now and then
                cv2.circle(pred, (int(rng.uniform(0, w)),
                                  int(rng.uniform(0, h))),
                           int(rng.uniform(5, 40)), 255, -1)
            name = f'{t:05d}.png'
            cv2.imwrite(osp.join(root, 'gt', video, name), gt)
            cv2.imwrite(osp.join(root, 'pred', video, name), pred)


# ---- per-frame reference (the official python functions' algorithm) ------
def _ref_boundary(seg: np.ndarray) -> np.ndarray:
    seg = seg.astype(bool)
    right = np.zeros_like(seg)
    below = np.zeros_like(seg)
    diag = np.zeros_like(seg)
    right[:, :-1] = seg[:, 1:]
    below[:-1, :] = seg[1:, :]
    diag[:-1, :-1] = seg[1:, 1:]
    b = (seg ^ right) | (seg ^ below) | (seg ^ diag)
    b[-1, :] = seg[-1, :] ^ right[-1, :]
    b[:, -1] = seg[:, -1] ^ below[:, -1]
    b[-1, -1] = False
    return b


def _ref_disk(r: int) -> np.ndarray:
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    return (yy ** 2 + xx ** 2 <= r ** 2).astype(np.uint8)


def _ref_j(fg: np.ndarray, gt: np.ndarray, void: np.ndarray) -> float:
    # void pixels (none in DAVIS-16) are dropped, as the official code does
    keep = np.logical_not(void)
    inter = np.sum((fg & gt) & keep)
    union = np.sum((fg | gt) & keep)
    return 1.0 if union == 0 else inter / union


def _ref_f(fg: np.ndarray, gt: np.ndarray, void: np.ndarray,
           th: float = 0.008) -> float:
    r = int(np.ceil(th * np.linalg.norm(fg.shape)))
    bf = _ref_boundary(fg * np.logical_not(void))
    bg = _ref_boundary(gt * np.logical_not(void))
    kernel = _ref_disk(r)
    df = cv2.dilate(bf.astype(np.uint8), kernel)
    dg = cv2.dilate(bg.astype(np.uint8), kernel)
    gt_match = bg * df
    fg_match = bf * dg
    n_fg, n_gt = np.sum(bf), np.sum(bg)
    if n_fg == 0 and n_gt > 0:
        p, rc = 1, 0
    elif n_fg > 0 and n_gt == 0:
        p, rc = 0, 1
    elif n_fg == 0 and n_gt == 0:
        p, rc = 1, 1
    else:
        p = np.sum(fg_match) / float(n_fg)
        rc = np.sum(gt_match) / float(n_gt)
    return 0.0 if p + rc == 0 else 2 * p * rc / (p + rc)


def _ref_stats(x: np.ndarray):
    ids = np.round(np.linspace(1, len(x), 5) + 1e-10) - 1
    ids = ids.astype(int)
    bins = [x[ids[i]:ids[i + 1] + 1] for i in range(4)]
    return (np.nanmean(x), np.nanmean(x > 0.5),
            np.nanmean(bins[0]) - np.nanmean(bins[3]))


def reference_eval(pred_root: str, gt_root: str) -> Dict[str, float]:
    """DAVIS-16 figures (:data:`~hfan.evaluation.METRIC_KEYS`, fractions)
    of per-video mask trees, frame by frame in one process (the first and
    last frame of each video left out)."""
    out = {k: [] for k in METRIC_KEYS[:-1]}
    for video in sorted(os.listdir(gt_root)):
        names = sorted(os.listdir(osp.join(gt_root, video)))
        js, fs = [], []
        for name in names[1:-1]:  # davis16: first and last excluded
            gt = np.array(Image.open(osp.join(gt_root, video, name))) > 0
            fg = np.array(Image.open(osp.join(pred_root, video, name))) > 0
            void = np.zeros_like(gt)
            js.append(_ref_j(fg, gt, void))
            fs.append(_ref_f(fg, gt, void))
        for m, vals in (('J', js), ('F', fs)):
            mean, recall, decay = _ref_stats(np.array(vals))
            out[f'{m}_mean'].append(mean)
            out[f'{m}_recall'].append(recall)
            out[f'{m}_decay'].append(decay)
    res = {k: float(np.mean(v)) for k, v in out.items()}
    res['JF_mean'] = (res['J_mean'] + res['F_mean']) / 2
    return res


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (a pool)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def time_runs(fn: Callable[[], object],
              runs: int) -> Tuple[float, float, object]:
    """Run ``fn`` ``runs`` times; the median wall time and median CPU time
    (all processes) in seconds, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        c0, t0 = cpu_seconds(), time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds() - c0)
    return statistics.median(walls), statistics.median(cpus), result


@dataclass
class EvaluatorTimes:
    """What :func:`compare_evaluators` measured: seconds are medians over
    the runs; ``ours`` and ``reference`` the figures each gave."""
    frames_evaluated: int
    workers: int
    ours_wall: float
    ours_cpu: float
    reference_wall: float
    reference_cpu: float
    ours: Dict[str, float]
    reference: Dict[str, float]

    @property
    def max_difference(self) -> float:
        """The largest difference between the two sets of figures."""
        return max(abs(self.ours[k] - self.reference[k])
                   for k in METRIC_KEYS)


def compare_evaluators(seqs: int = 10,
                       frames: int = 40,
                       runs: int = 3,
                       workers: Optional[int] = None) -> EvaluatorTimes:
    """Time :func:`~hfan.evaluation.evaluate_davis` (``workers``
    processes, default :func:`~hfan.evaluation.default_workers`) and
    :func:`reference_eval` on ``seqs`` generated videos of ``frames``
    480x854 masks (in a temporary folder), ``runs`` times each."""
    workers = workers or default_workers()
    with tempfile.TemporaryDirectory() as tmp:
        make_masks(tmp, seqs, frames)
        pred, gt = osp.join(tmp, 'pred'), osp.join(tmp, 'gt')
        ours_wall, ours_cpu, ours = time_runs(
            lambda: evaluate_davis(pred, gt, workers=workers), runs)
        ref_wall, ref_cpu, ref = time_runs(lambda: reference_eval(pred, gt),
                                           runs)
    return EvaluatorTimes(
        frames_evaluated=seqs * (frames - 2), workers=workers,
        ours_wall=ours_wall, ours_cpu=ours_cpu, reference_wall=ref_wall,
        reference_cpu=ref_cpu, ours=ours, reference=ref)
