"""Several models side by side on one video: a row of labelled panels per
frame (the input, optionally its flow and the ground truth, then one mask
overlay per model), written as a GIF or a video.

The flow of a frame is computed once and given to every model, so the
panels differ only by the model. Frames are decoded, segmented and written
one at a time.
"""
from itertools import islice
from typing import Iterable, Iterator, Optional, Sequence, Tuple

import cv2
import numpy as np

from hfan.flow import (
    build_flow_estimator,
    flow_to_bgr,
    iter_frames_with_forward_flow,
)
from hfan.io import FrameFolder, save_video

from .masks import overlay_mask
from .panels import hstack_panels

#: The overlay colour of the ground truth (BGR green; models are red).
GT_COLOR = (0, 200, 0)


def read_gt_masks(folder: str) -> Iterator[np.ndarray]:
    """The (H, W) uint8 masks of a folder, in natural name order, read
    lazily.

    Raises:
        ValueError: a mask file cannot be read.
    """
    masks = FrameFolder(folder)
    for path in masks.paths:
        mask = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        if mask is None:
            raise ValueError(f'mask {path} cannot be read')
        yield mask


def ablation_panels(frames: Iterable[np.ndarray],
                    variants: Sequence[Tuple[str, object]],
                    estimator,
                    gt_masks: Optional[Iterator[np.ndarray]] = None,
                    show_flow: bool = False,
                    height: int = 240,
                    total: Optional[int] = None) -> Iterator[np.ndarray]:
    """One side-by-side BGR image per frame.

    Args:
        frames: (H, W, 3) BGR frames in order.
        variants: ``(label, segmenter)`` pairs; each segmenter's
            ``segment_pair(frame, flow_bgr)`` gives the (H, W) mask.
        estimator: the flow estimator, ``estimator(frame, next_frame)``.
        gt_masks: one mask per frame (resized to the frame's size with
            nearest neighbour when they differ), or ``None``.
        show_flow: add a panel with the colour-coded flow.
        height: panel height in pixels.
        total: the number of frames (for the message when ``gt_masks``
            runs out).

    Yields:
        (height + label, n_panels * width + gaps, 3) uint8 images.

    Raises:
        ValueError: ``gt_masks`` has fewer masks than ``frames``.
    """
    labels = ['input'] + (['flow'] if show_flow else []) + \
        (['ground truth'] if gt_masks is not None else []) + \
        [label for label, _ in variants]
    for _, frame, flow in iter_frames_with_forward_flow(frames, estimator):
        flow_bgr = flow_to_bgr(flow)
        images = [frame]
        if show_flow:
            images.append(flow_bgr)
        if gt_masks is not None:
            mask = next(gt_masks, None)
            if mask is None:
                raise ValueError(f'--gt has fewer masks than the video\'s '
                                 f'{total} frames')
            if mask.shape != frame.shape[:2]:
                mask = cv2.resize(mask, (frame.shape[1], frame.shape[0]),
                                  interpolation=cv2.INTER_NEAREST)
            images.append(overlay_mask(frame, mask, color=GT_COLOR))
        for _, segmenter in variants:
            mask, _ = segmenter.segment_pair(frame, flow_bgr)
            images.append(overlay_mask(frame, mask))
        yield hstack_panels(images, labels, height=height)


def write_ablation_video(video,
                         variants: Sequence[Tuple[str, object]],
                         out: str,
                         flow: str = 'dis',
                         gt_dir: Optional[str] = None,
                         show_flow: bool = False,
                         height: int = 240,
                         max_frames: Optional[int] = None,
                         gif_max_frames: int = 120,
                         fps: Optional[float] = None) -> int:
    """Write the panels of :func:`ablation_panels` to ``out``.

    Args:
        video: an opened :mod:`hfan.io` video (``len``, ``fps``, frames).
        variants: ``(label, segmenter)`` pairs.
        out: ``.gif``, ``.mp4`` or ``.webm``; it appears under its name
            only when complete.
        flow: the flow estimator's name.
        gt_dir: a folder of ground-truth masks, one per frame in name
            order, or ``None``.
        max_frames: use only the first frames (``None``/0: all).
        gif_max_frames: a GIF keeps at most this many frames (every n-th of
            a longer video).
        fps: the output frame rate (``None``: the video's).

    Returns:
        the number of frames written.
    """
    total = len(video) if not max_frames else min(len(video), max_frames)
    gt_masks = read_gt_masks(gt_dir) if gt_dir else None
    panels = ablation_panels(
        islice(video, total), variants, build_flow_estimator(flow),
        gt_masks, show_flow, height, total)
    return save_video(
        panels, out, fps=fps or video.fps, total=total,
        gif_max_side=None,  # ``height`` sets the size of the panels
        gif_max_frames=gif_max_frames)
