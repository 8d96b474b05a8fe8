#!/usr/bin/env python
"""Data-loading speed of a config's training pipeline, in frames/s.

Builds ``train_dataloader.dataset`` of CONFIG (data root overridable with
``--cfg-options davis_root=...``), then times ``dataset[i]`` (decoding frame,
flow and mask, random resize / crop / flip, photometric distortion, packing)
for ``--samples`` random samples in this process, and optionally a real
mmengine DataLoader with ``--workers`` processes. Prints the median of
``--repeats`` passes. Not part of the test suite.

    python tools/benchmark_dataloader.py local_configs/hfan/hfan.small.512x512.refine.py \\
        --cfg-options davis_root=data/bench480 --samples 100
"""
import argparse
import platform
import statistics
import time

import numpy as np
from hfan.cli.arguments import add_cfg_options
from mmengine.registry import init_default_scope

import hfan  # noqa: F401
from hfan.apis import load_config
from mmseg.registry import DATASETS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
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
    return parser.parse_args(argv)


def time_in_process(dataset, indices):
    start = time.perf_counter()
    for i in indices:
        dataset[int(i)]
    return len(indices) / (time.perf_counter() - start)


def time_dataloader(dataset, samples, workers, batch_size):
    from mmengine.dataset import pseudo_collate
    from torch.utils.data import DataLoader, RandomSampler
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=RandomSampler(dataset, num_samples=samples),
        num_workers=workers,
        collate_fn=pseudo_collate)
    start = time.perf_counter()
    n = sum(len(batch['inputs']) for batch in loader)
    return n / (time.perf_counter() - start)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
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


if __name__ == '__main__':
    main()
