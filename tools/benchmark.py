"""Measure HFAN's speed: model frames/s and end-to-end frames/s.

    python tools/benchmark.py CONFIG [--checkpoint CKPT] [--shape 480 854]
        [--aug-test] [--fp16] [--device cuda] [--repeat 50 --warmup 10]
        [--end-to-end --input data/DAVIS2SEG] [--json [FILE]]

``--help`` says what is timed; the code is :mod:`hfan.cli.benchmark` and
:mod:`hfan.benchmark.model_speed`.
"""
import sys

from hfan.cli.benchmark import main

if __name__ == '__main__':
    sys.exit(main())
