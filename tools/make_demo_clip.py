#!/usr/bin/env python
"""Make the bundled demo clip from a DAVIS video (how demo/ was made).

    python tools/make_demo_clip.py data/DAVIS blackswan --size 240x427

Writes the video's frames, downscaled with area interpolation, to
``demo/frames/<video>/<00000>.jpg`` and its DAVIS masks, downscaled the same
way and thresholded at half, to ``demo/masks/<video>/<00000>.png`` (0/255).
The video should come from DAVIS-16 val: the demo model never saw it.
"""
import argparse
import os
import os.path as osp
import sys

import cv2
import numpy as np

from hfan.datasets.prepare import (PrepareError, atomic_write_image,
                                   decode_image, read_binary_mask, read_file)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('davis', help='DAVIS root (JPEGImages/480p, '
                        'Annotations/480p)')
    parser.add_argument('video', help='video name, e.g. blackswan')
    parser.add_argument('--size', default='240x427', metavar='HxW',
                        help='output size (default: 240x427)')
    parser.add_argument('--frames', type=int, default=None,
                        help='keep the first N frames (default: all)')
    parser.add_argument('--out', default=osp.join(ROOT, 'demo'),
                        help='output root (default: demo/ of the repository)')
    args = parser.parse_args(argv)
    h, _, w = args.size.partition('x')
    if not (h.isdigit() and w.isdigit()):
        parser.error(f'--size: expected HxW, got {args.size!r}')
    size = (int(w), int(h))
    img_dir = osp.join(args.davis, 'JPEGImages', '480p', args.video)
    ann_dir = osp.join(args.davis, 'Annotations', '480p', args.video)
    try:
        if not osp.isdir(img_dir):
            raise PrepareError(f'folder not found: {img_dir}')
        names = sorted(n for n in os.listdir(img_dir)
                       if n.endswith('.jpg'))[:args.frames]
        for name in names:
            stem = osp.splitext(name)[0]
            img = decode_image(read_file(osp.join(img_dir, name)),
                               osp.join(img_dir, name))
            mask = read_binary_mask(osp.join(ann_dir, stem + '.png'))
            small = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
            small_mask = cv2.resize(mask, size, interpolation=cv2.INTER_AREA)
            small_mask = np.where(small_mask >= 128, 255, 0).astype(np.uint8)
            atomic_write_image(
                osp.join(args.out, 'frames', args.video, name), small,
                [cv2.IMWRITE_JPEG_QUALITY, 90])
            atomic_write_image(
                osp.join(args.out, 'masks', args.video, stem + '.png'),
                small_mask)
    except PrepareError as e:
        sys.exit(f'error: {e}')
    print(f'{len(names)} frames of {args.video} written under {args.out}',
          file=sys.stderr)


if __name__ == '__main__':
    main()
