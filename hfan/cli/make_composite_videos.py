"""Copy-paste videos from real footage: the real-texture stage-1 set.

Each video moves a real object, cut out of a frame of one source video with
its mask, over a frame of another source video seen through a moving camera
(pan, zoom, roll); the flow is computed on the result by the same estimator
as for real data. See hfan/preparation/composite.py for what is drawn.

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
import os.path as osp
import sys
from dataclasses import asdict
from typing import List, Optional

from hfan.cli._preparation import (
    add_estimator_args,
    add_output_args,
    check_output_root,
    check_splits,
    flow_spec,
    report_plan,
    run_settings,
    size_arg,
    split_count_arg,
    write_options,
)
from hfan.cli.report import run_cli
from hfan.preparation.composite import (
    CompositeConfig,
    CompositeTask,
    composite_tasks,
    make_composite_video,
)
from hfan.preparation.convert import convert_videos

PROG = 'make_composite_videos.py'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
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
    add_estimator_args(parser)
    add_output_args(parser)
    return parser



def _main(argv: Optional[List[str]]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.frames < 2:
        parser.error('--frames must be at least 2 (flow needs a pair)')
    check_splits(parser, args.splits)
    check_output_root(args.out, [('SRC', args.src)])
    flow, flow_kwargs = flow_spec(args)
    cfg = CompositeConfig(num_frames=args.frames)
    tasks = composite_tasks(args.src, args.source_split, args.splits,
                            args.seed, write_options(args), cfg, args.size)
    # what makes a video: a resume with other values would mix two kinds
    settings = run_settings(
        args, flow, flow_kwargs, **asdict(cfg), seed=args.seed,
        size=args.size, source=osp.realpath(args.src),
        source_split=args.source_split)
    stats = convert_videos(tasks, make_composite_video, CompositeTask.done,
                           args.out, flow=flow, flow_kwargs=flow_kwargs,
                           workers=args.workers, desc='composite videos',
                           progress=not args.no_progress,
                           on_plan=report_plan, settings=settings)
    print(f'wrote {stats.files} files under {args.out}', file=sys.stderr)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Generate; 0 on success, 1 for unusable sources (named), 2 for a
    usage error."""
    return run_cli(_main, argv, PROG)
