"""Segment the bundled real clip with the demo model and score it
(``make demo``).

    python tools/demo.py [--device cpu] [--output output/demo]

Writes the masks and an overlay video under ``output/``, then prints J, F
and frames/s against the clip's DAVIS ground truth (DAVIS-16 protocol).
``--help`` lists the options; the code is :mod:`hfan.cli.demo`, the demo
model is described in ``docs/demo_model.md``.
"""
import sys

from hfan.cli.demo import main

if __name__ == '__main__':
    sys.exit(main())
