#!/usr/bin/env python
"""Print the frame folders of a DAVIS split, one a line, for infer.py.

    python infer.py --config CONFIG --checkpoint CKPT --output_dir OUT \\
        --input $(python tools/davis_videos.py data/DAVIS val)

Reads either release layout (DAVIS-2016 pair lists in ImageSets/480p, or
DAVIS-2017 video lists in ImageSets/2016), as tools/prepare_davis.py does,
and checks that every listed frame and annotation exists.
"""
import argparse
import os.path as osp
import sys

from hfan.datasets.prepare import PrepareError, davis_jobs


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='DAVIS root (holds JPEGImages, '
                        'Annotations, ImageSets)')
    parser.add_argument('split', nargs='?', default='val',
                        help='image-set list (default: val)')
    parser.add_argument('--resolution', default='480p',
                        help='JPEGImages sub-folder (default: 480p)')
    args = parser.parse_args(argv)
    try:
        jobs = davis_jobs(args.root, [args.split], args.resolution)
    except PrepareError as e:
        sys.exit(f'error: {e}')
    for job in jobs:
        print(osp.dirname(job.frames[0].image))


if __name__ == '__main__':
    main()
