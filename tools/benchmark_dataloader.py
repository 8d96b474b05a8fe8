#!/usr/bin/env python
"""Data-loading speed of a config's training pipeline, in frames/s.

    python tools/benchmark_dataloader.py CONFIG \\
        [--cfg-options davis_root=data/bench480] [--samples 100] \\
        [--repeats 3] [--workers N]

See ``--help``, hfan/cli/benchmark_dataloader.py and
hfan/benchmark/dataloader_speed.py.
"""
import sys

from hfan.cli.benchmark_dataloader import main

if __name__ == '__main__':
    sys.exit(main())
