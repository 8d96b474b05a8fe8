#!/usr/bin/env python
"""VSOD evaluation (S, max E, max F, MAE) of a folder of saliency maps.

    python tools/eval_vsod.py PRED_DIR GT_DIR [--layout per-video|flat]
        [--gt-layout per-video|flat]
        [--protocol davis16|all-frames|annotated]
        [--pred-mode auto|binary|gray]
        [--json OUT.json|-] [--csv OUT.csv|-] [--workers N]

See ``--help`` and hfan/evaluation/vsod.py.
"""
import sys

from hfan.evaluation.cli import main_vsod
from hfan.cli.report import run_cli

if __name__ == '__main__':
    # main_vsod reports input problems itself; run_cli turns anything
    # unforeseen into one line too (HFAN_DEBUG=1 shows the traceback)
    sys.exit(run_cli(main_vsod, prog='eval_vsod.py'))
