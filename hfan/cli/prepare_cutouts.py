"""Gather still images with a foreground mask into one object cut-out set
(issue 31, "objectness").

    python tools/prepare_cutouts.py ROOT [ROOT ...] OUT [--max-items N]
    python tools/prepare_cutouts.py data/DAVSOD data/weizmann \\
        data/clothing-co-parsing data/Human-Segmentation-Dataset \\
        data/cutouts

Each ROOT is one of four layouts, told apart by its folders:

  duts       DUTS-TR as in the DAVSOD repository:
             Training-Datasets/DUTS-train/img/part_000/*.jpg with
             .../gt/part_000/*.png (same stem, same size, 8-bit, > 127 is
             foreground); or a folder holding img/ and gt/ directly
  weizmann   weizmann_horse_db/rgb/horseNNN.jpg with
             weizmann_horse_db/figure_ground/horseNNN.jpg (JPEG masks,
             > 127; resized to the image, aspect ratio within 2%); or the
             weizmann_horse_db folder itself
  ccp        Clothing Co-Parsing: photos/NNNN.jpg with
             annotations/pixel-level/NNNN.mat (groundtruth > 0 is
             foreground); only annotated photos are items
  human-seg  Training_Images/N.jpg with Ground_Truth/N.png (resized to the
             image like weizmann's)

Writes OUT/images/<source>_<stem>.jpg (JPEG quality 95), OUT/masks/
<source>_<stem>.png (0/255, the image's size), OUT/records/<id>.json (one
per item) and OUT/index.json (id, source, licence, the original paths
relative to the root, size, foreground fraction per item). Items whose mask
is empty or covers more than 95% of the image are skipped and counted. A
second run skips the complete items; OUT must not be, lie in or contain a
ROOT.
"""
import argparse
import sys
from typing import List, Optional

from hfan.cli.report import run_cli
from hfan.preparation.cutouts import prepare_cutouts

PROG = 'prepare_cutouts.py'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('roots', nargs='+', metavar='ROOT',
                        help='a dataset folder of one of the layouts above')
    parser.add_argument('out', metavar='OUT', help='output root')
    parser.add_argument('--max-items', type=int, default=None, metavar='N',
                        help='the first N pairs of each root (default: all)')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar')
    return parser


def _report_plan(pairs: int, complete: int) -> None:
    print(f'{pairs} pairs, {complete} already done', file=sys.stderr)


def _main(argv: Optional[List[str]]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.max_items is not None and args.max_items < 1:
        parser.error(f'--max-items: expected N >= 1, got {args.max_items}')
    stats = prepare_cutouts(args.roots, args.out, max_items=args.max_items,
                            progress=not args.no_progress,
                            on_plan=_report_plan)
    sources = ', '.join(f'{k}: {v}' for k, v in sorted(
        stats.per_source.items())) or 'none'
    print(f'{stats.written} items read in this run, {stats.complete} '
          f'already done; skipped {stats.skipped_empty} with an empty mask '
          f'and {stats.skipped_full} covering > 95%; in {args.out}/'
          f'index.json: {sources}', file=sys.stderr)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Prepare the cut-outs; 0 on success, 1 for a missing or unreadable
    input (named), 2 for a usage error."""
    return run_cli(_main, argv, PROG)
