#!/usr/bin/env python
"""Generate synthetic videos with exact masks of a moving primary object.

    python tools/make_synthetic_videos.py --out OUT [--splits SPLIT:COUNT ...]
        [--frames N] [--size HxW] [--seed S] [--layout 2seg|davis] [--mp4]
        [--workers N]
    python tools/make_synthetic_videos.py --out data/SYN2SEG \\
        --splits train:20 val:5 --frames 20 --size 192x256 --workers 2

See ``--help``, hfan/cli/make_synthetic_videos.py and
hfan/preparation/synthetic.py.
"""
import sys

from hfan.cli.make_synthetic_videos import main

if __name__ == '__main__':
    sys.exit(main())
