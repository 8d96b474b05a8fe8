#!/usr/bin/env python
"""Prepare the FBMS-59 test set (30 videos) for infer.py and
tools/eval_vos.py.

    python tools/prepare_fbms.py ROOT OUT [--split val] [--videos A,B]
        [--subset Testset] [--flow dis|raft] [--workers N]
    python tools/prepare_fbms.py data/FBMS data/FBMS2SEG

See ``--help``, hfan/cli/prepare_fbms.py and
hfan/preparation/sparse_benchmarks.py.
"""
import sys

from hfan.cli.prepare_fbms import main

if __name__ == '__main__':
    sys.exit(main())
