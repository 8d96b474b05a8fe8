"""Train HFAN with MMSeg 1.x / mmengine.

Single process:   python tools/train.py CONFIG [--work-dir DIR]
Several GPUs:     bash tools/dist_train.sh CONFIG GPUS \\
                      [--seed 1208 --deterministic]
(on a machine without GPUs dist_train.sh starts CPU processes on gloo).
"""
import sys

from hfan.cli.train import main

if __name__ == '__main__':
    sys.exit(main())
