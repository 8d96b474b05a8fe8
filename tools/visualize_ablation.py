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
from itertools import islice

import cv2


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
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
    parser.add_argument('--flow', default='dis', choices=['dis', 'raft'],
                        help='optical flow estimator (default: dis)')
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
    args = parser.parse_args(argv)
    variants = []
    for spec in args.variant:
        if len(spec) < 3:
            parser.error(f'--variant {" ".join(spec)}: expected LABEL CONFIG '
                         'CHECKPOINT [KEY=VALUE ...]')
        options = {}
        for item in spec[3:]:
            key, sep, value = item.partition('=')
            if not sep:
                parser.error(f'--variant {spec[0]}: {item!r} is not '
                             'KEY=VALUE')
            options[key] = _parse_value(value)
        variants.append((spec[0], spec[1], spec[2], options))
    args.variants = variants
    return args


def _parse_value(text: str):
    """Config override values as mmengine's DictAction reads them."""
    from mmengine.config import DictAction
    return DictAction._parse_iterable(text)


def gt_masks(folder: str):
    """Ground-truth masks of a folder, in natural name order, lazily."""
    from hfan.io import FrameFolder
    masks = FrameFolder(folder)
    for path in masks.paths:
        mask = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        if mask is None:
            raise ValueError(f'mask {path} cannot be read')
        yield mask


def panels(video, variants, estimator, gt, show_flow, height, total):
    """One side-by-side image per frame."""
    from hfan.flow import flow_to_bgr, iter_frames_with_forward_flow
    from hfan.visualization import hstack_panels, overlay_mask
    labels = ['input'] + (['flow'] if show_flow else []) + \
        (['ground truth'] if gt is not None else []) + \
        [label for label, _ in variants]
    for t, frame, flow in iter_frames_with_forward_flow(islice(video, total),
                                                estimator):
        flow_bgr = flow_to_bgr(flow)
        images = [frame]
        if show_flow:
            images.append(flow_bgr)
        if gt is not None:
            mask = next(gt, None)
            if mask is None:
                raise ValueError(f'--gt has fewer masks than the video\'s '
                                 f'{total} frames')
            if mask.shape != frame.shape[:2]:
                mask = cv2.resize(mask, (frame.shape[1], frame.shape[0]),
                                  interpolation=cv2.INTER_NEAREST)
            images.append(overlay_mask(frame, mask, color=(0, 200, 0)))
        for _, segmenter in variants:
            mask, _ = segmenter.segment_pair(frame, flow_bgr)
            images.append(overlay_mask(frame, mask))
        yield hstack_panels(images, labels, height=height)


def main(argv=None) -> int:
    args = parse_args(argv)
    from hfan.apis.inference import VideoSegmenter
    from hfan.io import VideoIOError, open_video, save_video
    from hfan.flow import build_flow_estimator
    try:
        video = open_video(args.video)
        total = len(video) if not args.max_frames else min(
            len(video), args.max_frames)
        variants = []
        for label, config, checkpoint, options in args.variants:
            if checkpoint != 'none' and not osp.isfile(checkpoint):
                raise FileNotFoundError(f'--variant {label}: checkpoint '
                                        f'{checkpoint} does not exist')
            variants.append((label, VideoSegmenter(
                config, None if checkpoint == 'none' else checkpoint,
                device=args.device, cfg_options=options or None)))
        gt = gt_masks(args.gt) if args.gt else None
        written = save_video(
            panels(video, variants, build_flow_estimator(args.flow), gt,
                   args.show_flow, args.height, total),
            args.out, fps=args.fps or video.fps, total=total,
            gif_max_side=None,  # --height sets the size of the panels
            gif_max_frames=args.gif_max_frames)
    except (VideoIOError, ValueError, OSError, KeyError, RuntimeError) as err:
        print(f'visualize_ablation.py: error: {err}', file=sys.stderr)
        return 1
    print(f'{written} frames of {len(variants)} variants side by side '
          f'written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
