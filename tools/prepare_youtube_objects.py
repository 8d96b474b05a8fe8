#!/usr/bin/env python
"""Prepare YouTube-Objects (10 classes, sparse masks) for infer.py and
tools/eval_vos.py --class-mean.

    python tools/prepare_youtube_objects.py ROOT OUT [--split val]
        [--videos A,B] [--frames-root DIR] [--flow dis|raft] [--workers N]
    python tools/prepare_youtube_objects.py data/youtube_masks \\
        data/YouTubeObjects2SEG

See ``--help``, hfan/cli/prepare_youtube_objects.py and
hfan/preparation/sparse_benchmarks.py.
"""
import sys

from hfan.cli.prepare_youtube_objects import main

if __name__ == '__main__':
    sys.exit(main())
