"""The convert loop every preparation shares: for each video, skip it when
its outputs are complete, else convert it (writing atomically), and count
what was written.

A video is any picklable job; ``convert(job, estimator)`` writes it and
returns the number of files written, ``is_done(job)`` says whether its
outputs are complete. One flow estimator is built per process: in this
process, or in each worker of a process pool (``workers`` > 1).

Before anything is skipped, the output root is checked (not a file, not
under one) and, given the run's ``settings``, compared with what the root
was made with (:mod:`hfan.preparation.settings`): a video made otherwise
is not "complete" for this run.
"""
import multiprocessing
import os
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence

import cv2
from tqdm import tqdm

from hfan.flow.builder import build_flow_estimator
from hfan.utils.atomic_io import remove_stale_tmp
from hfan.utils.paths import check_writable_folder

from .settings import check_settings, record_settings


@dataclass
class ConvertStats:
    """What a conversion did: ``videos`` listed, ``skipped`` (already
    complete) and ``files`` written."""
    videos: int
    skipped: int
    files: int


_WORKER_ESTIMATOR = None


def _init_worker(flow: str, flow_kwargs: dict) -> None:
    global _WORKER_ESTIMATOR
    cv2.setNumThreads(1)  # the pool is the parallelism
    _WORKER_ESTIMATOR = build_flow_estimator(flow, **flow_kwargs)


def _run_in_worker(fn: Callable, job):
    return fn(job, _WORKER_ESTIMATOR)


def _pool_context():
    """Workers start from a fresh process (forkserver, else spawn), never by
    forking this one: a fork inherits the locks of OpenCV's, torch's and
    tqdm's threads, and a child that finds one held hangs."""
    if 'forkserver' in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context('forkserver')
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context('spawn')


def run_jobs(fn: Callable,
             jobs: Sequence,
             *,
             flow: str = 'dis',
             flow_kwargs: Optional[dict] = None,
             workers: int = 1,
             desc: str = 'videos',
             progress: bool = True) -> List:
    """Run ``fn(job, estimator)`` for every job, with a progress bar.

    One flow estimator is built per process (``workers`` > 1: a process
    pool, each worker single-threaded in OpenCV; otherwise in this process).
    ``fn`` and the jobs must be picklable for a pool (``fn`` a function of an
    importable module, or a ``functools.partial`` of one). Returns the
    results in completion order. The first exception stops the run and is
    raised here.
    """
    flow_kwargs = dict(flow_kwargs or {})
    results = []
    with tqdm(total=len(jobs), desc=desc, unit='video',
              disable=not progress) as bar:
        if workers <= 1 or len(jobs) <= 1:
            estimator = build_flow_estimator(flow, **flow_kwargs)
            for job in jobs:
                results.append(fn(job, estimator))
                bar.update()
        else:
            with _pool_context().Pool(
                    min(workers, len(jobs)),
                    initializer=_init_worker,
                    initargs=(flow, flow_kwargs)) as pool:
                for r in pool.imap_unordered(
                        partial(_run_in_worker, fn), jobs):
                    results.append(r)
                    bar.update()
    return results


def convert_videos(jobs: Sequence,
                   convert: Callable,
                   is_done: Callable,
                   out_root: str,
                   *,
                   flow: str = 'dis',
                   flow_kwargs: Optional[dict] = None,
                   workers: int = 1,
                   progress: bool = True,
                   desc: str = 'videos',
                   on_plan: Optional[Callable[[ConvertStats], None]] = None,
                   settings: Optional[Dict[str, Any]] = None
                   ) -> ConvertStats:
    """Convert every job of ``jobs`` whose outputs are not complete.

    Args:
        jobs: the videos (picklable when ``workers`` > 1).
        convert: ``convert(job, estimator) -> files written``; it writes
            atomically and only what is missing.
        is_done: ``is_done(job) -> bool``, run here on every job first.
        out_root: the output root, created if needed; temporary files of
            killed runs under it are removed before and after.
        flow, flow_kwargs: the estimator (:func:`build_flow_estimator`).
        workers: processes working on videos in parallel.
        progress: show a progress bar.
        desc: the progress bar's label.
        on_plan: called with the counts (``files`` 0) once the complete
            videos are known, before any work (a command reports there).
        settings: what changes the outputs (:mod:`.settings`: flow
            estimator, JPEG quality, generator settings); checked against
            the root's record before anything is skipped, and recorded.

    Returns:
        :class:`ConvertStats`.

    Raises:
        hfan.utils.paths.OutputPathError: ``out_root`` is, or lies under, a
            regular file, or cannot be written.
        SettingsMismatchError: ``out_root`` was prepared with other
            ``settings``.
    """
    # before any work: a root that cannot be created would otherwise fail
    # in the first write, with an OSError naming neither path
    check_writable_folder(out_root, 'the output root')
    if settings is not None:
        check_settings(out_root, settings)
    todo = [job for job in jobs if not is_done(job)]
    stats = ConvertStats(len(jobs), len(jobs) - len(todo), 0)
    if on_plan is not None:
        on_plan(stats)
    os.makedirs(out_root, exist_ok=True)
    if settings is not None:
        record_settings(out_root, settings)
    remove_stale_tmp(out_root)
    try:
        written = run_jobs(
            convert,
            todo,
            flow=flow,
            flow_kwargs=flow_kwargs,
            workers=workers,
            desc=desc,
            progress=progress)
    finally:
        remove_stale_tmp(out_root)
    stats.files = sum(written)
    return stats
