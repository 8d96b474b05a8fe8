"""``tools/demo.py`` (``make demo``): segment the bundled real clip with the
demo model (:func:`hfan.infer.run`) and score it
(:func:`hfan.infer.scoring.score_clip`).

The clip is a DAVIS-16 *val* video, downscaled (``demo/README.md`` gives its
source and licence); the demo model, HFAN with MiT-b0 trained on a CPU
without ImageNet weights, is described in ``docs/demo_model.md``.
"""
import argparse
import os
import os.path as osp
import time
from typing import Optional, Sequence

from hfan.cli.arguments import OVERLAY_CHOICES, add_device_arg
from hfan.cli.report import CLIError, run_cli
from hfan.infer import run
from hfan.infer.scoring import score_clip
from hfan.utils.defaults import (
    DEMO_CHECKPOINT,
    DEMO_CONFIG,
    DEMO_FRAMES,
    DEMO_MASKS,
    REPO_ROOT,
)

PROG = 'tools/demo.py'
DEMO_OUTPUT = osp.join(REPO_ROOT, 'output', 'demo')

MISSING_CHECKPOINT = """\
the demo model {path} is missing.

It is part of the repository (the one .pth file git keeps in checkpoint/):
update your clone (`git pull`, or `git checkout -- {rel}`). Or train it
yourself on a CPU from the DAVIS-2016 release: docs/demo_model.md has the
recipe.

or give another model: python tools/demo.py --config CONFIG --checkpoint CKPT
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``tools/demo.py`` command line; its defaults are repository
    paths, so the demo runs from any directory."""
    parser = argparse.ArgumentParser(
        description='Segment the bundled DAVIS-16 val clip with the demo '
        'model, write the masks and an overlay video, and print its J / F '
        'and speed.')
    parser.add_argument('--config', default=DEMO_CONFIG,
                        help='model config (default: the demo config, '
                        'local_configs/hfan/hfan_demo.py)')
    parser.add_argument('--checkpoint', default=DEMO_CHECKPOINT,
                        help='weights (default: the demo model, '
                        'checkpoint/hfan_demo.pth)')
    parser.add_argument('--video', default=DEMO_FRAMES,
                        help='video file or frame folder (default: '
                        'the bundled clip, demo/frames/<video>)')
    parser.add_argument('--masks', default=DEMO_MASKS,
                        help='ground-truth masks <00000>.png of the video, '
                        "or 'none' (default: demo/masks/<video>)")
    parser.add_argument('--output', default=DEMO_OUTPUT,
                        help='output dir (default: output/demo in the '
                        'repository; the 0/255 masks go to '
                        '<output>-DAVIS-16/, the overlay to '
                        '<output>-overlay/)')
    parser.add_argument('--overlay', default='mp4', choices=OVERLAY_CHOICES,
                        help='overlay video format (default: mp4)')
    add_device_arg(parser)
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar')
    return parser


def show(path: str) -> str:
    """``path`` relative to the working directory when it lies below it."""
    rel = osp.relpath(path)
    return path if rel.startswith(os.pardir) else rel


def _main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise CLIError(MISSING_CHECKPOINT.format(
            path=show(args.checkpoint),
            rel=osp.relpath(args.checkpoint, REPO_ROOT)))
    print(f'HFAN demo: segmenting {show(args.video)} with '
          f'{show(args.checkpoint)}')
    start = time.perf_counter()
    stats = run(config=args.config, checkpoint=args.checkpoint,
                input=args.video, output_dir=args.output,
                overlay=args.overlay, overwrite=True, workers=1,
                device=args.device, progress=not args.no_progress)
    wall = time.perf_counter() - start
    video = stats['videos'][0]
    # the demo config tests with both flow directions (test_flow_directions)
    flow = ('DIS flow both ways, model on both'
            if stats['flow_directions'] == 'both' else 'DIS flow')
    mask_dir = osp.join(stats['archive_dir'], video)
    print(f"\nSegmented {stats['frames']} frames in {stats['seconds']:.1f} s:"
          f" {stats['fps']:.2f} frames/s (decoding, {flow} ("
          f"{stats['runtime']}), PNG writing; {wall:.1f} s with model "
          'loading and the overlay)')
    print(f'Masks (0/255 PNG):   {show(mask_dir)}{os.sep}00000.png ...')
    print('Masks (palette PNG): '
          f"{show(osp.join(stats['output_dir'], video))}_00000.png ...")
    for path in {**stats['overlays_kept'], **stats['overlays']}.values():
        print(f'Overlay video:       {show(path)}')
    if args.masks != 'none':
        result = score_clip(mask_dir, args.masks)
        print(f"J mean {100 * result['J_mean']:.1f}  "
              f"F mean {100 * result['F_mean']:.1f}  "
              f"J&F {100 * result['JF_mean']:.1f}"
              f"  against {show(args.masks)} "
              f"({result['num_frames_evaluated']} "
              'frames, DAVIS-16 protocol: first and last excluded)')
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command line; returns the exit status (errors: one
    ``tools/demo.py: error: ...`` report, status 1)."""
    return run_cli(_main, argv, PROG)
