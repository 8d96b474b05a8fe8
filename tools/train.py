"""Train HFAN with MMSeg 1.x / mmengine.

Single process:   python tools/train.py CONFIG [--work-dir DIR]
Several GPUs:     bash tools/dist_train.sh CONFIG GPUS [--seed 1208 --deterministic]
(on a machine without GPUs dist_train.sh starts CPU processes on gloo).
"""
import argparse
import importlib.util
import logging
import os.path as osp
import sys

from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner, find_latest_checkpoint

import hfan  # noqa: F401  (registers the plugin)
from hfan.apis import load_config, load_hfan_checkpoint
from hfan.models.checkpoint import check_checkpoint_file
from hfan.cli.arguments import (add_cfg_options, add_launcher_args, export_local_rank)
from hfan.utils.launch import (check_data_roots, configure_cpu_distributed, init_cpu_distributed, set_work_dir)
from hfan.cli.report import CLIError, run_cli


def parse_args(argv=None):
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
        'latest checkpoint in the work dir; stops with an error when there '
        'is none (see --auto-resume)')
    parser.add_argument(
        '--auto-resume',
        action='store_true',
        help="resume from the latest checkpoint in the work dir if any, "
        "else start fresh (mmengine's behaviour)")
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
    add_cfg_options(parser)
    add_launcher_args(parser, 'dist_train.sh')
    args = parser.parse_args(argv)
    export_local_rank(args)
    return args


def find_stage1_checkpoint(cfg) -> None:
    """Point a refine config's ``load_from`` at stage 1's last checkpoint.

    Both stages share the work dir, so before stage 2 has saved anything the
    work dir's latest checkpoint is stage 1's: resuming from it would restore
    iteration 160k. In that case stage 2 starts fresh from that checkpoint.
    """
    name = cfg.get('stage1_checkpoint')
    if not name or cfg.get('load_from'):
        return
    candidate = name if osp.isabs(name) else osp.join(cfg.work_dir, name)
    if cfg.get('resume'):
        latest = find_latest_checkpoint(cfg.work_dir)
        if latest is not None and osp.abspath(latest) != osp.abspath(
                candidate):
            return  # stage 2's own checkpoint to resume from
        cfg.resume = False
    if not osp.isfile(candidate):
        raise FileNotFoundError(
            f'stage 2 starts from stage 1\'s final checkpoint, but '
            f'{candidate} does not exist. Train the *.160k.py config into '
            f'the same --work-dir first, pass --load-from CHECKPOINT, or set '
            f'--cfg-options stage1_checkpoint=None to start from ImageNet '
            f'weights.')
    cfg.load_from = candidate


def build_config(args):
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    set_work_dir(cfg, args.work_dir, args.config)
    if args.seed is not None or args.deterministic:
        randomness = dict(cfg.get('randomness', {}))
        if args.seed is not None:
            randomness['seed'] = args.seed
        if args.deterministic:
            randomness['deterministic'] = True
        cfg.randomness = randomness
    if args.amp:
        check_amp_device()
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.load_from is not None:
        cfg.load_from = args.load_from
    if args.resume == 'auto' or args.auto_resume:
        cfg.resume = True
        if args.resume == 'auto' and not args.auto_resume:
            cfg.load_from = None  # latest checkpoint of the work dir
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    configure_cpu_distributed(cfg, broadcast_buffers=False)
    add_tensorboard_if_installed(cfg)
    find_stage1_checkpoint(cfg)
    check_resume(args, cfg)
    if cfg.get('load_from') and not cfg.get('resume'):
        if not osp.isfile(cfg.load_from):
            raise FileNotFoundError(
                f'load_from checkpoint {cfg.load_from} does not exist')
        check_checkpoint_file(cfg.load_from)
        # The checkpoint overwrites every weight: ImageNet initialisation
        # files (e.g. checkpoint/mit_b1.pth) are then neither read nor needed.
        drop_pretrained_init(cfg.model)
    return cfg


