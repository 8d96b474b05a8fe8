"""``infer.py``: segment videos with a trained HFAN model and write the
masks (:func:`hfan.infer.run`).

:func:`build_parser` is the command line, :func:`parse_options` turns it
into an :class:`~hfan.infer.InferenceOptions`, :func:`print_summary`
prints where the results are.
"""
import argparse
import os
import os.path as osp
from dataclasses import fields
from typing import Any, Dict, Optional, Sequence, Tuple

from hfan.apis.inference import BACKENDS
from hfan.cli.arguments import (
    OVERLAY_CHOICES,
    add_cfg_options,
    add_device_arg,
    add_flow_arg,
    add_trust_checkpoint_arg,
)
from hfan.cli.report import run_cli
from hfan.flow.video_flow import FLOW_DIRECTIONS
from hfan.infer import InferenceOptions, run
from hfan.infer.options import CPU_BF16_CHOICES, check_options

PROG = 'infer.py'

#: What ``infer.py --help`` says after the options: inputs, outputs, resume.
USAGE = """\
Inputs (--input, or its alias --video):

    clip.mp4 (.avi .mov .mkv .webm ...)  a video file, decoded frame by frame
                                         (never held in memory as a whole)
    frames/                              a folder of images (.jpg .png ...),
                                         frames in natural order of names
    data/DAVIS2SEG                       a 2SEG root: frame/<split>/<video>_
                                         <00000>.jpg + flow/<split>/... (the
                                         flow t -> t+1, published layout)
    (none)                               the config's test set (data_root +
                                         data_prefix of test_dataloader)

Several video files or frame folders may follow --input: they are segmented
in one run (the model is loaded once), e.g. every DAVIS-16 val video:

    python infer.py ... --input $(python tools/davis_videos.py data/DAVIS val)

For a video file or a frame folder the optical flow is computed on the fly
by the data pipeline's estimator (--flow: dis, OpenCV DIS, the default; raft,
RAFT-large with the original raft-things.pth or torchvision's weights), \
with the published rule: frame t gets the flow t -> t+1,
the last frame t -> t-1. With --flow-directions both (the default of
configs that set test_flow_directions = 'both', such as the demo model's)
each frame is segmented twice, with t -> t+1 and with the reversed backward
flow -(t -> t-1), and the two probabilities are averaged: about twice the
model and flow time. A 2SEG root brings its own forward flows and is
segmented with them alone. The video's name is the file name without its
extension (clip.mp4 -> clip) or the folder's name; its frames are numbered
00000, 00001, ... in order.

Output, for every kind of input (the first three as the published infer.py
writes them):

    <output_dir>/<video>_<00000>.png           palette PNG, object red
    <output_dir>-DAVIS-16/<video>/<00000>.png  0/255, what the DAVIS tools read
    <output_dir>-prob/<video>/<00000>.png      foreground probability x 255
                                               (--save-prob; for VSOD)
    <output_dir>-overlay/<video>.mp4           the frames with the mask tinted
                                               red and outlined (--overlay;
                                               default mp4 for a video file or
                                               frame folder, none for 2SEG
                                               roots and the config's test set)

so tools/eval_vos.py reads <output_dir>-DAVIS-16 whatever the input was.
These folders must be apart from every input: an --output_dir that is,
is inside, or contains an input file or folder is refused (the masks would
overwrite PNG frames named like them, or be read back as frames). A frame
folder that holds masks of an earlier run anyway (with its run record
.hfan_infer.json) is read without them: the files named <video>_<digits>.png
for the videos of that record are left out, with a warning.

A video file or frame folder of one frame is refused: HFAN segments the
object that moves, from the optical flow between frames, and one frame has
no motion. Frames too small for DIS flow (below 8 pixels on a side, or
below 12 on both) are refused before any work, naming the input.

A run can be stopped at any time and started again with the same command:
frames whose outputs all exist are skipped (every PNG is written under a
temporary name and renamed, so none is ever half-written). The overlay is
written last, from the masks on disk, once every frame of the video has its
mask; it too appears under its name only when complete. The settings of
the run are kept in ``<output_dir>/.hfan_infer.json``, by content: the
SHA-256 of the checkpoint (and of --raft-weights / --onnx files), a digest
of the config's model and test pipeline after --cfg-options (test scale,
sliding windows), and the options that change masks (--aug-test, --fp16,
--cpu-bf16, --backend, --flow, --flow-directions, a --device other than the
CPU); with them the identity
of each video's input (file sizes and the contents of its first and last
frames) and the settings each video was segmented with. Resuming after any
of these changed (a checkpoint or config edited in place included), or with
another input of the same video name, is refused, naming what changed;
start fresh with --overwrite or another --output_dir. --overwrite for one
video leaves the other videos' masks marked with their own settings. The
output folders and the record are created with the first mask: a run that
fails before it leaves nothing behind.

Exit status: 0 on success; 1 with a message naming the file for a bad input
(unreadable or empty video, empty, truncated or damaged image -- a JPEG
that libjpeg reports as "Corrupt JPEG data" --, folder without images or
with frames of mixed sizes, one frame, frames too small), a missing or
unreadable config/checkpoint (a config's Python error with its file and
line), a damaged run record, a refused resume or an output that cannot be
written or that overlaps an input; 2 for an option value that cannot be
used (--max-frames 0, --fps nan). HFAN_DEBUG=1
shows the traceback of an error.
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``infer.py`` command line."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description='Segment the primary moving object of videos with HFAN\n'
        'and write per-frame masks.',
        epilog=USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', required=True, help='config file')
    parser.add_argument(
        '--checkpoint',
        required=True,
        help='weights: a checkpoint of this project or a released one '
        '(HFAN-s-converted.pth, ...)')
    parser.add_argument(
        '--output_dir',
        '--output-dir',
        dest='output_dir',
        required=True,
        help='folder of the <video>_<frame>.png masks; <output_dir>-DAVIS-16, '
        '<output_dir>-prob and <output_dir>-overlay are written beside it')
    parser.add_argument(
        '--input',
        '--video',
        dest='input',
        metavar='PATH',
        nargs='+',
        help='a video file (.mp4 .avi .mov ...), a folder of frame images, '
        'or a DAVIS2SEG-style root holding frame/<split>/ and flow/<split>/ '
        "(default: the config's test set); several video files or frame "
        'folders are segmented in one run')
    parser.add_argument(
        '--split', default='val', help='split folder under a DAVIS2SEG-style '
        '--input (default: val)')
    add_flow_arg(
        parser,
        help='optical flow estimator for a video file or frame folder: dis '
        '(OpenCV DIS, CPU, default) or raft (RAFT-large, as the published '
        'data)')
    parser.add_argument(
        '--flow-directions',
        choices=FLOW_DIRECTIONS,
        default=None,
        help='for a video file or frame folder: forward (the published rule, '
        'one flow a frame) or both (t -> t+1 and -(t -> t-1), probabilities '
        "averaged; about 2x slower). Default: the config's "
        "test_flow_directions, else forward")
    parser.add_argument(
        '--raft-weights',
        metavar='PATH',
        help='--flow raft: the original raft-things.pth (the published '
        "data's weights; no torchvision needed) or a state_dict of "
        "torchvision's raft_large (default: torchvision's C_T_V2 weights, "
        'which it downloads)')
    parser.add_argument(
        '--overlay',
        choices=OVERLAY_CHOICES,
        default=None,
        help='also write <output_dir>-overlay/<video>.<format>: the frames '
        'with the mask tinted red and outlined (mp4: MPEG-4, plays in media '
        'players; webm: VP9, plays in browsers; gif: downscaled, at most '
        '--gif-max-frames frames). Default: mp4 for a video file or frame '
        'folder, none otherwise')
    parser.add_argument(
        '--gif-max-frames', type=int, default=120,
        help='--overlay gif: keep at most this many frames (every n-th '
        'frame of a longer video; default: 120)')
    parser.add_argument(
        '--fps', type=float, default=10.0,
        help='frame rate of the overlay for a frame folder or a 2SEG root, '
        "which have none (a video file's own rate is used; finite, > 0; "
        'default: 10)')
    parser.add_argument(
        '--aug-test',
        action='store_true',
        help='multi-scale + flip test (ratios 0.75/1.0/1.75, probabilities '
        'averaged), as published')
    add_trust_checkpoint_arg(parser)
    parser.add_argument(
        '--fp16',
        action='store_true',
        help='CUDA float16 autocast, as the published numbers were computed '
        '(CUDA only)')
    parser.add_argument(
        '--cpu-bf16',
        choices=CPU_BF16_CHOICES,
        default='auto',
        help='on the CPU, run the model under bfloat16 autocast (faster, '
        'masks nearly those of float32: docs/benchmarks.md). auto '
        '(default): $HFAN_CPU_BF16 if set, else on where the CPU has native '
        'bf16 (AVX512-BF16, AMX) and the backend is torch; off: float32')
    parser.add_argument(
        '--backend',
        choices=BACKENDS,
        default='torch',
        help='what computes the logits: torch (PyTorch, default) or '
        'onnxruntime (the model exported to ONNX, cached in '
        '~/.cache/hfan/onnx, run by ONNX Runtime in float32)')
    parser.add_argument(
        '--onnx',
        metavar='FILE',
        help='--backend onnxruntime: an exported file (tools/export_onnx.py) '
        'instead of the cache; refused unless exported from --checkpoint')
    add_device_arg(parser)
    parser.add_argument(
        '--save-prob',
        action='store_true',
        help='also write foreground probabilities as 8-bit PNGs to '
        '<output_dir>-prob/<video>/<frame>.png (needed for VSOD metrics)')
    parser.add_argument(
        '--batch-size', type=int, default=1,
        help='frames per forward pass (default: 1)')
    parser.add_argument(
        '--model-workers', type=int, default=None, metavar='N',
        help='forward passes run at once, each in its own thread with an '
        'equal share of the CPU threads (default: 2 on a CPU with the torch '
        'backend, where two side by side keep the cores busier than one; '
        'else 1). The masks are the same up to float rounding (10 of 564 M '
        'pixels on DAVIS-16 val)')
    parser.add_argument(
        '--workers', type=int, default=2,
        help='threads encoding and writing PNGs (0: in the main thread; '
        'default: 2)')
    parser.add_argument(
        '--max-frames', type=int, default=None,
        help='stop after segmenting this many frames, >= 1 (a later run '
        'resumes)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='segment every frame again, even those already written, and '
        'even if the output dir holds results of other settings')
    add_cfg_options(
        parser,
        help='override config values, e.g. model.test_cfg.mode=whole '
        '(--options is the published spelling)')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar')
    return parser


def option_flag(field: str, value: Any = None) -> str:
    """A field of :class:`~hfan.infer.InferenceOptions` as the command line
    names it: ``--batch-size``, ``--backend onnxruntime``."""
    flag = '--' + field.replace('_', '-')
    return flag if value is None or value is True else f'{flag} {value}'


def parse_options(
        argv: Optional[Sequence[str]] = None
) -> Tuple[InferenceOptions, argparse.Namespace]:
    """The options of the command line ``argv`` (default: ``sys.argv``)
    and the parsed namespace (``no_progress``). A value that a run cannot
    use is a usage error (exit status 2)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_options(args, spell=option_flag)
    except ValueError as err:
        parser.error(str(err))
    options = InferenceOptions(
        **{f.name: getattr(args, f.name)
           for f in fields(InferenceOptions)})
    return options, args


