#!/usr/bin/env python
"""Pixel agreement of two mask folders, per video and over all frames.

    python tools/compare_masks.py NEW REFERENCE [--min-agreement 0.999]

See ``--help``, hfan/cli/compare_masks.py and
hfan/evaluation/mask_agreement.py.
"""
import sys

from hfan.cli.compare_masks import main

if __name__ == '__main__':
    sys.exit(main())
