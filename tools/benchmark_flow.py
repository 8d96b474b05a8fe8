#!/usr/bin/env python
"""Speed of the flow step of data preparation at DAVIS size (480x854).

    python tools/benchmark_flow.py [--runs 20] [--presets medium fast]
    python tools/benchmark_flow.py --presets medium --raft random --runs 3

Times DIS, the colour coding + JPEG encoding (--colorize) and RAFT (--raft)
per frame pair of a synthetic video. See ``--help``,
hfan/cli/benchmark_flow.py and hfan/benchmark/flow_speed.py.
"""
import sys

from hfan.cli.benchmark_flow import main

if __name__ == '__main__':
    sys.exit(main())
