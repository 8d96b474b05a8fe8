#!/usr/bin/env python
"""Prepare YouTube-Objects (10 classes, sparse masks) for infer.py and
tools/eval_vos.py --class-mean.

Input, either of two layouts (detected):
  the release tree, one video per annotated shot, named
  <class>-<NNNN>-<NNN> (the masks of Jain and Grauman that U-VOS papers
  score against; JPEG masks, foreground >= 128):
    ROOT/<class>/data/<NNNN>/shots/<NNN>/labels/<NNNNN>.jpg  annotations
    ROOT/<class>/data/<NNNN>/shots/<NNN>/images/frame<NNNN>.jpg   frames
        (or, with --frames-root F, F/<class>/data/<NNNN>/shots/<NNN>/
        frame<NNNN>.jpg: the YouTube-Objects frames downloaded apart)
  the per-video layout of U-VOS code releases (videos named <class><NNNN>,
  e.g. aeroplane0001):
    ROOT/JPEGImages/<video>/<00001>.jpg    every frame
    ROOT/Annotations/<video>/<00001>.png   the annotated frames (any nonzero
                                           value or palette index is
                                           foreground)
Output (annotated frames only; see hfan/datasets/sparse_benchmarks.py):
    OUT/frame/<split>/<video>_<00001>.jpg, OUT/flow/<split>/...,
    OUT/mask/<split>/...                   the 2SEG layout infer.py reads
    OUT/gt/<video>/<00001>.png             ground truth, 0/255, own size
    OUT/classes.txt                        "video class" lines (release
                                           tree), for eval_vos.py --classes
Flow: frame t -> t+1 of the full video (shot). Resumable and atomic.
Per-video layout: videos whose name does not start with one of the 10
classes are listed on stderr (the class mean groups them by their name all
the same, or use --classes).

Example (then segment and score, see docs/sparse_benchmarks.md):
    python tools/prepare_youtube_objects.py data/youtube_masks \\
        data/YouTubeObjects2SEG
    python infer.py --config CONFIG --checkpoint CKPT \\
        --input data/YouTubeObjects2SEG --output_dir output/yto
    python tools/eval_vos.py output/yto-DAVIS-16 data/YouTubeObjects2SEG/gt \\
        --protocol annotated --class-mean \\
        --classes data/YouTubeObjects2SEG/classes.txt --resize-pred nearest
"""
import os.path as osp
import sys

from hfan.datasets.prepare import PrepareError
from hfan.datasets.sparse_benchmarks import (
    YOUTUBE_OBJECTS_CLASSES, build_parser, is_youtube_objects_release,
    per_video_folder_videos, prepare_sparse_from_args, split_classes,
    video_list, youtube_objects_release_videos)
from hfan.utils.atomic_io import atomic_write_text

#: the class map written beside the output (release tree)
CLASS_MAP = 'classes.txt'


def _release_videos(args):
    videos = youtube_objects_release_videos(
        args.root, args.split, video_list(args.videos), args.frames_root)
    # <class>-<NNNN>-<NNN>: the class folder is the name's first part
    class_of = {v.name: v.name.split('-', 1)[0] for v in videos}
    groups = {}
    for name, cls in class_of.items():
        groups.setdefault(cls, []).append(name)
    unknown = sorted(set(groups) - set(YOUTUBE_OBJECTS_CLASSES))
    if unknown:
        print(f'note: class folder(s) not among the 10 YouTube-Objects '
              f'classes: {", ".join(unknown)}', file=sys.stderr)
    class_map = osp.join(args.out, CLASS_MAP)
    atomic_write_text(class_map, ''.join(
        f'{name} {cls}\n' for name, cls in class_of.items()))
    print(f'{len(videos)} videos (annotated shots) in {len(groups)} '
          'classes: ' + ', '.join(f'{c} {len(v)}'
                                  for c, v in sorted(groups.items())) +
          f'; class map: {class_map} (eval_vos.py --classes)',
          file=sys.stderr)
    return videos


def _per_video_layout_videos(args):
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


def _videos(args):
    if not osp.isdir(args.root):
        raise PrepareError(f'folder not found: {args.root}')
    if is_youtube_objects_release(args.root):
        return _release_videos(args)
    if args.frames_root:
        raise PrepareError(
            f'--frames-root is for the release tree, but {args.root} has no '
            '<class>/data/ folder (aeroplane/data/, bird/data/, ...)')
    if not osp.isdir(osp.join(args.root, 'Annotations')):
        nested = osp.join(args.root, 'youtube_masks')
        if is_youtube_objects_release(nested):
            raise PrepareError(f'{args.root} holds the release tree one '
                               f'level down: pass {nested}')
        raise PrepareError(
            f'{args.root} is in neither YouTube-Objects layout: expected '
            '<class>/data/<NNNN>/shots/<NNN>/labels/ (the release tree) or '
            'JPEGImages/ and Annotations/ (the per-video layout)')
    return _per_video_layout_videos(args)


def main(argv=None):
    parser = build_parser(
        __doc__, 'YouTube-Objects root: the release tree (holds aeroplane/'
        'data/, bird/data/, ...) or the per-video layout (holds JPEGImages/ '
        'and Annotations/)')
    parser.add_argument(
        '--frames-root', default=None, metavar='DIR',
        help='release tree only: where the frames are when they are not in '
        "each shot's images/ folder (DIR/<class>/data/<NNNN>/shots/<NNN>/"
        'frame<NNNN>.jpg)')
    args = parser.parse_args(argv)
    prepare_sparse_from_args(args, lambda: _videos(args),
                             desc='YouTube-Objects')


if __name__ == '__main__':
    main()
