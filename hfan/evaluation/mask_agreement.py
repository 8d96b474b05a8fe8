"""How far two mask folders agree, pixel by pixel (two runs of a model:
another backend, precision or code version against a reference)."""
from collections import OrderedDict
from typing import Callable, Dict, Optional

import numpy as np

from hfan.utils.image_io import read_mask

from .io import pair_frames


def mask_agreement(masks: str,
                   reference: str,
                   layout: Optional[str] = None,
                   reference_layout: Optional[str] = None,
                   on_frame: Optional[Callable[[], None]] = None
                   ) -> Dict[str, object]:
    """The share of pixels on which ``masks`` and ``reference`` agree.

    Both folders hold binary masks (any nonzero value is foreground) in the
    per-video (``<video>/<frame>.png``) or flat (``<video>_<frame>.png``)
    layout; every frame of ``reference`` needs its mask in ``masks`` and no
    other frame may be there (:func:`hfan.evaluation.io.pair_frames`, with
    ``reference`` in the ground truth's place).

    Args:
        masks, reference: the two folders.
        layout, reference_layout: their layouts (None: detected).
        on_frame: called after each frame (a progress bar).

    Returns:
        ``dict(frames, pixels, agreeing, agreement, identical_frames,
        videos)``: over all frames, and per video (``videos[name]`` holds
        the same keys but ``videos``). ``agreement = agreeing / pixels``.

    Raises:
        FileNotFoundError / ValueError: a folder missing or empty, frames
            on one side only, or two masks of a frame with different sizes
            (both files named).
    """
    pairs = pair_frames(masks, reference, layout, reference_layout,
                        names=('mask', 'reference'))
    videos: Dict[str, Dict[str, object]] = OrderedDict()
    for video, frames in pairs.items():
        pixels = agreeing = identical = 0
        for _, path, reference_path in frames:
            mask, ref = read_mask(path), read_mask(reference_path)
            if mask.shape != ref.shape:
                raise ValueError(
                    f'{path} is {mask.shape[1]}x{mask.shape[0]} but '
                    f'{reference_path} is {ref.shape[1]}x{ref.shape[0]}; '
                    'masks of the same frame must have the same size')
            same = int(np.count_nonzero(mask == ref))
            pixels += mask.size
            agreeing += same
            identical += same == mask.size
            if on_frame is not None:
                on_frame()
        videos[video] = _figures(len(frames), pixels, agreeing, identical)
    total = _figures(*(sum(v[key] for v in videos.values())
                       for key in ('frames', 'pixels', 'agreeing',
                                   'identical_frames')))
    total['videos'] = videos
    return total


def _figures(frames: int, pixels: int, agreeing: int,
             identical: int) -> Dict[str, object]:
    return dict(frames=frames, pixels=pixels, agreeing=agreeing,
                agreement=agreeing / pixels if pixels else 1.0,
                identical_frames=identical)
