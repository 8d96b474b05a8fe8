"""Frames/s of the whole user path, an older commit's against this tree's.

    python tools/benchmark_user_path.py --input FRAME_DIR [FRAME_DIR ...]
        [--baseline 8749323] [--config CFG --checkpoint CKPT]
        [--flow-directions both|forward] [--breakdown-frames 10] [--json F]

``--help`` says what is timed; the code is
:mod:`hfan.cli.benchmark_user_path` and :mod:`hfan.benchmark.user_path`.
"""
import sys

from hfan.cli.benchmark_user_path import main

if __name__ == '__main__':
    sys.exit(main())
