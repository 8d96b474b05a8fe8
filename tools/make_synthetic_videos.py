#!/usr/bin/env python
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
import os
import os.path as osp
import sys

from hfan.datasets.prepare import (PrepareError, WriteOptions,
                                   add_flow_args, add_output_args,
                                   flow_spec_from_args, run_jobs,
                                   size_arg, split_count_arg)
from hfan.utils.atomic_io import (atomic_write_bytes,
                                  remove_stale_tmp)
from hfan.datasets.synthetic import (LAYOUTS, SyntheticConfig,
                                     SyntheticTask, make_synthetic_video,
                                     video_name)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
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
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar')
    add_flow_args(parser)
    add_output_args(parser)
    args = parser.parse_args(argv)
    if args.frames < 1:
        parser.error('--frames must be at least 1')
    if len({s for s, _ in args.splits}) != len(args.splits):
        parser.error('a split is named twice in --splits')
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        flow, flow_kwargs = flow_spec_from_args(args)
    except PrepareError as e:
        sys.exit(f'error: {e}')
    if args.layout == 'davis':  # no flow is computed
        flow, flow_kwargs = 'dis', {}
    h, w = args.size
    cfg = SyntheticConfig(height=h, width=w, num_frames=args.frames,
                          max_distractors=args.max_distractors)
    opts = WriteOptions(args.out, args.save_raw_flow, args.jpeg_quality)
    tasks = [
        SyntheticTask(split, i, args.seed, opts, cfg, args.layout, args.mp4,
                      args.fps) for split, n in args.splits for i in range(n)
    ]
    todo = [t for t in tasks if not t.done()]
    print(f'{len(tasks)} videos, {len(tasks) - len(todo)} already complete',
          file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    remove_stale_tmp(args.out)
    try:
        written = run_jobs(make_synthetic_video, todo, flow=flow,
                           flow_kwargs=flow_kwargs, workers=args.workers,
                           desc='synthetic videos',
                           progress=not args.no_progress)
    finally:
        remove_stale_tmp(args.out)
    if args.layout == 'davis':
        for split, n in args.splits:
            path = osp.join(args.out, 'ImageSets', '2016', f'{split}.txt')
            text = ''.join(video_name(split, i) + '\n' for i in range(n))
            if not (osp.exists(path) and open(path).read() == text):
                atomic_write_bytes(path, text.encode())
    print(f'wrote {sum(written)} files under {args.out}', file=sys.stderr)


if __name__ == '__main__':
    main()
