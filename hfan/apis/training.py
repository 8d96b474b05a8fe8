"""How a training run is set up from its config, before and after the
Runner is built: the work dir, the randomness, mixed precision, what to
resume or load from (stage 2 starts from stage 1's last checkpoint), the
TensorBoard backend, and a strict check of ``load_from``.

What ``tools/train.py`` does, in the order it does it::

    cfg = load_config(config_path, cfg_options)
    prepare_train_config(cfg, config_path=config_path, resume=True)
    check_data_roots(cfg)                 # hfan.apis.launch
    init_cpu_distributed(cfg.launcher)
    runner = Runner.from_cfg(cfg)
    check_load_from(runner, cfg)
    runner.train()
"""
import importlib.util
import os.path as osp
from typing import Optional, Union

from mmengine.config import Config
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner, find_latest_checkpoint

from hfan.models.checkpoint import check_checkpoint_file, load_hfan_checkpoint
from hfan.utils.errors import HFANError

from .launch import configure_cpu_distributed, set_work_dir


def prepare_train_config(cfg: Config,
                         *,
                         config_path: str,
                         work_dir: Optional[str] = None,
                         launcher: str = 'none',
                         resume: Union[bool, str] = False,
                         auto_resume: bool = False,
                         load_from: Optional[str] = None,
                         amp: bool = False,
                         seed: Optional[int] = None,
                         deterministic: bool = False) -> Config:
    """Set up ``cfg`` (in place) for mmengine's ``Runner.from_cfg``.

    Args:
        cfg: the loaded config (:func:`hfan.apis.load_config`).
        config_path: the config file; names the default work dir
            ``./work_dirs/<config name>``.
        work_dir: where logs and checkpoints go (else the config's, else
            the default above).
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        resume: ``True``: resume from the latest checkpoint of the work dir,
            which must exist (unless ``auto_resume``); a path: resume from
            that checkpoint; ``False``: start fresh.
        auto_resume: resume from the latest checkpoint of the work dir if
            there is one, else start fresh (mmengine's behaviour).
        load_from: initialise the model from this checkpoint (no optimizer
            state); a stage-2 config's default is stage 1's checkpoint in
            the work dir (:func:`find_stage1_checkpoint`).
        amp: automatic mixed precision (``AmpOptimWrapper``, dynamic loss
            scale); needs CUDA (:func:`check_amp_device`).
        seed: ``randomness.seed``.
        deterministic: ``randomness.deterministic``.

    Returns:
        ``cfg``.

    Raises:
        HFANError: ``amp`` without CUDA, nothing to resume from.
        FileNotFoundError: a ``load_from`` or stage-1 checkpoint that does
            not exist.
        CheckpointFileError: a checkpoint to resume or load from that is not
            one (text, truncated...).
    """
    cfg.launcher = launcher
    set_work_dir(cfg, work_dir, config_path)
    if seed is not None or deterministic:
        randomness = dict(cfg.get('randomness', {}))
        if seed is not None:
            randomness['seed'] = seed
        if deterministic:
            randomness['deterministic'] = True
        cfg.randomness = randomness
    if amp:
        check_amp_device()
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if load_from is not None:
        cfg.load_from = load_from
    if resume is True or auto_resume:
        cfg.resume = True
        if resume is True and not auto_resume:
            cfg.load_from = None  # latest checkpoint of the work dir
    elif resume:
        cfg.resume = True
        cfg.load_from = resume
    configure_cpu_distributed(cfg, broadcast_buffers=False)
    add_tensorboard_if_installed(cfg)
    find_stage1_checkpoint(cfg)
    check_resume(cfg, auto_resume=auto_resume)
    if cfg.get('load_from') and not cfg.get('resume'):
        if not osp.isfile(cfg.load_from):
            raise FileNotFoundError(
                f'load_from checkpoint {cfg.load_from} does not exist')
        check_checkpoint_file(cfg.load_from)
        # The checkpoint overwrites every weight: ImageNet initialisation
        # files (e.g. checkpoint/mit_b1.pth) are then neither read nor needed.
        drop_pretrained_init(cfg.model)
    return cfg


def find_stage1_checkpoint(cfg: Config) -> None:
    """Point a refine config's ``load_from`` at stage 1's last checkpoint.

    A stage-2 config names it in ``stage1_checkpoint`` (relative to the work
    dir, or absolute); nothing changes without that key or with a
    ``load_from`` already set. Both stages share the work dir, so before
    stage 2 has saved anything the work dir's latest checkpoint is stage
    1's: resuming from it would restore iteration 160k. In that case stage 2
    starts fresh from that checkpoint (``resume`` becomes False).

    Raises:
        FileNotFoundError: the stage-1 checkpoint does not exist.
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


def check_amp_device() -> None:
    """Mixed precision is mmengine's ``AmpOptimWrapper``, which runs on CUDA
    (or an NPU / MLU / MUSA device) only: say so at the top, not with an
    assertion once the datasets and the model are built.

    Raises:
        HFANError: there is no such device.
    """
    from mmengine.device import (
        is_cuda_available,
        is_mlu_available,
        is_musa_available,
        is_npu_available,
    )
    if not (is_cuda_available() or is_npu_available() or is_mlu_available()
            or is_musa_available()):
        raise HFANError(
            '--amp (automatic mixed precision) needs a CUDA GPU and there '
            'is none here; train without --amp on CPU')


def check_resume(cfg: Config, auto_resume: bool = False) -> None:
    """What ``cfg.resume`` would resume from must exist and be a checkpoint.

    mmengine's resume silently trains from scratch when the work dir has no
    checkpoint and says so a thousand log lines later; resuming from the
    work dir's latest checkpoint therefore stops here, at the top, unless
    ``auto_resume`` (resume if possible, else start fresh) was asked for.

    Raises:
        HFANError: nothing to resume from in the work dir.
        CheckpointFileError: the checkpoint is missing or not one.
    """
    if not cfg.get('resume'):
        return
    if cfg.get('load_from'):  # resume from a given checkpoint
        check_checkpoint_file(cfg.load_from)
        return
    latest = find_latest_checkpoint(cfg.work_dir) \
        if osp.isdir(cfg.work_dir) else None
    if latest is None or not osp.isfile(latest):
        if auto_resume:
            return  # start fresh, as asked
        raise HFANError(
            f'--resume: nothing to resume in {cfg.work_dir} (no checkpoint '
            'there). Run without --resume to start fresh, give --resume '
            'CHECKPOINT, or use --auto-resume (resume if possible, else '
            'start fresh).')
    check_checkpoint_file(latest)


def add_tensorboard_if_installed(cfg: Config) -> None:
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
    """Remove ``init_cfg=dict(type='Pretrained', ...)`` from a model cfg
    (a dict, nested dicts and lists are searched), in place."""
    if isinstance(node, dict):
        init = node.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            node['init_cfg'] = None
        for value in node.values():
            drop_pretrained_init(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            drop_pretrained_init(value)


def check_load_from(runner: Runner, cfg: Config, strict: bool = True) -> None:
    """Fail early and clearly if ``load_from`` does not fit the model.

    mmengine loads ``load_from`` with ``strict=False`` (a wrong checkpoint
    only warns); this loads it strictly once, which converts the published
    layout and names the missing/unexpected keys and the likely cause.
    ``strict=False`` loads what matches and logs the rest. Nothing is done
    without ``load_from`` or when resuming.

    Raises:
        CheckpointMismatchError: ``strict`` and the keys or shapes differ.
    """
    if not cfg.get('load_from') or cfg.get('resume'):
        return
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    load_hfan_checkpoint(model, cfg.load_from, strict=strict)
