"""Print the parameter counts of HFAN configs, per component.

    python tools/count_params.py \\
        local_configs/hfan/hfan.small.512x512.refine.py [...]
    python tools/count_params.py CONFIG --json counts.json
"""
import sys

from hfan.cli.count_params import main

if __name__ == '__main__':
    sys.exit(main())
