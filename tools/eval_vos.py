#!/usr/bin/env python
"""DAVIS-16 U-VOS evaluation (J, F, J&F) of a folder of predicted masks.

    python tools/eval_vos.py PRED_DIR GT_DIR [--layout per-video|flat]
        [--gt-layout per-video|flat]
        [--protocol davis16|all-frames|annotated] [--resize-pred nearest]
        [--class-mean] [--classes FILE] [--bound-th T]
        [--json OUT.json|-] [--csv OUT.csv|-] [--workers N]

Sparse benchmarks (Long-Videos, FBMS-59, YouTube-Objects):
docs/sparse_benchmarks.md.

See ``--help``, hfan/cli/eval_vos.py and hfan/evaluation/davis.py.
"""
import sys

from hfan.cli.eval_vos import main

if __name__ == '__main__':
    sys.exit(main())
