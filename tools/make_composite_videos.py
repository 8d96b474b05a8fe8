#!/usr/bin/env python
"""Copy-paste videos from real footage: the real-texture stage-1 set.

    python tools/make_composite_videos.py SRC OUT [--source-split train]
        [--splits SPLIT:COUNT ...] [--frames N] [--size HxW] [--seed S]
        [--workers N]
    python tools/make_composite_videos.py data/DAVIS2SEG data/COMPOSITE2SEG \\
        --source-split train --splits train:800 val:40 --workers 2

See ``--help``, hfan/cli/make_composite_videos.py and
hfan/preparation/composite.py.
"""
import sys

from hfan.cli.make_composite_videos import main

if __name__ == '__main__':
    sys.exit(main())
