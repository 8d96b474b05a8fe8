"""Segment the bundled real clip with the demo model and score it (``make demo``).

    python tools/demo.py [--device cpu] [--output output/demo]

Runs ``infer.py`` on the frames of ``demo/frames/<video>/`` (a DAVIS-16 *val*
video, downscaled; see ``demo/README.md`` for its source and licence) with
the demo model (``local_configs/hfan/hfan_demo.py`` +
``checkpoint/hfan_demo.pth``): optical flow computed on the fly (OpenCV DIS),
masks and an overlay video written under ``output/``. Then it compares the
masks with the clip's DAVIS ground truth (``demo/masks/<video>/``) with the
DAVIS-16 measures of ``hfan.evaluation`` (first and last frame excluded, as
the official protocol) and prints J, F and frames/s.

The demo model is HFAN with MiT-b0 trained on a 2-core CPU, without ImageNet
weights, on DAVIS-16 train only: far below the published HFAN (see README).
"""
import argparse
import os
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# Defaults are repository paths, so the demo runs from any directory.
DEMO_CONFIG = osp.join(ROOT, 'local_configs', 'hfan', 'hfan_demo.py')
DEMO_CHECKPOINT = osp.join(ROOT, 'checkpoint', 'hfan_demo.pth')
#: the bundled clip: a DAVIS-16 val video (never trained on), downscaled
DEMO_NAME = 'blackswan'
DEMO_VIDEO = osp.join(ROOT, 'demo', 'frames', DEMO_NAME)
DEMO_MASKS = osp.join(ROOT, 'demo', 'masks', DEMO_NAME)
DEMO_OUTPUT = osp.join(ROOT, 'output', 'demo')

MISSING_CHECKPOINT = """\
tools/demo.py: error: the demo model {path} is missing.

It is part of the repository (the one .pth file git keeps in checkpoint/):
update your clone (`git pull`, or `git checkout -- {rel}`). Or train it
yourself on a CPU from the DAVIS-2016 release (about 1.5 hours; the recipe
and its figures are in docs/benchmarks.md, "The demo model on real video").

or give another model: python tools/demo.py --config CONFIG --checkpoint CKPT
"""


def parse_args(argv=None):
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
    parser.add_argument('--video', default=DEMO_VIDEO,
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
    parser.add_argument('--overlay', default='mp4',
                        choices=['mp4', 'webm', 'gif', 'none'],
                        help='overlay video format (default: mp4)')
    parser.add_argument('--device', default=None,
                        help='cpu, cuda... (default: cuda:0 if available)')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar')
    return parser.parse_args(argv)


def show(path: str) -> str:
    """``path`` relative to the working directory when it lies below it."""
    rel = osp.relpath(path)
    return path if rel.startswith(os.pardir) else rel


def score(pred_dir: str, gt_dir: str) -> dict:
    """DAVIS J / F of the predicted masks against the GT, DAVIS-16 protocol
    (first and last frame excluded)."""
    from hfan.evaluation import frame_scores, read_mask, summarize
    gt_files = sorted(f for f in os.listdir(gt_dir) if f.endswith('.png'))
    if not gt_files:
        raise FileNotFoundError(f'no ground-truth masks (*.png) in {gt_dir}')
    j, f = [], []
    for name in gt_files:
        pred_path = osp.join(pred_dir, name)
        if not osp.isfile(pred_path):
            raise FileNotFoundError(
                f'{pred_path} is missing: the ground truth {gt_dir} has '
                f'{len(gt_files)} masks, the video fewer frames?')
        jf = frame_scores(read_mask(pred_path), read_mask(osp.join(
            gt_dir, name)))
        j.append(jf[0])
        f.append(jf[1])
    return summarize({'clip': (j, f)}, protocol='davis16')


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        print(MISSING_CHECKPOINT.format(path=show(args.checkpoint),
                                        rel=osp.relpath(args.checkpoint, ROOT),
                                        config=osp.relpath(args.config, ROOT)),
              file=sys.stderr)
        return 1
    from hfan.infer import InferenceError
    from hfan.infer import parse_args as parse_infer_args
    from hfan.infer import run as run_infer
    argv = [
        '--config', args.config, '--checkpoint', args.checkpoint,
        '--input', args.video, '--output_dir', args.output, '--overlay',
        args.overlay, '--overwrite', '--workers', '1'
    ]
    if args.device:
        argv += ['--device', args.device]
    infer_args = parse_infer_args(argv)
    print(f'HFAN demo: segmenting {show(args.video)} with '
          f'{show(args.checkpoint)}')
    start = time.perf_counter()
    try:
        stats = run_infer(infer_args, progress=not args.no_progress)
    except (InferenceError, OSError, ValueError, RuntimeError,
            KeyError) as err:
        print(f'tools/demo.py: error: {err}', file=sys.stderr)
        return 1
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
        try:
            result = score(mask_dir, args.masks)
        except (OSError, ValueError) as err:
            print(f'tools/demo.py: error: {err}', file=sys.stderr)
            return 1
        print(f"J mean {100 * result['J_mean']:.1f}  "
              f"F mean {100 * result['F_mean']:.1f}  "
              f"J&F {100 * result['JF_mean']:.1f}"
              f"  against {show(args.masks)} "
              f"({result['num_frames_evaluated']} "
              'frames, DAVIS-16 protocol: first and last excluded)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
