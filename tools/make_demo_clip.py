#!/usr/bin/env python
"""Make the bundled demo clip from a DAVIS video (how demo/ was made).

    python tools/make_demo_clip.py DAVIS_ROOT VIDEO [--size HxW]
        [--frames N] [--out DIR]
    python tools/make_demo_clip.py data/DAVIS blackswan --size 240x427

See ``--help``, hfan/cli/make_demo_clip.py and
hfan/preparation/demo_clip.py.
"""
import sys

from hfan.cli.make_demo_clip import main

if __name__ == '__main__':
    sys.exit(main())
