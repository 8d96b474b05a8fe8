"""Segment videos with a trained HFAN model and write the masks.

    python infer.py --config CONFIG --checkpoint CHECKPOINT \\
        --output_dir OUT [--input VIDEO|FRAMES_DIR|DAVIS2SEG_ROOT ...]

``python infer.py --help`` lists the options, the inputs and outputs, and
how a stopped run resumes. The command line is :mod:`hfan.cli.infer`, the
engine :func:`hfan.infer.run`.
"""
import sys

from hfan.cli.infer import main

if __name__ == '__main__':
    sys.exit(main())
