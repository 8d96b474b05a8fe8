#!/usr/bin/env python
"""VSOD evaluation (S, max E, max F, MAE) of a folder of saliency maps.

    python tools/eval_vsod.py PRED_DIR GT_DIR [--layout per-video|flat]
        [--gt-layout per-video|flat]
        [--protocol davis16|all-frames|annotated]
        [--pred-mode auto|binary|gray]
        [--json OUT.json|-] [--csv OUT.csv|-] [--workers N]

See ``--help``, hfan/cli/eval_vsod.py and hfan/evaluation/vsod.py.
"""
import sys

from hfan.cli.eval_vsod import main

if __name__ == '__main__':
    sys.exit(main())
