#!/usr/bin/env python
"""Speed of the DAVIS-16 evaluator (frames/s, PNG decoding included).

Generates 480x854 0/255 mask folders (``--seqs`` sequences x ``--frames``
frames of moving random ellipses; the "prediction" is the GT displaced and
perturbed), then times

* ``hfan.evaluation.evaluate_davis`` (vectorised, process pool), and
* a straightforward per-frame reference written here that follows the
  algorithm of the official davis2017-evaluation python functions: PIL
  decoding, (empty) void masks applied, full-image boundary maps from padded
  neighbour copies, a ``cv2.dilate`` with the full disk per boundary map,
  ``np.sum`` counts, one process.

The official functions themselves ran at 61.6 frames/s on the project's
2-CPU machine (docs/evaluation.md, section 3); the ratio to that figure is
printed too.

Each is run ``--runs`` times; the medians of wall time (frames/s) and of
CPU time (all processes, ms per frame: what the work costs whatever else
the machine is doing) and their ratios are printed, with the largest
difference between the two sets of figures (should be 0).

    python tools/benchmark_eval.py [--seqs 10] [--frames 40] [--runs 3]
"""
import argparse
import math
import os
import os.path as osp
import resource
import statistics
import sys
import tempfile
import time

import cv2
import numpy as np
from PIL import Image

from hfan.evaluation import (METRIC_KEYS, default_workers,
                             evaluate_davis)

H, W = 480, 854
#: davis2017-evaluation's metric functions, one process (docs/evaluation.md, section 3).
OFFICIAL_FPS = 61.6


def make_masks(root: str, seqs: int, frames: int, seed: int = 0) -> None:
    """Write GT and prediction trees ``root/{gt,pred}/<video>/<frame>.png``."""
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
            gt = np.zeros((H, W), np.uint8)
            pred = np.zeros((H, W), np.uint8)
            for cx, cy, ax, ay, vx, vy in blobs:
                c = (int(cx + vx * t), int(cy + vy * t))
                cv2.ellipse(gt, c, (int(ax), int(ay)), 0, 0, 360, 255, -1)
                d = rng.normal(0, 4, 2).astype(int)
                cv2.ellipse(pred, (c[0] + d[0], c[1] + d[1]),
                            (int(ax * rng.uniform(0.9, 1.1)),
                             int(ay * rng.uniform(0.9, 1.1))),
                            0, 0, 360, 255, -1)
            if rng.random() < 0.5:  # a false positive now and then
                cv2.circle(pred, (int(rng.uniform(0, W)),
                                  int(rng.uniform(0, H))),
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


def reference_eval(pred_root: str, gt_root: str) -> dict:
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


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the pool)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _time(fn, runs: int):
    """Median wall time, median CPU time (all processes) and the result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        c0, t0 = _cpu_seconds(), time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu_seconds() - c0)
    return statistics.median(walls), statistics.median(cpus), result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seqs', type=int, default=10)
    parser.add_argument('--frames', type=int, default=40)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--workers', type=int, default=None,
                        help='evaluator processes (default: min(4, CPUs))')
    args = parser.parse_args(argv)
    workers = args.workers or default_workers()
    with tempfile.TemporaryDirectory() as tmp:
        make_masks(tmp, args.seqs, args.frames)
        pred, gt = osp.join(tmp, 'pred'), osp.join(tmp, 'gt')
        n_eval = args.seqs * (args.frames - 2)
        t_ours, c_ours, ours = _time(
            lambda: evaluate_davis(pred, gt, workers=workers), args.runs)
        t_ref, c_ref, ref = _time(lambda: reference_eval(pred, gt),
                                  args.runs)
    diff = max(abs(ours[k] - ref[k]) for k in METRIC_KEYS)
    fps_ours, fps_ref = n_eval / t_ours, n_eval / t_ref
    print(f'{args.seqs} sequences x {args.frames} frames of {W}x{H}, '
          f'{n_eval} frames evaluated (davis16), median of {args.runs} runs, '
          f'{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}')
    print(f'  hfan.evaluation.evaluate_davis ({workers} workers): '
          f'{fps_ours:7.1f} frames/s  ({t_ours:.2f} s wall, '
          f'{1000 * c_ours / n_eval:.2f} CPU-ms/frame)')
    print(f'  per-frame reference (1 process):       {fps_ref:7.1f} frames/s  '
          f'({t_ref:.2f} s wall, {1000 * c_ref / n_eval:.2f} CPU-ms/frame)')
    print(f'  speed-up: {fps_ours / fps_ref:.1f}x over the reference '
          f'(CPU time: {c_ref / c_ours:.1f}x), '
          f'{fps_ours / OFFICIAL_FPS:.1f}x over the official functions '
          f'({OFFICIAL_FPS} frames/s, docs/evaluation.md)')
    print(f'  largest difference between the two: {diff:.2e}')
    figures = [100 * ours[k] for k in ('JF_mean', 'J_mean', 'J_recall',
                                       'J_decay', 'F_mean', 'F_recall',
                                       'F_decay')]
    print('  J&F {:.1f}  J {:.1f}/{:.1f}/{:.1f}  F {:.1f}/{:.1f}/{:.1f}'
          .format(*figures))
    return 0 if math.isfinite(diff) and diff < 1e-9 else 1


if __name__ == '__main__':
    sys.exit(main())
