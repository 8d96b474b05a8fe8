"""Mask overlays of several models side by side on one video (GIF / mp4).

    python tools/visualize_ablation.py VIDEO \\
        --variant LABEL CONFIG CHECKPOINT [KEY=VALUE ...] \\
        --variant LABEL CONFIG CHECKPOINT [KEY=VALUE ...] ... \\
        [--gt MASK_DIR] [--show-flow] [--out output/ablation.gif]

For example the published ablation (the checkpoints of checkpoint/README.md;
one config, the variant chosen by ``select_method`` as elsewhere):

    CFG=local_configs/hfan/hfan.small.512x512.refine.py
    SM=model.decode_head.select_method
    python tools/visualize_ablation.py \\
        data/DAVIS/JPEGImages/480p/dance-twirl \\
        --variant frame $CFG checkpoint/im-converted.pth $SM=im \\
        --variant base $CFG checkpoint/baseline-converted.pth $SM=base \\
        --variant +FAM $CFG checkpoint/FAM-converted.pth $SM=fam \\
        --variant +FAT $CFG checkpoint/FAT-converted.pth $SM=fat \\
        --variant HFAN $CFG checkpoint/HFAN-s-converted.pth \\
        --gt data/DAVIS/Annotations/480p/dance-twirl --out output/ablation.gif

VIDEO is a video file or a folder of frames. Every frame is shown as a row
of panels: the input (and its flow with --show-flow, and the ground truth
with --gt), then one overlay per variant (mask tinted red and outlined),
each labelled. The flow of a frame is computed once (--flow) and given to
every variant, so the panels differ only by the model. CHECKPOINT ``none``
keeps random weights (to try the tool without trained models).

Streamed: frames are decoded one at a time and the output is written as it
goes (a GIF keeps at most --gif-max-frames frames); the file
appears under its name only when complete.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import DictAction

from hfan.cli.arguments import add_flow_arg
from hfan.cli.report import run_cli

PROG = 'visualize_ablation.py'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description='Overlay the masks of several checkpoints / variants '
        'side by side on one video and write a GIF or mp4.',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 2)[2])
    parser.add_argument('video', help='video file or folder of frames')
    parser.add_argument(
        '--variant', nargs='+', action='append', required=True,
        metavar='SPEC',
        help='a model to show, SPEC = LABEL CONFIG CHECKPOINT [KEY=VALUE '
        '...]: its label, config, checkpoint (or none: random weights) and '
        'optional config overrides; repeat --variant for each model')
    parser.add_argument('--gt', help='folder of ground-truth masks, one per '
                        'frame in name order (DAVIS Annotations/480p/<video>)')
    parser.add_argument('--show-flow', action='store_true',
                        help='add a panel with the colour-coded flow')
    add_flow_arg(parser, 'optical flow estimator (default: dis)')
    parser.add_argument('--out', default='output/ablation.gif',
                        help='.gif, .mp4 or .webm (default: '
                        'output/ablation.gif)')
    parser.add_argument('--height', type=int, default=240,
                        help='panel height in pixels (default: 240)')
    parser.add_argument('--max-frames', type=int, default=None,
                        help='use only the first frames of the video')
    parser.add_argument('--gif-max-frames', type=int, default=120,
                        help='a GIF keeps at most this many frames (every '
                        'n-th of a longer video; default: 120)')
    parser.add_argument('--fps', type=float, default=None,
                        help="output frame rate (default: the video's, 10 "
                        'for a folder)')
    parser.add_argument('--device', default='cpu')
    return parser


def _variant_specs(parser: argparse.ArgumentParser,
                   specs: List[List[str]]) -> List[tuple]:
    """``(label, config, checkpoint, cfg_options)`` of each ``--variant``;
    override values read as mmengine's ``DictAction`` reads them."""
    variants = []
    for spec in specs:
        if len(spec) < 3:
            parser.error(f'--variant {" ".join(spec)}: expected LABEL CONFIG '
                         'CHECKPOINT [KEY=VALUE ...]')
        options = {}
        for item in spec[3:]:
            key, sep, value = item.partition('=')
            if not sep:
                parser.error(f'--variant {spec[0]}: {item!r} is not '
                             'KEY=VALUE')
            options[key] = DictAction._parse_iterable(value)
        variants.append((spec[0], spec[1], spec[2], options))
    return variants


def _main(argv: Optional[List[str]]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    specs = _variant_specs(parser, args.variant)
    from hfan.apis.inference import VideoSegmenter
    from hfan.io import VideoIOError, open_video
    from hfan.visualization.ablation import write_ablation_video
    try:
        video = open_video(args.video)
        variants = []
        for label, config, checkpoint, options in specs:
            if checkpoint != 'none' and not osp.isfile(checkpoint):
                raise FileNotFoundError(f'--variant {label}: checkpoint '
                                        f'{checkpoint} does not exist')
            variants.append((label, VideoSegmenter(
                config, None if checkpoint == 'none' else checkpoint,
                device=args.device, cfg_options=options or None)))
        written = write_ablation_video(
            video, variants, args.out, flow=args.flow, gt_dir=args.gt,
            show_flow=args.show_flow, height=args.height,
            max_frames=args.max_frames, gif_max_frames=args.gif_max_frames,
            fps=args.fps)
    except (VideoIOError, ValueError, OSError, KeyError, RuntimeError) as err:
        print(f'{PROG}: error: {err}', file=sys.stderr)
        return 1
    print(f'{written} frames of {len(variants)} variants side by side '
          f'written to {args.out}')
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Write the side-by-side video; 1 for an input that cannot be used."""
    return run_cli(_main, argv, PROG)
