"""Mask overlays of several models side by side on one video (GIF / mp4).

    python tools/visualize_ablation.py VIDEO \\
        --variant LABEL CONFIG CHECKPOINT [KEY=VALUE ...] \\
        --variant LABEL CONFIG CHECKPOINT [KEY=VALUE ...] ... \\
        [--gt MASK_DIR] [--show-flow] [--out output/ablation.gif]

CHECKPOINT ``none`` keeps random weights. See ``--help`` (the published
ablation as an example), hfan/cli/visualize_ablation.py and
hfan/visualization/ablation.py.
"""
import sys

from hfan.cli.visualize_ablation import main

if __name__ == '__main__':
    sys.exit(main())
