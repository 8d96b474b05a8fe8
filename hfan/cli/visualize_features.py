"""``tools/visualize_features.py``: feature maps of HFAN's frame and flow
streams before and after FAM / FAT (:mod:`hfan.visualization.fusion_features`).

Runs the model on one frame pair and records, for each of the four levels,
what the head's fusion module ``decode_head.fusions[i]`` receives and
returns (forward hooks): the frame-stream and flow-stream features going in,
and the fused feature coming out. Inside the fusion it also records FAM's
aligned features (the outputs of ``FeatureAlignment.align``) and FAT's gate
(``FeatureAdaptation.gate``: the per-pixel weight of the frame stream,
averaged over channels; the flow gets one minus it), where the variant has
them (``select_method`` hfan: both; fam; fat; im / fw / base: neither).

The PNG grid has the input frame, flow image, mask overlay and foreground
probability on top, then one row per level. The maps of a row share their
normalisation (same PCA basis, or same value range), so a stream before and
after a module can be compared. PCA shows the three main components of the
level's features as RGB; ``mean`` is the channel mean, ``norm`` the L2 norm
over channels (where the features are strong).

The model runs in whole-image mode (a sliding window would call each fusion
once per window; the hooks keep whole maps only that way).
"""
import argparse
import os.path as osp

import torch

from hfan.cli.arguments import add_cfg_options, add_flow_arg
from hfan.cli.report import run_cli
from hfan.visualization import (
    FEATURE_MODES,
    FusionRecorder,
    level_images,
    overlay_mask,
    plot_fusion_features,
    probability_heatmap,
    read_frame_and_flow,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='visualize_features.py',
        description='Plot the frame / flow feature maps before and after '
        "FAM and FAT (the head's fusions) for one frame pair.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('config')
    parser.add_argument('checkpoint',
                        help="weights, or 'none' for random weights")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--pair', nargs=2, metavar=('FRAME', 'FLOW_IMAGE'),
                        help='a frame and its colour-coded flow image')
    source.add_argument('--frames', nargs=2, metavar=('FRAME', 'NEXT'),
                        help='a frame and the next one: the flow is computed '
                        '(--flow)')
    source.add_argument('--video',
                        help='a video file or frame folder (with --index)')
    parser.add_argument('--index', type=int, default=0,
                        help='--video: the frame to show (default: 0)')
    add_flow_arg(parser, help='flow estimator for --frames / --video')
    parser.add_argument('--mode', default='pca', choices=FEATURE_MODES,
                        help='how a (C, h, w) map becomes a picture '
                        '(default: pca)')
    parser.add_argument('--levels', type=int, nargs='+', default=[1, 2, 3, 4],
                        help='levels to show, 1-4 (default: all)')
    parser.add_argument('--out', default='features.png',
                        help='output PNG (default: features.png)')
    parser.add_argument('--device', default='cpu')
    add_cfg_options(parser)
    return parser


def _main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not set(args.levels) <= {1, 2, 3, 4}:
        parser.error('--levels are 1 to 4')
    from hfan.apis.inference import VideoSegmenter
    options = dict(args.cfg_options or {})
    # A sliding window would call each fusion once per window.
    options['model.test_cfg'] = dict(mode='whole')
    frame, flow = read_frame_and_flow(
        pair=args.pair,
        frames=args.frames,
        video=args.video,
        index=args.index,
        flow=args.flow)
    segmenter = VideoSegmenter(
        args.config,
        None if args.checkpoint == 'none' else args.checkpoint,
        device=args.device,
        cfg_options=options)
    head = segmenter.model.decode_head
    recorder = FusionRecorder(head)
    try:
        with torch.no_grad():
            mask, prob = segmenter.segment_pair(frame, flow)
    finally:
        recorder.remove()
    top = [('frame', frame), ('flow image', flow),
           ('mask', overlay_mask(frame, mask)),
           ('foreground probability', probability_heatmap(prob))]
    rows = [(f'L{level}', level_images(recorder.maps[level - 1], args.mode))
            for level in args.levels]
    plot_fusion_features(
        args.out, top, rows, f'{osp.basename(args.config)}  select_method='
        f'{head.select_method}  ({args.mode} maps)')
    print(f'Feature maps of {len(rows)} levels written to {args.out}')
    return 0


def main(argv=None) -> int:
    """Write the grid; errors as one line, exit status 1."""
    return run_cli(_main, argv, 'visualize_features.py')
