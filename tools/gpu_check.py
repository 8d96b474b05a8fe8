"""The GPU check: HFAN-Small/Medium at the published protocol, one table.

    python tools/gpu_check.py [--device cuda] [--repeat 20] [--frames DIR]
    bash tools/gpu_check.sh   # installs from carried wheels, then this

See ``--help``, hfan/cli/gpu_check.py and hfan/deploy/gpu_check.py.
"""
import sys

from hfan.cli.gpu_check import main

if __name__ == '__main__':
    sys.exit(main())
