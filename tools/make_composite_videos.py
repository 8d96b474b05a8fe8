#!/usr/bin/env python
"""Copy-paste videos from real footage: the real-texture stage-1 set.

Each video moves a real object, cut out of a frame of one source video with
its mask, over a frame of another source video seen through a moving camera
(pan, zoom, roll); the flow is computed on the result by the same estimator
as for real data. See hfan/datasets/composite.py for what is drawn.

Input: a 2SEG split (e.g. DAVIS-16 train from tools/prepare_davis.py):
    SRC/frame/<source-split>/<video>_<00000>.jpg
    SRC/mask/<source-split>/<video>_<00000>.png
Output, the same layout HFAN trains on:
    OUT/{frame,flow,mask}/<split>/cmp-<split>-<0000>_<00000>.{jpg,png}

Videos are drawn from seeds derived from --seed, the split and the index,
so a run is reproducible, resumable (complete videos are skipped) and can be
extended by raising a count.

Example:
    python tools/make_composite_videos.py data/DAVIS2SEG data/COMPOSITE2SEG \\
        --source-split train --splits train:800 val:40 --workers 2
"""
import argparse
import os
import sys

from hfan.datasets.composite import (CompositeConfig, composite_tasks,
                                     make_composite_video)
from hfan.datasets.prepare import (PrepareError, WriteOptions, add_flow_args,
                                   add_output_args, flow_spec_from_args,
                                   run_jobs, size_arg, split_count_arg)
from hfan.utils.atomic_io import remove_stale_tmp


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='2SEG root of the source videos')
    parser.add_argument('out', help='output 2SEG root')
    parser.add_argument('--source-split', default='train',
                        help='split of SRC to take objects and backgrounds '
                        'from (default: train)')
    parser.add_argument('--splits', nargs='+', type=split_count_arg,
                        default=[('train', 800), ('val', 40)],
                        metavar='SPLIT:COUNT',
                        help='videos per output split (default: train:800 '
                        'val:40)')
    parser.add_argument('--frames', type=int, default=5,
                        help='frames per video (default: 5)')
    parser.add_argument('--size', type=size_arg, default=None, metavar='HxW',
                        help='frame size (default: the background frame\'s)')
    parser.add_argument('--seed', type=int, default=0,
                        help='base seed (default: 0)')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar')
    add_flow_args(parser)
    add_output_args(parser)
    args = parser.parse_args(argv)
    if args.frames < 2:
        parser.error('--frames must be at least 2 (flow needs a pair)')
    if len({s for s, _ in args.splits}) != len(args.splits):
        parser.error('a split is named twice in --splits')
    return args


def main(argv=None):
    args = parse_args(argv)
    opts = WriteOptions(args.out, args.save_raw_flow, args.jpeg_quality)
    try:
        flow, flow_kwargs = flow_spec_from_args(args)
        tasks = composite_tasks(args.src, args.source_split, args.splits,
                                args.seed, opts,
                                CompositeConfig(num_frames=args.frames),
                                args.size)
        todo = [t for t in tasks if not t.done()]
        print(f'{len(tasks)} videos, {len(tasks) - len(todo)} already '
              'complete', file=sys.stderr)
        os.makedirs(args.out, exist_ok=True)
        remove_stale_tmp(args.out)
        try:
            written = run_jobs(make_composite_video, todo, flow=flow,
                               flow_kwargs=flow_kwargs,
                               workers=args.workers,
                               desc='composite videos',
                               progress=not args.no_progress)
        finally:
            remove_stale_tmp(args.out)
    except PrepareError as e:
        sys.exit(f'error: {e}')
    print(f'wrote {sum(written)} files under {args.out}', file=sys.stderr)


if __name__ == '__main__':
    main()
