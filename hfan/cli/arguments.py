"""The options that several commands share, defined once: config overrides
(``--cfg-options``), ``--trust-checkpoint``, the launcher, the flow
estimator, the overlay format and the device."""
import argparse
import os

from mmengine.config import DictAction

from hfan.flow import FLOW_ESTIMATORS
from hfan.io.video import VIDEO_FORMATS

#: ``--overlay`` choices: a video format, or none.
OVERLAY_CHOICES = tuple(VIDEO_FORMATS) + ('none', )

CFG_OPTIONS_HELP = ('override config values, e.g. '
                    'model.decode_head.select_method=im '
                    'davis_root=/data/DAVIS2SEG; every key must exist, a '
                    'leading + adds a new last key, ++ a new dict and its '
                    'key (--options is the published spelling)')


class CfgOptionsAction(DictAction):
    """mmengine's ``DictAction``, with a usage error (not a ``ValueError``
    traceback) for an item that is not ``KEY=VALUE``."""

    def __call__(self, parser, namespace, values, option_string=None):
        for item in values or []:
            key, sep, _ = item.partition('=')
            if not sep or not key:
                # One line, without argparse's multi-line usage block.
                parser.exit(
                    2, f'{parser.prog}: error: {option_string} {item!r}: '
                    'expected KEY=VALUE, e.g. '
                    'model.decode_head.select_method=im\n')
        super().__call__(parser, namespace, values, option_string)


def add_cfg_options(parser: argparse.ArgumentParser,
                    help: str = CFG_OPTIONS_HELP) -> None:
    """``--cfg-options`` (MMSeg 1.x) with ``--options`` (published) alias."""
    parser.add_argument(
        '--cfg-options',
        '--options',
        nargs='+',
        action=CfgOptionsAction,
        dest='cfg_options',
        help=help)


def add_trust_checkpoint_arg(parser: argparse.ArgumentParser) -> None:
    """``--trust-checkpoint``: what the tools that load a model pass as
    ``trust=`` to :func:`hfan.models.checkpoint.read_checkpoint`."""
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='load a checkpoint that weights-only loading refuses (it holds '
        'pickled Python objects; unpickling can run code): only for '
        'files you trust. Better: convert it once with '
        'tools/convert_checkpoint.py SRC OUT --trust-checkpoint')


def add_launcher_args(parser: argparse.ArgumentParser, script: str) -> None:
    """``--launcher`` and the ``--local_rank`` that old launchers pass."""
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help=f'job launcher ({script} passes pytorch)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def export_local_rank(args: argparse.Namespace) -> None:
    """mmengine reads LOCAL_RANK from the environment (torchrun sets it)."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))


def add_flow_arg(parser: argparse.ArgumentParser, help: str) -> None:
    """``--flow``: one of the registered estimators (default dis)."""
    parser.add_argument(
        '--flow', default='dis', choices=sorted(FLOW_ESTIMATORS), help=help)


def add_device_arg(parser: argparse.ArgumentParser) -> None:
    """``--device`` (default: cuda:0 when available, else cpu)."""
    parser.add_argument(
        '--device',
        default=None,
        help='cpu, cuda, cuda:1, ... (default: cuda:0 if available, else cpu)')
