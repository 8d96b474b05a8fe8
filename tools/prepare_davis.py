#!/usr/bin/env python
"""Convert a DAVIS download into DAVIS2SEG, the layout HFAN reads.

    python tools/prepare_davis.py ROOT OUT [--splits train val]
        [--annotations DIR] [--flow dis|raft] [--save-raw-flow npy|flo]
        [--workers N]
    python tools/prepare_davis.py data/DAVIS data/DAVIS2SEG --workers 2

See ``--help``, hfan/cli/prepare_davis.py and
hfan/preparation/davis.py.
"""
import sys

from hfan.cli.prepare_davis import main

if __name__ == '__main__':
    sys.exit(main())
