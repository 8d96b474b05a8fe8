"""Data-loading speed of a config's training pipeline, in frames/s.

Builds ``train_dataloader.dataset`` of CONFIG (data root overridable with
``--cfg-options davis_root=...``), then times ``dataset[i]`` (decoding frame,
flow and mask, random resize / crop / flip, photometric distortion, packing)
for ``--samples`` random samples in this process, and optionally a real
mmengine DataLoader with ``--workers`` processes. Prints the median of
``--repeats`` passes. Not part of the test suite.

    python tools/benchmark_dataloader.py \\
        local_configs/hfan/hfan.small.512x512.refine.py \\
        --cfg-options davis_root=data/bench480 --samples 100
"""
import argparse
import platform
import statistics
from typing import List, Optional

import numpy as np

from hfan.cli.arguments import add_cfg_options
from hfan.cli.report import run_cli

PROG = 'benchmark_dataloader.py'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config whose training data to load')
    parser.add_argument('--samples', type=int, default=100,
                        help='samples per timed pass (default: 100)')
    parser.add_argument('--repeats', type=int, default=3,
                        help='timed passes; the median is printed')
    parser.add_argument('--workers', type=int, default=0,
                        help='also time a DataLoader with this many worker '
                        'processes (default: 0, in-process only)')
    parser.add_argument('--seed', type=int, default=0)
    add_cfg_options(parser)
    return parser


def _main(argv: Optional[List[str]]) -> int:
    args = build_parser().parse_args(argv)
    from hfan.benchmark.dataloader_speed import (
        build_train_dataset,
        time_dataloader,
        time_in_process,
    )
    cfg, dataset = build_train_dataset(args.config, args.cfg_options)
    rng = np.random.default_rng(args.seed)
    np.random.seed(args.seed)
    sample = dataset[0]['inputs']
    info = dataset.get_data_info(0) if hasattr(dataset,
                                               'get_data_info') else {}
    print(f'{platform.platform()}, Python {platform.python_version()}')
    print(f'config {args.config}: {len(dataset)} samples, first '
          f'{info.get("img_path", "?")} -> inputs {tuple(sample.shape)}')
    rates = [
        time_in_process(dataset, rng.integers(0, len(dataset), args.samples))
        for _ in range(args.repeats)
    ]
    print(f'training pipeline, 1 process: {statistics.median(rates):.1f} '
          f'frames/s (median of {args.repeats} x {args.samples}; '
          f'{", ".join(f"{r:.1f}" for r in rates)})')
    if args.workers:
        rates = [
            time_dataloader(dataset, args.samples, args.workers,
                            cfg.train_dataloader.batch_size)
            for _ in range(args.repeats)
        ]
        print(f'DataLoader, {args.workers} workers: '
              f'{statistics.median(rates):.1f} frames/s (median of '
              f'{args.repeats}; worker start-up included)')
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Print the frames/s of the training pipeline."""
    return run_cli(_main, argv, PROG)
