#!/usr/bin/env python
"""Convert YouTube-VOS into YouTube2SEG, the layout HFAN pre-trains on.

    python tools/prepare_youtube.py ROOT OUT [--split train]
        [--flow dis|raft] [--workers N]
    python tools/prepare_youtube.py data/YouTube-VOS data/YouTube2SEG \\
        --workers 4

See ``--help``, hfan/cli/prepare_youtube.py and
hfan/preparation/youtube.py.
"""
import sys

from hfan.cli.prepare_youtube import main

if __name__ == '__main__':
    sys.exit(main())
