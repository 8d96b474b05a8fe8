"""The bundled demo clip, made from a DAVIS video (how ``demo/`` was made).

The video's frames are downscaled with area interpolation to
``OUT/frames/<video>/<00000>.jpg``; its DAVIS masks, downscaled the same
way and thresholded at half, to ``OUT/masks/<video>/<00000>.png`` (0/255).
"""
import os
import os.path as osp
from typing import Optional, Tuple

import cv2
import numpy as np

from hfan.utils.paths import check_output_not_input, check_writable_folder

from .sources import PrepareError, decode_frame, read_binary_mask, read_file
from .two_seg import atomic_write_image


def make_demo_clip(davis_root: str,
                   video: str,
                   out_root: str,
                   size: Tuple[int, int] = (240, 427),
                   num_frames: Optional[int] = None) -> int:
    """Write the first ``num_frames`` frames (all when ``None``) of
    ``video`` (``DAVIS_ROOT/JPEGImages/480p/<video>/``, masks from
    ``Annotations/480p/<video>/``) at ``size`` ``(h, w)`` under
    ``out_root``. Returns the number of frames written.

    Raises:
        PrepareError: the video's folder, a frame or a mask is missing or
            unreadable (the message names it).
        hfan.utils.paths.OutputPathError: ``out_root`` is, lies under or
            contains ``davis_root``, or is (under) a regular file.
    """
    check_writable_folder(out_root, 'the output root')
    check_output_not_input(out_root, 'the output root',
                           [('DAVIS root', davis_root)], containing=True)
    h, w = size
    img_dir = osp.join(davis_root, 'JPEGImages', '480p', video)
    ann_dir = osp.join(davis_root, 'Annotations', '480p', video)
    if not osp.isdir(img_dir):
        raise PrepareError(f'folder not found: {img_dir}')
    names = sorted(n for n in os.listdir(img_dir)
                   if n.endswith('.jpg'))[:num_frames]
    for name in names:
        stem = osp.splitext(name)[0]
        img = decode_frame(read_file(osp.join(img_dir, name)),
                           osp.join(img_dir, name))
        mask = read_binary_mask(osp.join(ann_dir, stem + '.png'))
        small = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
        small_mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA)
        small_mask = np.where(small_mask >= 128, 255, 0).astype(np.uint8)
        atomic_write_image(
            osp.join(out_root, 'frames', video, name), small,
            [cv2.IMWRITE_JPEG_QUALITY, 90])
        atomic_write_image(
            osp.join(out_root, 'masks', video, stem + '.png'), small_mask)
    return len(names)
