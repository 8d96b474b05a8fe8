"""Compare training runs (e.g. an ablation) from their work dirs.

    python tools/summarize_runs.py work_dirs/abl-im work_dirs/abl-fw \\
        work_dirs/abl-base work_dirs/demo4k [--curve] [--format markdown]

See ``--help``, hfan/cli/summarize_runs.py and
hfan/evaluation/run_logs.py.
"""
import sys

from hfan.cli.summarize_runs import main

if __name__ == '__main__':
    sys.exit(main())
