"""Feature maps of HFAN's frame and flow streams before and after FAM / FAT.

    python tools/visualize_features.py CONFIG CHECKPOINT \\
        (--pair FRAME FLOW_IMAGE | --frames FRAME NEXT_FRAME |
         --video VIDEO [--index T]) [--mode pca|mean|norm] [--out PNG]

Records what the head's fusion modules receive and return for one frame
pair and plots the maps, one row per level (see ``--help``).
"""
import sys

from hfan.cli.visualize_features import main

if __name__ == '__main__':
    sys.exit(main())
