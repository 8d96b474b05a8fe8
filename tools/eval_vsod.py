#!/usr/bin/env python
"""VSOD evaluation (S, max E, max F, MAE) of a folder of saliency maps.

    python tools/eval_vsod.py PRED_DIR GT_DIR [--layout per-video|flat]
        [--gt-layout per-video|flat] [--protocol davis16|all-frames]
        [--json OUT.json] [--csv OUT.csv] [--workers N]

See ``--help`` and hfan/evaluation/vsod.py.
"""
import importlib.util
import os.path as osp
import sys

if importlib.util.find_spec('hfan') is None:  # run from a checkout
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from hfan.evaluation.cli import main_vsod  # noqa: E402

if __name__ == '__main__':
    sys.exit(main_vsod())
