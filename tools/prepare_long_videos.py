#!/usr/bin/env python
"""Prepare Long-Videos (AFB-URR, Liang et al. 2020) for infer.py and
tools/eval_vos.py.

    python tools/prepare_long_videos.py ROOT OUT [--split val]
        [--videos A,B] [--flow dis|raft] [--workers N]
    python tools/prepare_long_videos.py data/long_video data/LongVideos2SEG

See ``--help``, hfan/cli/prepare_long_videos.py and
hfan/preparation/sparse_benchmarks.py.
"""
import sys

from hfan.cli.prepare_long_videos import main

if __name__ == '__main__':
    sys.exit(main())
