"""Segment videos with a trained HFAN model and write the masks.

    python infer.py --config CONFIG --checkpoint CHECKPOINT \\
        --output_dir OUT [--input VIDEO|FRAMES_DIR|DAVIS2SEG_ROOT ...] \\
        [--flow dis|raft] [--overlay mp4|webm|gif|none] [--save-prob] \\
        [--aug-test] [--fp16] [--options KEY=VALUE ...]

``python infer.py --help`` describes the inputs, the outputs and how a
stopped run resumes. The engine (input sources, run records, writers,
overlays, the run loop) is :mod:`hfan.infer`; this file parses the command
line, calls :func:`hfan.infer.run` and prints where the results are.

Exit status: 0 on success; 1 with a message naming the file for a bad
input, a missing config/checkpoint, a damaged run record or an output that
cannot be written. HFAN_DEBUG=1 shows the traceback of an error.
"""
import os
import os.path as osp
import sys

from hfan.infer import parse_args, run
from hfan.cli.report import run_cli


def main(argv=None) -> int:
    """The command line; returns the exit status. Every error is reported
    as ``infer.py: error: <message>`` on stderr with status 1
    (:func:`hfan.cli.report.run_cli`; ``HFAN_DEBUG=1`` shows tracebacks)."""
    return run_cli(_main, argv, 'infer.py')


def _main(argv=None) -> int:
    args = parse_args(argv)
    stats = run(args, progress=not args.no_progress)
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
    return 0


if __name__ == '__main__':
    sys.exit(main())
