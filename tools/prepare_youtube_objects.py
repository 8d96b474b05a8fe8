#!/usr/bin/env python
"""Prepare YouTube-Objects (10 classes, sparse masks) for infer.py and
tools/eval_vos.py --class-mean.

Input, the per-video layout in which the U-VOS literature distributes the
set (videos named <class><NNNN>, e.g. aeroplane0001):
    ROOT/JPEGImages/<video>/<00001>.jpg    every frame
    ROOT/Annotations/<video>/<00001>.png   the annotated frames (any nonzero
                                           value or palette index is
                                           foreground)
Output (annotated frames only; see hfan/datasets/sparse_benchmarks.py):
    OUT/frame/<split>/<video>_<00001>.jpg, OUT/flow/<split>/...,
    OUT/mask/<split>/...                   the 2SEG layout infer.py reads
    OUT/gt/<video>/<00001>.png             ground truth, 0/255, own size
Flow: frame t -> t+1 of the full video. Resumable and atomic. Videos whose
name does not start with one of the 10 classes are listed on stderr (the
class mean groups them by their name all the same, or use --classes).

Example (then segment and score, see docs/sparse_benchmarks.md):
    python tools/prepare_youtube_objects.py data/YouTubeObjects \\
        data/YouTubeObjects2SEG
    python infer.py --config CONFIG --checkpoint CKPT \\
        --input data/YouTubeObjects2SEG --output_dir output/yto
    python tools/eval_vos.py output/yto-DAVIS-16 data/YouTubeObjects2SEG/gt \\
        --protocol annotated --class-mean
"""
import sys

from hfan.datasets.sparse_benchmarks import (
    YOUTUBE_OBJECTS_CLASSES, build_parser, per_video_folder_videos,
    prepare_sparse_from_args, split_classes, video_list)


def _videos(args):
    videos = per_video_folder_videos(args.root, args.split,
                                     video_list(args.videos))
    groups, unknown = split_classes([v.name for v in videos])
    if unknown:
        print(f'note: {len(unknown)} video(s) of no YouTube-Objects class '
              f'({", ".join(YOUTUBE_OBJECTS_CLASSES)}): '
              f'{", ".join(unknown[:5])}', file=sys.stderr)
    print(f'{len(videos)} videos in {len(groups)} classes: '
          + ', '.join(f'{c} {len(v)}' for c, v in sorted(groups.items())),
          file=sys.stderr)
    return videos


def main(argv=None):
    args = build_parser(
        __doc__, 'YouTube-Objects root (holds JPEGImages/ and Annotations/)'
    ).parse_args(argv)
    prepare_sparse_from_args(args, lambda: _videos(args),
                             desc='YouTube-Objects')


if __name__ == '__main__':
    main()
