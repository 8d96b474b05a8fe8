"""Peak memory of segmenting a video, against its length: it must be flat.

    python tools/benchmark_memory.py [--frames 100 1000] [--size 480x854] \\
        [--config local_configs/hfan/hfan.b0.192x256.synthetic.py]

Each length is segmented through ``infer.py``'s path in a fresh process
that reports its peak resident memory (see ``--help``).
"""
import sys

from hfan.cli.benchmark_memory import main

if __name__ == '__main__':
    sys.exit(main())
