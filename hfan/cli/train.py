"""``tools/train.py``: train an HFAN model with MMSeg 1.x / mmengine
(stage 1 ``*.160k.py`` or stage 2 ``*.refine.py``), Config -> Runner as
MMSeg's tools/train.py; the setup is :mod:`hfan.apis.training`, the Runner
:class:`hfan.engine.WeightsOnlyRunner` (every checkpoint read weights-only
unless ``--trust-checkpoint``)."""
import argparse
import logging

from mmengine.logging import print_log

from hfan.apis import load_config
from hfan.apis.launch import check_data_roots, init_cpu_distributed
from hfan.apis.training import check_load_from, prepare_train_config
from hfan.cli.arguments import (
    add_cfg_options,
    add_launcher_args,
    add_trust_checkpoint_arg,
    export_local_rank,
)
from hfan.cli.report import run_cli
from hfan.engine import WeightsOnlyRunner


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='train.py',
        description='Train an HFAN model (stage 1 *.160k.py or stage 2 '
        '*.refine.py).')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--work-dir',
        help='where logs and checkpoints go (default: '
        './work_dirs/<config name>)')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        default=None,
        metavar='CHECKPOINT',
        help='resume training: from CHECKPOINT, or (no value) from the '
        'latest checkpoint in the work dir itself (the one its '
        'last_checkpoint names if that is in the work dir, else the '
        'highest iter_*.pth / epoch_*.pth); stops with an error when there '
        'is none (see --auto-resume)')
    parser.add_argument(
        '--auto-resume',
        action='store_true',
        help="resume from the latest checkpoint in the work dir if any, "
        "else start fresh (mmengine's behaviour)")
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='start fresh in a work dir that holds checkpoints of another '
        'run, replacing those this run saves again (without it such a run '
        'is refused; stage 2 in stage 1\'s work dir needs no flag)')
    parser.add_argument(
        '--load-from',
        help='initialise the model from this checkpoint (no optimizer '
        'state); for *.refine.py it defaults to the stage-1 checkpoint in '
        'the work dir')
    parser.add_argument(
        '--non-strict-load',
        action='store_true',
        help='let load_from miss keys or hold extra ones (e.g. start a '
        "`base` variant from an `hfan` model: the fusion modules' weights "
        'are unused); the unmatched keys are listed in the log. By default '
        'load_from must fit the model exactly')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision (CUDA)')
    parser.add_argument('--seed', type=int, help='random seed (published: '
                        '1208)')
    parser.add_argument(
        '--deterministic',
        action='store_true',
        help='deterministic CUDNN/torch algorithms')
    add_trust_checkpoint_arg(parser)
    add_cfg_options(parser)
    add_launcher_args(parser, 'dist_train.sh')
    return parser


def _main(argv=None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.overwrite and (args.resume or args.auto_resume):
        parser.error('--overwrite (start fresh) and --resume / '
                     '--auto-resume (continue) exclude each other')
    export_local_rank(args)
    cfg = load_config(args.config, args.cfg_options)
    # --resume without a value: the latest checkpoint of the work dir
    resume = True if args.resume == 'auto' else (args.resume or False)
    prepare_train_config(
        cfg,
        config_path=args.config,
        work_dir=args.work_dir,
        launcher=args.launcher,
        resume=resume,
        auto_resume=args.auto_resume,
        load_from=args.load_from,
        amp=args.amp,
        seed=args.seed,
        deterministic=args.deterministic,
        overwrite=args.overwrite,
        trust_checkpoint=args.trust_checkpoint)
    # Before the Runner prints its banner and builds the datasets.
    check_data_roots(cfg)
    init_cpu_distributed(cfg.launcher)
    runner = WeightsOnlyRunner.from_cfg(
        cfg, trust_checkpoint=args.trust_checkpoint)
    check_load_from(runner, cfg, strict=not args.non_strict_load,
                    trust=args.trust_checkpoint)
    if cfg.resume:
        print_log(f'resuming from {cfg.load_from}', logger='current',
                  level=logging.INFO)
    runner.train()


def main(argv=None) -> int:
    """Train; errors as one or two lines, exit status 1 (``HFAN_DEBUG=1``
    shows the traceback), 2 for a usage error."""
    return run_cli(_main, argv, 'train.py')
