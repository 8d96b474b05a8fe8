"""Offline dataset preparation: writing the 2SEG layout HFAN trains and
tests on (frame, colour-coded flow, 0/255 mask per frame) from downloads
and generators. Nothing here runs at training or inference time; the
runtime dataset and transforms are :mod:`hfan.datasets`.

    sources             reading the inputs (errors name the file)
    two_seg             the 2SEG layout and the per-video writer
    convert             the one convert loop: skip complete videos, write
                        the others (optionally in a process pool)
    settings            what an output root was made with, so a resume
                        with other settings is refused
    davis, youtube      DAVIS-2016/2017 and YouTube-VOS downloads
    sparse_benchmarks   Long-Videos, FBMS-59, YouTube-Objects (+ their GT)
    synthetic           synthetic videos with exact masks
    composite           copy-paste videos from real footage
    demo_clip           the bundled demo clip from a DAVIS video
    cutouts             still images + masks from four public layouts
                        (object cut-outs, issue 31)

The commands that drive them are ``tools/prepare_*.py`` and
``tools/make_*.py`` (:mod:`hfan.cli`).
"""
from .convert import ConvertStats, convert_videos, run_jobs
from .cutouts import (
                      CutoutStats,
                      detect_cutout_layout,
                      iter_cutout_pairs,
                      prepare_cutouts,
)
from .sources import PrepareError
from .two_seg import (
                      FrameSpec,
                      VideoJob,
                      WriteOptions,
                      process_video,
                      video_done,
                      write_2seg_videos,
)

__all__ = [
    'ConvertStats', 'convert_videos', 'run_jobs', 'CutoutStats',
    'detect_cutout_layout', 'iter_cutout_pairs', 'prepare_cutouts',
    'PrepareError', 'FrameSpec',
    'VideoJob', 'WriteOptions', 'process_video', 'video_done',
    'write_2seg_videos'
]
