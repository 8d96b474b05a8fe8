#!/usr/bin/env python
"""Gather still images with foreground masks (DUTS-TR, Weizmann horses,
Clothing Co-Parsing, Human-Segmentation-Dataset) into one cut-out set.

    python tools/prepare_cutouts.py ROOT [ROOT ...] OUT [--max-items N]
        [--no-progress]

See ``--help``, hfan/cli/prepare_cutouts.py and
hfan/preparation/cutouts.py.
"""
import sys

from hfan.cli.prepare_cutouts import main

if __name__ == '__main__':
    sys.exit(main())
