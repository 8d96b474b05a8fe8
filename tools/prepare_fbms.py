#!/usr/bin/env python
"""Prepare the FBMS-59 test set (30 videos) for infer.py and
tools/eval_vos.py.

Input, the download as unpacked:
    ROOT/Testset/<video>/<video>_<NN>.jpg          every frame
    ROOT/Testset/<video>/GroundTruth/*_gt.pgm|ppm  sparse annotations, the
        frame given by the number at the end of the name (001_gt.pgm,
        cars1_01_gt.ppm); files named *PROB* are skipped
Ground truth: all objects merged into one foreground; .pgm: any nonzero gray
level; .ppm: any colour but the white (and black) background.
Output (the frames the GT file names list; see
hfan/datasets/sparse_benchmarks.py):
    OUT/frame/<split>/<video>_<00000>.jpg, OUT/flow/<split>/...,
    OUT/mask/<split>/...                   the 2SEG layout infer.py reads
    OUT/gt/<video>/<00000>.png             ground truth, 0/255, own size
<00000> is the frame number zero-padded. Flow: frame t -> t+1 of the full
video. Resumable and atomic.

Example (then segment and score, see docs/sparse_benchmarks.md):
    python tools/prepare_fbms.py data/FBMS data/FBMS2SEG
    python infer.py --config CONFIG --checkpoint CKPT \\
        --input data/FBMS2SEG --output_dir output/fbms
    python tools/eval_vos.py output/fbms-DAVIS-16 data/FBMS2SEG/gt \\
        --protocol annotated
"""

from hfan.datasets.sparse_benchmarks import (
    build_parser, fbms_videos, prepare_sparse_from_args, video_list)


def main(argv=None):
    parser = build_parser(__doc__, 'FBMS-59 root (holds Testset/)')
    parser.add_argument('--subset', default='Testset',
                        help='sub-folder of ROOT to read (default: Testset, '
                        'the 30 test videos)')
    args = parser.parse_args(argv)
    prepare_sparse_from_args(
        args,
        lambda: fbms_videos(args.root, args.split, video_list(args.videos),
                            args.subset),
        desc='FBMS-59')


if __name__ == '__main__':
    main()
