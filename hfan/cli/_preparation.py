"""What the dataset preparation commands (``prepare_*.py``,
``make_*_videos.py``) share: the flow estimator and output options, the
``SPLIT:COUNT`` and ``HxW`` argument types, the sparse benchmarks' command
line, and the run-and-report step of the 2SEG and sparse preparations."""
import argparse
import os.path as osp
import re
import sys
from typing import Callable, List, Optional, Sequence, Tuple

from hfan.cli.arguments import add_flow_arg
from hfan.cli.report import CLIError
from hfan.flow.io import RAW_FLOW_FORMATS
from hfan.preparation.settings import (
    check_settings,
    flow_settings,
    output_settings,
)
from hfan.preparation.sparse_benchmarks import (
    GT_DIR,
    SparseVideo,
    write_sparse_videos,
)
from hfan.preparation.two_seg import (
    RAW_FLOW_DIR,
    VideoJob,
    WriteOptions,
    write_2seg_videos,
)
from hfan.utils.paths import check_output_not_input, check_writable_folder


def add_estimator_args(parser: argparse.ArgumentParser) -> None:
    """``--flow``, ``--dis-preset``, ``--raft-weights``, ``--device``,
    ``--workers``."""
    g = parser.add_argument_group('optical flow')
    add_flow_arg(g, help='flow estimator: OpenCV DIS (default, CPU) or '
                 'RAFT-large (see --raft-weights)')
    g.add_argument('--dis-preset', default='medium',
                   choices=['ultrafast', 'fast', 'medium'],
                   help='DIS preset (default: medium)')
    g.add_argument('--raft-weights', metavar='PATH',
                   help='RAFT: the original raft-things.pth (the published '
                   "data's weights; runs without torchvision) or a "
                   "torchvision raft_large state_dict (.pth); default: "
                   "torchvision's Raft_Large_Weights.C_T_V2, downloaded on "
                   'first use')
    g.add_argument('--device', default=None,
                   help='RAFT: torch device (default: cuda if available)')
    parser.add_argument('--workers', type=int, default=1, metavar='N',
                        help='processes working on videos in parallel '
                        '(default: 1)')


def add_output_args(parser: argparse.ArgumentParser) -> None:
    """``--save-raw-flow``, ``--jpeg-quality`` and ``--no-progress``."""
    parser.add_argument('--save-raw-flow', choices=list(RAW_FLOW_FORMATS),
                        help='also write the raw flows to '
                        f'OUT/{RAW_FLOW_DIR}/<split>/ (.npy or Middlebury '
                        '.flo)')
    parser.add_argument('--jpeg-quality', type=int, default=95,
                        help='JPEG quality of the colour-coded flows '
                        '(default: 95, as cv2.imwrite)')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar')


def report_plan(stats) -> None:
    """The ``on_plan`` of a convert loop: how many videos are left to do."""
    print(f'{stats.videos} videos, {stats.skipped} already complete',
          file=sys.stderr)


def flow_spec(args: argparse.Namespace) -> Tuple[str, dict]:
    """``(name, kwargs)`` for :func:`hfan.flow.build_flow_estimator` from
    the options of :func:`add_estimator_args`."""
    if args.flow == 'dis':
        if args.raft_weights:
            raise CLIError('--raft-weights needs --flow raft')
        return 'dis', {'preset': args.dis_preset}
    if args.raft_weights:
        if not osp.isfile(args.raft_weights):
            raise CLIError(f'RAFT weights not found: {args.raft_weights}')
        from hfan.flow.raft import read_raft_weights
        read_raft_weights(args.raft_weights)  # a wrong file: before any work
    return 'raft', {'weights': args.raft_weights, 'device': args.device}


def run_settings(args: argparse.Namespace, flow: Optional[str],
                 flow_kwargs: Optional[dict], **extra) -> dict:
    """The settings recorded in (and checked against) the output root
    (:mod:`hfan.preparation.settings`): the flow estimator's (``flow``
    ``None``: no flow is computed), the output options of
    :func:`add_output_args` and ``extra`` (generator settings)."""
    settings = {} if flow is None else dict(
        flow_settings(flow, flow_kwargs), **output_settings(
            write_options(args)))
    settings.update(extra)
    return settings


def check_output_root(out: str, sources=()) -> None:
    """Refuse, before any work, an output root that is, or lies under, a
    regular file, or that is, lies inside or contains one of ``sources``
    (``(label, path)`` pairs; ``None`` paths are skipped)."""
    check_writable_folder(out, 'OUT')
    check_output_not_input(out, 'OUT', sources, containing=True)


def write_options(args: argparse.Namespace) -> WriteOptions:
    """The :class:`WriteOptions` of ``args.out`` and
    :func:`add_output_args`."""
    return WriteOptions(args.out, args.save_raw_flow, args.jpeg_quality)


