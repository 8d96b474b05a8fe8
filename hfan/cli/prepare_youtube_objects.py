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
Output (annotated frames only; see hfan/preparation/sparse_benchmarks.py):
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
import argparse
import os.path as osp
import sys
from typing import List, Optional

from hfan.cli._preparation import (
    build_sparse_parser,
    prepare_sparse,
    video_list,
)
from hfan.cli.report import run_cli
from hfan.preparation.sparse_benchmarks import (
    YOUTUBE_OBJECTS_CLASSES,
    SparseVideo,
    youtube_objects_videos,
)
from hfan.utils.atomic_io import atomic_write_text

PROG = 'prepare_youtube_objects.py'
#: the class map written beside the output (release tree)
CLASS_MAP = 'classes.txt'


def build_parser() -> argparse.ArgumentParser:
    parser = build_sparse_parser(
        PROG, __doc__, 'YouTube-Objects root: the release tree (holds '
        'aeroplane/data/, bird/data/, ...) or the per-video layout (holds '
        'JPEGImages/ and Annotations/)')
    parser.add_argument(
        '--frames-root', default=None, metavar='DIR',
        help='release tree only: where the frames are when they are not in '
        "each shot's images/ folder (DIR/<class>/data/<NNNN>/shots/<NNN>/"
        'frame<NNNN>.jpg)')
    return parser


def _list_videos(args: argparse.Namespace) -> List[SparseVideo]:
    """The videos, with notes on their classes on stderr; the release
    tree's class map is written to OUT/classes.txt."""
    found = youtube_objects_videos(args.root, args.split,
                                   video_list(args.videos), args.frames_root)
    counts = ', '.join(f'{c} {len(v)}'
                       for c, v in sorted(found.classes.items()))
    if found.release:
        if found.unknown:
            print(f'note: class folder(s) not among the 10 YouTube-Objects '
                  f'classes: {", ".join(found.unknown)}', file=sys.stderr)
        class_map = osp.join(args.out, CLASS_MAP)
        atomic_write_text(class_map, ''.join(
            f'{name} {cls}\n' for name, cls in found.class_map().items()))
        print(f'{len(found.videos)} videos (annotated shots) in '
              f'{len(found.classes)} classes: {counts}; class map: '
              f'{class_map} (eval_vos.py --classes)', file=sys.stderr)
    else:
        if found.unknown:
            print(f'note: {len(found.unknown)} video(s) of no YouTube-Objects '
                  f'class ({", ".join(YOUTUBE_OBJECTS_CLASSES)}): '
                  f'{", ".join(found.unknown[:5])}', file=sys.stderr)
        print(f'{len(found.videos)} videos in {len(found.classes)} classes: '
              f'{counts}', file=sys.stderr)
    return found.videos


def _main(argv: Optional[List[str]]) -> int:
    args = build_parser().parse_args(argv)
    return prepare_sparse(args, lambda: _list_videos(args),
                          desc='YouTube-Objects')


def main(argv: Optional[List[str]] = None) -> int:
    """Prepare; 0 on success, 1 for unusable input (named), 2 for a usage
    error."""
    return run_cli(_main, argv, PROG)