def check_amp_device() -> None:
    """``--amp`` is mmengine's ``AmpOptimWrapper``, which runs on CUDA (or
    an NPU / MLU / MUSA device) only: say so at the top, not with an
    assertion once the datasets and the model are built."""
    from mmengine.device import (is_cuda_available, is_mlu_available,
                                 is_musa_available, is_npu_available)
    if not (is_cuda_available() or is_npu_available() or is_mlu_available()
            or is_musa_available()):
        raise CLIError(
            '--amp (automatic mixed precision) needs a CUDA GPU and there '
            'is none here; train without --amp on CPU')


def check_resume(args, cfg) -> None:
    """What ``--resume`` would resume from must exist and be a checkpoint.

    mmengine's resume silently trains from scratch when the work dir has no
    checkpoint and says so a thousand log lines later; a plain ``--resume``
    therefore stops here, at the top, unless ``--auto-resume`` (resume if
    possible, else start fresh) was asked for.
    """
    if not cfg.get('resume'):
        return
    if cfg.get('load_from'):  # --resume PATH
        check_checkpoint_file(cfg.load_from)
        return
    latest = find_latest_checkpoint(cfg.work_dir) \
        if osp.isdir(cfg.work_dir) else None
    if latest is None or not osp.isfile(latest):
        if args.auto_resume:
            return  # start fresh, as asked
        raise CLIError(
            f'--resume: nothing to resume in {cfg.work_dir} (no checkpoint '
            'there). Run without --resume to start fresh, give --resume '
            'CHECKPOINT, or use --auto-resume (resume if possible, else '
            'start fresh).')
    check_checkpoint_file(latest)


def add_tensorboard_if_installed(cfg) -> None:
    """Log scalars to TensorBoard too (work_dir/<time>/vis_data) when the
    ``tensorboard`` package is installed; it is not a requirement."""
    if importlib.util.find_spec('tensorboard') is None:
        return
    visualizer = cfg.get('visualizer')
    if visualizer is None:
        return
    backends = list(visualizer.get('vis_backends') or [])
    if not any(b.get('type') == 'TensorboardVisBackend' for b in backends):
        visualizer['vis_backends'] = backends + [
            dict(type='TensorboardVisBackend')
        ]


def drop_pretrained_init(node) -> None:
    """Remove ``init_cfg=dict(type='Pretrained', ...)`` from a model cfg."""
    if isinstance(node, dict):
        init = node.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            node['init_cfg'] = None
        for value in node.values():
            drop_pretrained_init(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            drop_pretrained_init(value)


def check_load_from(runner, cfg, strict: bool = True) -> None:
    """Fail early and clearly if ``load_from`` does not fit the model.

    mmengine loads ``load_from`` with ``strict=False`` (a wrong checkpoint
    only warns); this loads it strictly once, which converts the published
    layout and names the missing/unexpected keys and the likely cause.
    ``strict=False`` (``--non-strict-load``) loads what matches and logs the
    rest.
    """
    if not cfg.get('load_from') or cfg.get('resume'):
        return
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    load_hfan_checkpoint(model, cfg.load_from, strict=strict)


def main(argv=None):
    """Train; raises on errors (see :func:`cli` for the command line)."""
    args = parse_args(argv)
    cfg = build_config(args)
    # Before the Runner prints its banner and builds the datasets.
    check_data_roots(cfg)
    init_cpu_distributed(cfg.launcher)
    runner = Runner.from_cfg(cfg)
    check_load_from(runner, cfg, strict=not args.non_strict_load)
    if cfg.resume and cfg.load_from is None:
        print_log(f'resuming from the latest checkpoint in {cfg.work_dir} '
                  '(if any)', logger='current', level=logging.INFO)
    runner.train()


def cli(argv=None) -> int:
    """The command line: errors as one or two lines, exit status 1
    (``HFAN_DEBUG=1`` shows the traceback)."""
    return run_cli(main, argv, 'train.py')


if __name__ == '__main__':
    sys.exit(cli())
