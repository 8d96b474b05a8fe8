"""Overlay videos of :func:`hfan.infer.run`: the frames with their masks drawn.

Written last, from the masks on disk, once every frame of a video has its
mask, so an interrupted run never leaves a partial overlay.
"""
import os.path as osp
from typing import Callable, Dict, Sequence

import cv2
from tqdm import tqdm

from hfan.io.video import save_video
from hfan.utils.atomic_io import remove_stale_tmp
from hfan.utils.image_io import read_image_bgr
from hfan.visualization import overlay_mask

from .errors import InferenceError
from .sources import VideoInput


def overlay_dir(output_dir: str) -> str:
    """``<out>-overlay``: the overlay videos, beside the mask folders."""
    return osp.normpath(output_dir) + '-overlay'


def overlay_frames(video: VideoInput, mask_path: Callable[[str], str]):
    """The frames of ``video`` with their masks (read from disk) drawn."""
    for fid, image in zip(video.frame_ids, video.images()):
        path = mask_path(fid)
        try:  # the one image reader: an empty or cut mask is an error
            mask = read_image_bgr(path, cv2.IMREAD_GRAYSCALE)
        except (OSError, ValueError) as err:
            raise InferenceError(f'mask {path} cannot be read: {err}') \
                from None
        if mask.shape != image.shape[:2]:
            raise InferenceError(
                f'mask {path} is {mask.shape[1]}x{mask.shape[0]} but frame '
                f'{fid} of {video.name} is {image.shape[1]}x{image.shape[0]}')
        yield overlay_mask(image, mask)


def write_overlays(output_dir: str, videos: Sequence[VideoInput], writer,
                   fmt: str, segmented: Dict[str, int], progress: bool,
                   gif_max_frames: int = 120):
    """Write ``<out>-overlay/<video>.<fmt>`` for every video whose masks are
    all written.

    An existing overlay is kept when this run wrote no mask of its video
    (a finished run started again); a video with missing masks (a run
    limited by --max-frames) gets none yet.

    Returns:
        ``(written, kept, incomplete)``: ``{video: path}`` twice and the
        names of the videos without all their masks.
    """
    folder = overlay_dir(output_dir)
    if osp.isdir(folder):
        remove_stale_tmp(folder)
    written, kept, incomplete = {}, {}, []
    for video in videos:
        path = osp.join(folder, f'{video.name}.{fmt}')
        if not all(writer.is_done(video.name, f) for f in video.frame_ids):
            incomplete.append(video.name)
            continue
        if osp.isfile(path) and not segmented.get(video.name):
            kept[video.name] = path
            continue
        frames = overlay_frames(
            video, lambda f, v=video.name: writer.paths(v, f)['archive'])
        frames = tqdm(frames, total=len(video.frame_ids), unit='frame',
                      desc=f'{video.name} overlay', disable=not progress,
                      dynamic_ncols=True)
        try:
            save_video(frames, path, fps=video.fps,
                       total=len(video.frame_ids),
                       gif_max_frames=gif_max_frames)
        finally:
            frames.close()
        written[video.name] = path
    return written, kept, incomplete
