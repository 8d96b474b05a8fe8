"""Evaluate an HFAN checkpoint on the config's test set (J / F).

Single process:  python tools/test.py CONFIG CHECKPOINT [--aug-test] \\
                     [--out DIR]
Several GPUs:    bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [options]
(on a machine without GPUs dist_test.sh starts CPU processes on gloo).

The config's ``test_dataloader`` and ``test_evaluator`` (``VOSMetric``: the
DAVIS-16 protocol) run in mmengine's Runner, as MMSeg's tools/test.py does.
The checkpoint is loaded strictly, so the released files
(``HFAN-s-converted.pth``...) load as they are and a checkpoint of another
variant is refused with the keys listed.
"""
import sys

from hfan.cli.test import main

if __name__ == '__main__':
    sys.exit(main())