def split_count_arg(text: str) -> Tuple[str, int]:
    """argparse type of ``SPLIT:COUNT`` (e.g. ``train:20``): ``(split,
    count)``. A split name holds no '_' (video names are ``<video>_<frame>``
    and generated videos carry the split in their name)."""
    name, sep, count = text.partition(':')
    if not (sep and name and count.isdigit() and '_' not in name):
        raise argparse.ArgumentTypeError(
            f'expected SPLIT:COUNT (e.g. train:20), got {text!r}')
    return name, int(count)


def size_arg(text: str) -> Tuple[int, int]:
    """argparse type of a frame size ``HxW`` of at least 32x32: ``(h, w)``."""
    h, sep, w = text.lower().partition('x')
    if not (sep and h.isdigit() and w.isdigit() and int(h) >= 32
            and int(w) >= 32):
        raise argparse.ArgumentTypeError(
            f'expected HxW of at least 32x32 (e.g. 192x256), got {text!r}')
    return int(h), int(w)


def check_splits(parser: argparse.ArgumentParser,
                 splits: Sequence[Tuple[str, int]]) -> None:
    """A usage error when a split is named twice in ``--splits``."""
    if len({s for s, _ in splits}) != len(splits):
        parser.error('a split is named twice in --splits')


def prepare_2seg(args: argparse.Namespace,
                 make_jobs: Callable[[], Sequence[VideoJob]],
                 desc: str, sources: Sequence[Tuple[str, Optional[str]]] = (),
                 extra_settings: Optional[dict] = None) -> int:
    """The run of ``prepare_davis.py`` and ``prepare_youtube.py``:
    ``make_jobs()`` lists the videos, ``args`` carries the estimator and
    output options and ``--out`` / ``--no-progress``, ``sources`` the input
    folders (``(label, path)``) the output root must stay clear of,
    ``extra_settings`` what else changes the outputs (recorded and checked
    on resume with the flow and output options); the counts go to
    stderr."""
    check_output_root(args.out, sources)
    flow, flow_kwargs = flow_spec(args)
    settings = run_settings(args, flow, flow_kwargs,
                            **(extra_settings or {}))
    # before listing the inputs: other settings may name other inputs
    # (another --resolution), and the mismatch is the thing to report
    check_settings(args.out, settings)
    stats = write_2seg_videos(
        make_jobs(),
        write_options(args),
        flow=flow,
        flow_kwargs=flow_kwargs,
        workers=args.workers,
        progress=not args.no_progress,
        desc=desc,
        settings=settings)
    print(f'{stats.videos} videos ({stats.skipped} already complete), '
          f'{stats.files} files written under {args.out}', file=sys.stderr)
    return 0


def build_sparse_parser(prog: str, description: str,
                        root_help: str) -> argparse.ArgumentParser:
    """The command line the three sparse benchmark commands share."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help=root_help)
    parser.add_argument('out', help='output root (2SEG layout + gt/)')
    parser.add_argument('--split', default='val',
                        help="output split folder (default: val, infer.py's "
                        'default --split)')
    parser.add_argument('--videos', default=None, metavar='A,B',
                        help='prepare only these videos (default: all)')
    add_estimator_args(parser)
    add_output_args(parser)
    return parser


def video_list(text: Optional[str]) -> Optional[List[str]]:
    """``--videos a,b`` -> ``['a', 'b']`` (None stays None)."""
    if text is None:
        return None
    names = [n.strip() for n in re.split(r'[,\s]+', text) if n.strip()]
    if not names:
        raise CLIError(f'no video names in --videos {text!r}')
    return names


def prepare_sparse(args: argparse.Namespace,
                   list_videos: Callable[[], Sequence[SparseVideo]],
                   desc: str) -> int:
    """The run of the sparse benchmark commands (the options of
    :func:`build_sparse_parser`); the counts go to stderr."""
    check_output_root(args.out, [
        ('ROOT', args.root),
        ('--frames-root', getattr(args, 'frames_root', None))])
    try:
        flow, flow_kwargs = flow_spec(args)
        settings = run_settings(args, flow, flow_kwargs)
        # before listing: YouTube-Objects writes its class map there
        check_settings(args.out, settings)
        videos = list_videos()
        stats = write_sparse_videos(
            videos, write_options(args), flow=flow, flow_kwargs=flow_kwargs,
            workers=args.workers, progress=not args.no_progress, desc=desc,
            settings=settings)
    except OSError as e:  # e.g. the output root is under a file
        raise CLIError(f'cannot write under {args.out}: {e}') from e
    annotated = sum(len(v.gt) for v in videos)
    print(f'{stats.videos} videos ({stats.skipped} already complete), '
          f'{annotated} annotated frames, {stats.files} files '
          f'written under {args.out}; ground truth in '
          f'{osp.join(args.out, GT_DIR)}', file=sys.stderr)
    return 0
