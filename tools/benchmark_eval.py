#!/usr/bin/env python
"""Speed of the DAVIS-16 evaluator (frames/s, PNG decoding included).

    python tools/benchmark_eval.py [--seqs 10] [--frames 40] [--runs 3]

Times ``hfan.evaluation.evaluate_davis`` against a per-frame reference of
the official functions' algorithm on generated 480x854 masks. See
``--help``, hfan/cli/benchmark_eval.py and hfan/benchmark/eval_speed.py.
"""
import sys

from hfan.cli.benchmark_eval import main

if __name__ == '__main__':
    sys.exit(main())
