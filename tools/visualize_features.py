"""Feature maps of HFAN's frame and flow streams before and after FAM / FAT.

    python tools/visualize_features.py CONFIG CHECKPOINT \\
        (--pair FRAME FLOW_IMAGE | --frames FRAME NEXT_FRAME |
         --video VIDEO [--index T]) [--mode pca|mean|norm] [--out PNG]

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
import sys
from typing import Dict, List

import cv2
import numpy as np
from hfan.cli.arguments import add_cfg_options

COLUMN_TITLES = {
    'frame_in': 'frame stream in',
    'flow_in': 'flow stream in',
    'frame_fam': 'frame after FAM',
    'flow_fam': 'flow after FAM',
    'gate': 'FAT weight of frame',
    'fused': 'fused out',
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Plot the frame / flow feature maps before and after '
        "FAM and FAT (the head's fusions) for one frame pair.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 2)[2])
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
    parser.add_argument('--flow', default='dis', choices=['dis', 'raft'],
                        help='flow estimator for --frames / --video')
    parser.add_argument('--mode', default='pca', choices=['pca', 'mean',
                                                          'norm'],
                        help='how a (C, h, w) map becomes a picture '
                        '(default: pca)')
    parser.add_argument('--levels', type=int, nargs='+', default=[1, 2, 3, 4],
                        help='levels to show, 1-4 (default: all)')
    parser.add_argument('--out', default='features.png',
                        help='output PNG (default: features.png)')
    parser.add_argument('--device', default='cpu')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    if not set(args.levels) <= {1, 2, 3, 4}:
        parser.error('--levels are 1 to 4')
    return args


def load_pair(args):
    """(frame, flow image), BGR uint8, from the chosen source."""
    from hfan.flow import (build_flow_estimator, flow_to_bgr,
                           iter_frames_with_forward_flow)
    from hfan.io import FrameFolder, open_video
    if args.pair:
        frame, flow = (FrameFolder.read(p) for p in args.pair)
        if frame.shape != flow.shape:
            raise ValueError(f'{args.pair[0]} and {args.pair[1]} differ in '
                             'size')
        return frame, flow
    estimator = build_flow_estimator(args.flow)
    if args.frames:
        frames = [FrameFolder.read(p) for p in args.frames]
        if frames[0].shape != frames[1].shape:
            raise ValueError(f'{args.frames[0]} and {args.frames[1]} differ '
                             'in size')
    else:
        video = open_video(args.video)
        if not 0 <= args.index < len(video):
            raise ValueError(f'--index {args.index}: {args.video} has '
                             f'{len(video)} frames')
        frames = video
    for t, frame, flow in iter_frames_with_forward_flow(frames, estimator):
        if args.frames or t == args.index:
            return frame, flow_to_bgr(flow)
    raise ValueError('no frame')  # not reached: lengths are checked


class FusionRecorder:
    """Records the inputs / outputs of ``decode_head.fusions[i]`` and, inside
    them, FAM's aligned maps and FAT's gate, for one forward pass."""

    def __init__(self, head):
        from hfan.models.fusion import FeatureAdaptation, FeatureAlignment
        self.maps: Dict[int, Dict[str, np.ndarray]] = {}
        self._handles = []
        self._patched = []
        for level, fusion in enumerate(head.fusions):
            self._handles.append(
                fusion.register_forward_hook(self._fusion_hook(level)))
            for module in fusion.modules():
                # align() and gate() are methods, not submodules: wrap them
                # on the instance to see their results.
                if isinstance(module, FeatureAlignment):
                    self._wrap(module, 'align', level, ('frame_fam',
                                                        'flow_fam'))
                if isinstance(module, FeatureAdaptation):
                    self._wrap(module, 'gate', level, ('gate', ))

    @staticmethod
    def _numpy(tensor):
        return tensor.detach().float().cpu().numpy()[0]  # batch of one

    def _fusion_hook(self, level):
        def hook(module, inputs, output):
            record = self.maps.setdefault(level, {})
            record['frame_in'] = self._numpy(inputs[0])
            record['flow_in'] = self._numpy(inputs[1])
            record['fused'] = self._numpy(output)
        return hook

    def _wrap(self, module, method, level, names):
        original = getattr(module, method)

        def wrapped(*args, **kwargs):
            result = original(*args, **kwargs)
            values = result if isinstance(result, tuple) else (result, )
            record = self.maps.setdefault(level, {})
            for name, value in zip(names, values):
                record[name] = self._numpy(value)
            return result

        setattr(module, method, wrapped)
        self._patched.append((module, method))

    def remove(self):
        for handle in self._handles:
            handle.remove()
        for module, method in self._patched:
            delattr(module, method)  # back to the class's method


def level_images(record: Dict[str, np.ndarray], mode: str):
    """{column: BGR image} of one level, feature maps on a shared scale."""
    from hfan.visualization import feature_maps_to_images
    names = [n for n in ('frame_in', 'flow_in', 'frame_fam', 'flow_fam',
                         'fused') if n in record]
    images = dict(zip(names, feature_maps_to_images(
        [record[n] for n in names], mode)))
    if 'gate' in record:
        # A weight in [0, 1]: shown on a fixed scale (0.5 = equal weights).
        weight = record['gate'].mean(0)
        images['gate'] = cv2.applyColorMap(
            np.rint(np.clip(weight, 0, 1) * 255).astype(np.uint8),
            cv2.COLORMAP_VIRIDIS)
    return images


def plot(path: str, top: List, rows: List, title: str) -> None:
    """Write the grid with matplotlib (Agg, bundled fonts), atomically."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from hfan.utils.atomic_io import atomic_path
    columns = ['frame_in', 'flow_in', 'frame_fam', 'flow_fam', 'gate',
               'fused']
    used = [c for c in columns if any(c in images for _, images in rows)]
    ncols = max(len(used), len(top))
    nrows = 1 + len(rows)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.4 * ncols,
                                                    2.1 * nrows),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis('off')
    for ax, (label, image) in zip(axes[0], top):
        ax.imshow(image[..., ::-1])
        ax.set_title(label, fontsize=9)
    for r, (label, images) in enumerate(rows, start=1):
        for c, name in enumerate(used):
            if name not in images:
                continue
            ax = axes[r][c]
            ax.imshow(images[name][..., ::-1], interpolation='nearest')
            ax.set_title(f'{label}: {COLUMN_TITLES[name]}', fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format='png', dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    from hfan.apis.inference import VideoSegmenter
    from hfan.visualization import overlay_mask, probability_heatmap
    options = dict(args.cfg_options or {})
    options['model.test_cfg'] = dict(mode='whole')
    try:
        frame, flow = load_pair(args)
        segmenter = VideoSegmenter(
            args.config,
            None if args.checkpoint == 'none' else args.checkpoint,
            device=args.device, cfg_options=options)
    except (ValueError, OSError, KeyError, RuntimeError) as err:
        print(f'visualize_features.py: error: {err}', file=sys.stderr)
        return 1
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
    plot(args.out, top, rows,
         f'{osp.basename(args.config)}  select_method='
         f'{head.select_method}  ({args.mode} maps)')
    print(f'Feature maps of {len(rows)} levels written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