def print_summary(stats: Dict[str, Any]) -> None:
    """Print what :func:`hfan.infer.run` did and where the results are."""
    both = (', flow in both directions'
            if stats['flow_directions'] == 'both' else '')
    print(f"Segmented {stats['frames']} frames in {stats['seconds']:.1f} s "
          f"({stats['fps']:.2f} frames/s{both}, model: {stats['runtime']}); "
          f"{stats['skipped']} of "
          f"{stats['total']} were already written.")
    print(f"Masks: {stats['output_dir']}  archive: {stats['archive_dir']}" +
          (f"  probabilities: {stats['prob_dir']}"
           if stats['prob_dir'] else ''))
    if len(stats['videos']) == 1:
        video = stats['videos'][0]
        print(f"Masks of {video} (0/255): "
              f"{osp.join(stats['archive_dir'], video)}{os.sep}")
    overlays = {**stats['overlays_kept'], **stats['overlays']}
    for video, path in overlays.items():
        note = '' if video in stats['overlays'] else ' (already written)'
        print(f'Overlay of {video}: {path}{note}')
    pending = stats['overlays_pending']
    if pending:
        names = ', '.join(pending[:5]) + (', ...' if len(pending) > 5 else '')
        print(f'No overlay yet for {len(pending)} video(s) with frames left '
              f'to segment ({names}): run the same command again to finish '
              'them.')


def _main(argv: Optional[Sequence[str]] = None) -> int:
    options, args = parse_options(argv)
    print_summary(run(options, progress=not args.no_progress))
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command line; returns the exit status. Every error is reported
    as ``infer.py: error: <message>`` on stderr with status 1
    (:func:`hfan.cli.report.run_cli`; ``HFAN_DEBUG=1`` shows tracebacks)."""
    return run_cli(_main, argv, PROG)
