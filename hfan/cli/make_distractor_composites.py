"""Composite videos with distractor motion: stage-1 data for objectness.

Each video moves a real object over a real background through a moving
camera, as make_composite_videos.py does, and adds regions of the
background that move on their own: "windows" fixed in the scene through
which another texture slides, and "movers", blobs of texture crossing the
screen. The mask is the pasted object only, so a model trained on these
must tell the object from other motion. The flow is computed on the result
by the same estimator as for real data. See
hfan/preparation/distractors.py for what is drawn.

Sources (--objects, --backgrounds; each folder's layout is detected):
    a cut-out set from tools/prepare_cutouts.py (index.json, images/,
    masks/): objects; as backgrounds, their own object is inpainted away
    a 2SEG root (frame/<split>/, mask/<split>/, e.g. DAVIS-16 train from
    tools/prepare_davis.py; --source-split): objects cut out of annotated
    frames, backgrounds as they are
Held-out items: an item (cut-out id or 2SEG video) whose name hashes below
--holdout feeds only the --holdout-splits (default: val), every other item
only the other splits, so validation videos share no object, background or
texture with training videos.

Output, the layout HFAN trains on:
    OUT/{frame,flow,mask}/<split>/dst-<split>-<0000>_<00000>.{jpg,png}

Videos are drawn from seeds derived from --seed, the split and the index:
a run is reproducible, resumable (complete videos are skipped) and can be
extended by raising a count.

Example:
    python tools/make_distractor_composites.py data/DISTRACTOR2SEG \\
        --objects data/CUTOUTS --backgrounds data/CUTOUTS \\
        --splits train:600 val:40 --workers 2
"""
import argparse
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
from hfan.preparation.composite import CompositeConfig
from hfan.preparation.convert import convert_videos
from hfan.preparation.distractors import (
    DEFAULT_SIZE,
    DistractorConfig,
    DistractorTask,
    distractor_tasks,
    make_distractor_video,
    source_spec,
)

PROG = 'make_distractor_composites.py'


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float('nan')
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(
            f'expected a fraction between 0 and 1 (exclusive), got {text!r}')
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out', help='output 2SEG root')
    parser.add_argument('--objects', nargs='+', required=True,
                        metavar='DIR',
                        help='where objects come from: cut-out sets and/or '
                        '2SEG roots')
    parser.add_argument('--backgrounds', nargs='+', required=True,
                        metavar='DIR',
                        help='where backgrounds and distractor textures '
                        'come from: cut-out sets and/or 2SEG roots')
    parser.add_argument('--source-split', default='train',
                        help='split read from 2SEG sources (default: train)')
    parser.add_argument('--splits', nargs='+', type=split_count_arg,
                        default=[('train', 600), ('val', 40)],
                        metavar='SPLIT:COUNT',
                        help='videos per output split (default: train:600 '
                        'val:40)')
    parser.add_argument('--holdout', type=_fraction, default=0.1,
                        metavar='FRACTION',
                        help='share of source items held out for the '
                        '--holdout-splits (default: 0.1)')
    parser.add_argument('--holdout-splits', nargs='+', default=['val'],
                        metavar='SPLIT',
                        help='output splits drawn from held-out items only '
                        '(default: val)')
    parser.add_argument('--frames', type=int, default=5,
                        help='frames per video (default: 5)')
    parser.add_argument('--max-distractors', type=int, default=3,
                        metavar='N',
                        help='distractor regions per video, at most '
                        '(default: 3; 0 for none)')
    parser.add_argument('--size', type=size_arg, default=DEFAULT_SIZE,
                        metavar='HxW',
                        help='frame size (default: %dx%d)' % DEFAULT_SIZE)
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
    if args.max_distractors < 0:
        parser.error('--max-distractors must be 0 or more')
    check_splits(parser, args.splits)
    check_output_root(args.out,
                      [('--objects', p) for p in args.objects] +
                      [('--backgrounds', p) for p in args.backgrounds])
    objects = [source_spec(p, args.source_split) for p in args.objects]
    backgrounds = [source_spec(p, args.source_split)
                   for p in args.backgrounds]
    flow, flow_kwargs = flow_spec(args)
    cfg = DistractorConfig(CompositeConfig(num_frames=args.frames),
                           max_distractors=args.max_distractors)
    tasks = distractor_tasks(objects, backgrounds, args.splits, args.seed,
                             write_options(args), args.holdout,
                             args.holdout_splits, cfg, args.size)
    # what makes a video: a resume with other values would mix two kinds
    settings = run_settings(
        args, flow, flow_kwargs, **asdict(cfg), seed=args.seed,
        size=list(args.size), holdout=args.holdout,
        holdout_splits=sorted(args.holdout_splits),
        objects=[asdict(s) for s in objects],
        backgrounds=[asdict(s) for s in backgrounds])
    stats = convert_videos(tasks, make_distractor_video, DistractorTask.done,
                           args.out, flow=flow, flow_kwargs=flow_kwargs,
                           workers=args.workers,
                           desc='distractor composites',
                           progress=not args.no_progress,
                           on_plan=report_plan, settings=settings)
    print(f'wrote {stats.files} files under {args.out}', file=sys.stderr)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Generate; 0 on success, 1 for unusable sources (named), 2 for a
    usage error."""
    return run_cli(_main, argv, PROG)
