"""Generate synthetic videos with exact masks of a moving primary object.

Writes the 2SEG layout HFAN trains on (frames, colour-coded flows, 0/255
masks), or with ``--layout davis`` the layout of a DAVIS download, to test
tools/prepare_davis.py on:

    2seg:  OUT/frame/<split>/<video>_<00000>.jpg
           OUT/flow/<split>/<video>_<00000>.jpg   (t -> t+1; last: t -> t-1)
           OUT/mask/<split>/<video>_<00000>.png
    davis: OUT/JPEGImages/480p/<video>/<00000>.jpg
           OUT/Annotations/480p/<video>/<00000>.png  (palette, object id 1)
           OUT/ImageSets/2016/<split>.txt

Videos are named syn-<split>-<0000>; each is drawn from its own seed
(derived from --seed, the split and its index), so a run is reproducible
and can be resumed or extended (videos whose files all exist are skipped).

Example:
    python tools/make_synthetic_videos.py --out data/SYN2SEG \\
        --splits train:20 val:5 --frames 20 --size 192x256 --workers 2
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
from hfan.preparation.convert import convert_videos
from hfan.preparation.synthetic import (
    LAYOUTS,
    SyntheticConfig,
    SyntheticTask,
    make_synthetic_video,
    write_davis_image_sets,
)

PROG = 'make_synthetic_videos.py'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', required=True, help='output root')
    parser.add_argument('--splits', nargs='+', type=split_count_arg,
                        default=[('train', 20), ('val', 5)],
                        metavar='SPLIT:COUNT',
                        help='videos per split (default: train:20 val:5)')
    parser.add_argument('--frames', type=int, default=20,
                        help='frames per video (default: 20)')
    parser.add_argument('--size', type=size_arg, default=(192, 256),
                        metavar='HxW', help='frame size (default: 192x256)')
    parser.add_argument('--seed', type=int, default=0,
                        help='base seed (default: 0)')
    parser.add_argument('--max-distractors', type=int, default=2,
                        help='at most this many background-attached '
                        'distractor shapes per video (default: 2)')
    parser.add_argument('--layout', choices=LAYOUTS, default='2seg',
                        help='2seg: frame/flow/mask as HFAN reads them '
                        '(default); davis: a DAVIS download\'s layout, '
                        'without flow')
    parser.add_argument('--mp4', action='store_true',
                        help='also write OUT/preview/<split>/<video>.mp4 '
                        '(frames with the mask outline)')
    parser.add_argument('--fps', type=float, default=10.0,
                        help='frame rate of the previews (default: 10)')
    add_estimator_args(parser)
    add_output_args(parser)
    return parser



def _main(argv: Optional[List[str]]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.frames < 1:
        parser.error('--frames must be at least 1')
    check_splits(parser, args.splits)
    check_output_root(args.out)
    flow, flow_kwargs = flow_spec(args)
    h, w = args.size
    cfg = SyntheticConfig(height=h, width=w, num_frames=args.frames,
                          max_distractors=args.max_distractors)
    # what makes a video: a resume with other values would mix two kinds
    generator = dict(asdict(cfg), layout=args.layout, seed=args.seed)
    if args.mp4:  # previews may be added later, at the same frame rate
        generator['preview_fps'] = args.fps
    if args.layout == 'davis':  # no flow is computed
        flow, flow_kwargs = 'dis', {}
        settings = run_settings(args, None, None, **generator)
    else:
        settings = run_settings(args, flow, flow_kwargs, **generator)
    opts = write_options(args)
    tasks = [
        SyntheticTask(split, i, args.seed, opts, cfg, args.layout, args.mp4,
                      args.fps) for split, n in args.splits for i in range(n)
    ]
    stats = convert_videos(tasks, make_synthetic_video, SyntheticTask.done,
                           args.out, flow=flow, flow_kwargs=flow_kwargs,
                           workers=args.workers, desc='synthetic videos',
                           progress=not args.no_progress,
                           on_plan=report_plan, settings=settings)
    if args.layout == 'davis':
        write_davis_image_sets(args.out, args.splits)
    print(f'wrote {stats.files} files under {args.out}', file=sys.stderr)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Generate; 0 on success, 1 for a problem writing (named), 2 for a
    usage error."""
    return run_cli(_main, argv, PROG)
