#!/usr/bin/env python
"""Composite videos with distractor motion: stage-1 data for objectness.

    python tools/make_distractor_composites.py OUT --objects DIR [DIR ...]
        --backgrounds DIR [DIR ...] [--splits SPLIT:COUNT ...]
        [--holdout FRACTION] [--frames N] [--size HxW] [--seed S]
        [--workers N]
    python tools/make_distractor_composites.py data/DISTRACTOR2SEG \\
        --objects data/CUTOUTS --backgrounds data/CUTOUTS \\
        --splits train:600 val:40 --workers 2

See ``--help``, hfan/cli/make_distractor_composites.py and
hfan/preparation/distractors.py.
"""
import sys

from hfan.cli.make_distractor_composites import main

if __name__ == '__main__':
    sys.exit(main())
