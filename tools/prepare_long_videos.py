#!/usr/bin/env python
"""Prepare Long-Videos (AFB-URR, Liang et al. 2020) for infer.py and
tools/eval_vos.py.

Input, the download as unpacked:
    ROOT/JPEGImages/<video>/<00000>.jpg    every frame (blueboy, dressage, rat)
    ROOT/Annotations/<video>/<00000>.png   20 annotated frames per video,
                                           palette PNGs: any nonzero index
                                           (every object) is foreground
Output (annotated frames only; see hfan/datasets/sparse_benchmarks.py):
    OUT/frame/<split>/<video>_<00000>.jpg, OUT/flow/<split>/...,
    OUT/mask/<split>/...                   the 2SEG layout infer.py reads
    OUT/gt/<video>/<00000>.png             ground truth, 0/255, own size
Flow: frame t -> t+1 of the full video (the estimator of --flow).
Resumable (a rerun writes only what is missing) and atomic.

Example (then segment and score, see docs/sparse_benchmarks.md):
    python tools/prepare_long_videos.py data/long_video data/LongVideos2SEG
    python infer.py --config CONFIG --checkpoint CKPT \\
        --input data/LongVideos2SEG --output_dir output/long
    python tools/eval_vos.py output/long-DAVIS-16 data/LongVideos2SEG/gt \\
        --protocol annotated
"""

from hfan.datasets.sparse_benchmarks import (
    build_parser, per_video_folder_videos, prepare_sparse_from_args,
    video_list)


def main(argv=None):
    args = build_parser(
        __doc__, 'Long-Videos root (holds JPEGImages/ and Annotations/)'
    ).parse_args(argv)
    prepare_sparse_from_args(
        args,
        lambda: per_video_folder_videos(args.root, args.split,
                                        video_list(args.videos)),
        desc='Long-Videos')


if __name__ == '__main__':
    main()
