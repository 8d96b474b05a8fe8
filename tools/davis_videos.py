#!/usr/bin/env python
"""Print the frame folders of a DAVIS split, one a line, for infer.py.

    python infer.py --config CONFIG --checkpoint CKPT --output_dir OUT \\
        --input $(python tools/davis_videos.py data/DAVIS val)

See ``--help`` and hfan/cli/davis_videos.py.
"""
import sys

from hfan.cli.davis_videos import main

if __name__ == '__main__':
    sys.exit(main())
