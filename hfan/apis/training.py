"""How a training run is set up from its config, before and after the
Runner is built: the work dir, the randomness, mixed precision, what to
resume or load from (stage 2 starts from stage 1's last checkpoint), the
TensorBoard backend, and a strict check of ``load_from``.

What ``tools/train.py`` does, in the order it does it::

    cfg = load_config(config_path, cfg_options)
    prepare_train_config(cfg, config_path=config_path, resume=True)
    check_data_roots(cfg)                 # hfan.apis.launch
    init_cpu_distributed(cfg.launcher)
    runner = WeightsOnlyRunner.from_cfg(cfg)   # hfan.engine
    check_load_from(runner, cfg)
    runner.train()

Every checkpoint a run reads (``--resume FILE``, the work dir's latest,
``load_from``, stage 1's) is read weights-only, here before the Runner is
built and again by :class:`hfan.engine.WeightsOnlyRunner` when it loads it;
a file that needs a full unpickling is refused unless trusted. Every
refusal here comes before anything is written to the work dir.
"""
import importlib.util
import logging
import os
import os.path as osp
import re
import warnings
from typing import List, Optional, Set, Union

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from hfan.models.checkpoint import (
    check_checkpoint_file,
    check_weights_only,
    load_hfan_checkpoint,
)
from hfan.utils.errors import HFANError
from hfan.utils.natural_sort import natural_key

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
                         deterministic: bool = False,
                         overwrite: bool = False,
                         trust_checkpoint: bool = False) -> Config:
    """Set up ``cfg`` (in place) for mmengine's ``Runner.from_cfg``.

    Args:
        cfg: the loaded config (:func:`hfan.apis.load_config`).
        config_path: the config file; names the default work dir
            ``./work_dirs/<config name>``.
        work_dir: where logs and checkpoints go (else the config's, else
            the default above).
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        resume: ``True``: resume from the latest checkpoint of the work dir
            (:func:`find_work_dir_checkpoint`: only a file in the work dir
            itself), which must exist (unless ``auto_resume``); a path:
            resume from that checkpoint; ``False``: start fresh.
        auto_resume: resume from the latest checkpoint of the work dir if
            there is one, else start fresh (mmengine's behaviour).
        load_from: initialise the model from this checkpoint (no optimizer
            state); a stage-2 config's default is stage 1's checkpoint in
            the work dir (:func:`find_stage1_checkpoint`).
        amp: automatic mixed precision (``AmpOptimWrapper``, dynamic loss
            scale); needs CUDA (:func:`check_amp_device`).
        seed: ``randomness.seed``.
        deterministic: ``randomness.deterministic``.
        overwrite: start fresh in a work dir that holds another run's
            checkpoints, replacing those this run saves again
            (:func:`check_work_dir_free`); not with ``resume`` /
            ``auto_resume``.
        trust_checkpoint: allow a checkpoint to resume or load from that
            only a full unpickling can read (it can run code); by default
            it is refused.

    Returns:
        ``cfg``; when resuming, ``cfg.load_from`` names the checkpoint.

    Raises:
        HFANError: ``amp`` without CUDA, nothing to resume from,
            ``overwrite`` with a resume, a work dir holding another run's
            checkpoints (:func:`check_work_dir_free`).
        FileNotFoundError: a ``load_from`` or stage-1 checkpoint that does
            not exist.
        CheckpointFileError: a checkpoint to resume or load from that is not
            one (text, truncated...).
        UntrustedCheckpointError: one that needs a full unpickling, and
            ``trust_checkpoint`` is False.
    """
    if overwrite and (resume or auto_resume):
        raise HFANError(
            '--overwrite starts a fresh run and --resume / --auto-resume '
            'continue one: give one of them')
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
    initial = None  # what a fresh start loads, if auto-resume finds nothing
    if resume and resume is not True:  # --resume FILE, whatever else
        cfg.resume = True
        cfg.load_from = resume
    elif resume is True or auto_resume:
        # Resume from the work dir's latest checkpoint. A load_from of the
        # config (e.g. the demo's stage 1b checkpoint) is what a fresh start
        # initialises from, never what to resume from: mmengine would
        # resume from it, restoring another run's iteration counter.
        initial = cfg.get('load_from')
        cfg.resume = True
        cfg.load_from = None
    configure_cpu_distributed(cfg, broadcast_buffers=False)
    add_tensorboard_if_installed(cfg)
    find_stage1_checkpoint(cfg)
    check_resume(cfg, auto_resume=auto_resume, trust=trust_checkpoint)
    if not cfg.get('resume') and initial is not None and \
            not cfg.get('load_from'):
        cfg.load_from = initial  # nothing to resume: start fresh from it
    if cfg.get('load_from') and not cfg.get('resume'):
        if not osp.isfile(cfg.load_from):
            raise FileNotFoundError(
                f'load_from checkpoint {cfg.load_from} does not exist')
        check_weights_only(cfg.load_from, trust=trust_checkpoint)
        # The checkpoint overwrites every weight: ImageNet initialisation
        # files (e.g. checkpoint/mit_b1.pth) are then neither read nor needed.
        drop_pretrained_init(cfg.model)
    check_work_dir_free(cfg, overwrite=overwrite)
    return cfg


#: the names mmengine's CheckpointHook gives checkpoints by default
CHECKPOINT_NAME = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')
MAX_NAMED = 6


def work_dir_checkpoints(work_dir: str) -> List[str]:
    """The ``iter_<n>.pth`` / ``epoch_<n>.pth`` files directly in
    ``work_dir``, in natural order of ``n`` (``iter_10`` after ``iter_9``);
    ``[]`` when there are none or the folder does not exist."""
    if not osp.isdir(work_dir):
        return []
    found = []
    for name in os.listdir(work_dir):
        match = CHECKPOINT_NAME.match(name)
        if match and osp.isfile(osp.join(work_dir, name)):
            found.append((int(match.group(1)), name))
    return [osp.join(work_dir, name) for _, name in sorted(found)]


def _directly_in(path: str, folder: str) -> bool:
    """Whether ``path`` lies directly in ``folder`` (links resolved)."""
    return osp.realpath(osp.dirname(osp.abspath(path))) == osp.realpath(
        folder)


def _named(paths: List[str]) -> str:
    """``a.pth, b.pth ... and 3 more``: the base names of ``paths``."""
    names = [osp.basename(p) for p in paths]
    shown = ', '.join(names[:MAX_NAMED])
    if len(names) > MAX_NAMED:
        shown += f' ... and {len(names) - MAX_NAMED} more'
    return shown


def _last_checkpoint(work_dir: str) -> Optional[str]:
    """The path the work dir's ``last_checkpoint`` file names (mmengine's
    CheckpointHook writes it after each save), or None."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker, encoding='utf-8', errors='replace') as f:
        return f.read().strip() or None


def find_work_dir_checkpoint(work_dir: str,
                             warn: bool = True) -> Optional[str]:
    """The checkpoint that resuming "from the work dir" continues from:
    one in ``work_dir`` itself, never one elsewhere.

    mmengine's ``find_latest_checkpoint`` returns whatever path the work
    dir's ``last_checkpoint`` file names. That file records where the run
    that wrote it saved (relative to its working directory): in a copied
    or moved work dir it names the original's checkpoint, and after a
    checkpoint was deleted it names a missing file. Here:

    * ``last_checkpoint`` naming an existing file in ``work_dir``: that
      file;
    * naming a file elsewhere: ignored, with a warning naming both (give
      that file to ``--resume FILE`` to continue from it);
    * naming a missing file, or no ``last_checkpoint``: the
      ``iter_<n>.pth`` / ``epoch_<n>.pth`` of ``work_dir`` with the
      largest ``n`` (a warning says so for a missing file).

    The file is not read here; a damaged one is refused by the caller
    (:func:`check_resume`), never replaced by an older one.

    Returns:
        The path, or None when ``work_dir`` holds no checkpoint.
    """
    marker = osp.join(work_dir, 'last_checkpoint')
    named = _last_checkpoint(work_dir)
    if named:
        if not _directly_in(named, work_dir):
            if warn:
                warnings.warn(
                    f'{marker} names {named}, which is outside the work '
                    f'dir {work_dir} (a copied or moved work dir?): it is '
                    'ignored, and only the checkpoints in the work dir are '
                    f'resumed from; give --resume {named} to continue from '
                    'that file', stacklevel=2)
        elif osp.isfile(named):
            return named
        elif warn:
            warnings.warn(
                f'{marker} names {named}, which does not exist; resuming '
                f'from the latest iter_*.pth / epoch_*.pth in {work_dir} '
                'instead', stacklevel=2)
    own = work_dir_checkpoints(work_dir)
    return own[-1] if own else None


def planned_checkpoint_names(cfg: Config) -> Optional[Set[str]]:
    """The file names a fresh run of ``cfg`` saves checkpoints under, as
    mmengine's ``CheckpointHook`` (``default_hooks.checkpoint``) chooses
    them: every ``interval`` iterations (or epochs) from ``save_begin``,
    and the last one (``save_last``), named by ``filename_tmpl`` (default
    ``iter_{}.pth`` / ``epoch_{}.pth``).

    Returns:
        The names (an empty set: no checkpoint hook), or None when the
        config's hook or schedule is not one this can follow (another
        hook type, a schedule without ``max_iters`` / ``max_epochs``).
    """
    hooks = cfg.get('default_hooks') or {}
    # mmengine's default when the key is absent; None removes the hook
    hook = hooks.get('checkpoint', dict(type='CheckpointHook', interval=1))
    if hook is None:
        return set()
    if not isinstance(hook, dict) or hook.get('type') not in (
            'CheckpointHook', None):
        return None
    by_epoch = hook.get('by_epoch', True)
    interval = hook.get('interval', -1)
    begin = hook.get('save_begin', 0)
    template = hook.get('filename_tmpl') or (
        'epoch_{}.pth' if by_epoch else 'iter_{}.pth')
    total = (cfg.get('train_cfg') or {}).get(
        'max_epochs' if by_epoch else 'max_iters')
    if not isinstance(total, int) or not isinstance(interval, int):
        return None
    # CheckpointHook saves after step i when (i - save_begin) % interval
    # == 0 and i >= save_begin (steps count from 1)
    steps = set(range(begin if begin >= 1 else interval, total + 1,
                      interval)) if interval > 0 else set()
    if hook.get('save_last', True) and total > 0:
        steps.add(total)
    return {template.format(step) for step in steps}


def check_work_dir_free(cfg: Config, overwrite: bool = False) -> None:
    """Refuse to start a fresh run over another run's checkpoints.

    mmengine writes ``iter_<n>.pth`` / ``epoch_<n>.pth`` into the work dir
    and replaces a file of the same name without a word. The rule, for a
    run that does not resume (``cfg.resume`` False) and was not given
    ``overwrite``:

    * a work dir without ``iter_*.pth`` / ``epoch_*.pth`` files: go;
    * a run that starts from a checkpoint in this same work dir
      (``load_from`` there; the published recipe: stage 2 shares stage 1's
      work dir and starts from its last checkpoint): the earlier
      checkpoints stay, and it is refused only if a file it will save
      (:func:`planned_checkpoint_names`) already exists, e.g. stage 2 run
      a second time over the first's ``iter_1000.pth``; a config whose
      saving this cannot follow is refused too;
    * any other run: refused.

    ``overwrite`` starts fresh anyway: files of the same names are replaced
    as the run saves them; the others stay (a warning lists them).

    Raises:
        HFANError: naming the work dir, the files and the options.
    """
    if cfg.get('resume'):
        return
    work_dir = cfg.work_dir
    existing = work_dir_checkpoints(work_dir)
    if not existing:
        return
    options = ('Give --resume to continue that run from its latest '
               'checkpoint (--auto-resume: the same, or start fresh when '
               'there is none), --overwrite to start fresh and replace '
               'them, or another --work-dir.')
    if overwrite:
        print_log(f'--overwrite: {work_dir} holds checkpoints of an earlier '
                  f'run ({_named(existing)}); this run replaces those it '
                  'saves again, the others stay', logger='current',
                  level=logging.WARNING)
        return
    start = cfg.get('load_from')
    if start and _directly_in(start, work_dir):
        planned = planned_checkpoint_names(cfg)
        if planned is None:
            raise HFANError(
                f'{work_dir} already holds checkpoints ({_named(existing)}) '
                f'and this run starts from {start} in it, but its '
                'checkpoint hook or schedule does not say which files it '
                'will save (default_hooks.checkpoint must be a '
                'CheckpointHook and train_cfg must give max_iters or '
                'max_epochs), so it may overwrite them. ' + options)
        clash = [osp.join(work_dir, n) for n in sorted(planned,
                                                       key=natural_key)
                 if osp.exists(osp.join(work_dir, n))]
        if clash:
            raise HFANError(
                f'{work_dir} already holds {_named(clash)}, which this run '
                f'(starting from {osp.basename(start)} there) would save '
                'again, overwriting them (an earlier run of this stage?). '
                + options)
        return
    raise HFANError(
        f'work dir {work_dir} already holds checkpoints of another run '
        f'({_named(existing)}); a fresh run would overwrite them. ' + options)


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
        # (warnings about last_checkpoint: from check_resume, if resuming)
        latest = find_work_dir_checkpoint(cfg.work_dir, warn=False)
        if latest is not None and osp.realpath(latest) != osp.realpath(
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


def check_resume(cfg: Config, auto_resume: bool = False,
                 trust: bool = False) -> None:
    """What ``cfg.resume`` would resume from must exist and be a checkpoint
    that can be read weights-only (unless ``trust``).

    mmengine's resume silently trains from scratch when the work dir has no
    checkpoint and says so a thousand log lines later; resuming from the
    work dir's latest checkpoint therefore stops here, at the top, unless
    ``auto_resume`` (resume if possible, else start fresh: ``cfg.resume``
    becomes False) was asked for. The work dir's checkpoint is chosen by
    :func:`find_work_dir_checkpoint` (only one in the work dir itself) and
    written to ``cfg.load_from``, so that the Runner resumes from that file
    and not from what its own lookup of ``last_checkpoint`` would find.
    A damaged or untrusted one is an error, never a reason to start fresh
    or to take an older one.

    Raises:
        HFANError: nothing to resume from in the work dir.
        CheckpointFileError: the checkpoint is missing or not one.
        UntrustedCheckpointError: it needs a full unpickling, not trusted.
    """
    if not cfg.get('resume'):
        return
    if cfg.get('load_from'):  # resume from a given checkpoint
        check_weights_only(cfg.load_from, trust=trust)
        return
    latest = find_work_dir_checkpoint(cfg.work_dir)
    if latest is None:
        if auto_resume:
            cfg.resume = False  # start fresh, as asked
            return
        raise HFANError(
            f'--resume: nothing to resume in {cfg.work_dir} (no '
            'iter_*.pth / epoch_*.pth checkpoint there' +
            _outside_note(cfg.work_dir) + '). Run without --resume to '
            'start fresh, give --resume CHECKPOINT, or use --auto-resume '
            '(resume if possible, else start fresh).')
    check_weights_only(latest, trust=trust)
    cfg.load_from = latest


def _outside_note(work_dir: str) -> str:
    """What to say about a ``last_checkpoint`` that names a file outside
    the work dir, when the work dir has no checkpoint of its own: that
    file, and why even ``--resume FILE`` would not read it, if so."""
    named = _last_checkpoint(work_dir)
    if not named or _directly_in(named, work_dir):
        return ''
    note = (f'; its last_checkpoint names {named}, outside it, which is '
            f'resumed from only when given: --resume {named}')
    try:
        check_checkpoint_file(named)  # the header only: nothing unpickled
    except (OSError, ValueError) as error:
        note += f' (but: {error})'
    return note


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


def check_load_from(runner: Runner, cfg: Config, strict: bool = True,
                    trust: bool = False) -> None:
    """Fail early and clearly if ``load_from`` does not fit the model.

    mmengine loads ``load_from`` with ``strict=False`` (a wrong checkpoint
    only warns); this loads it strictly once, which converts the published
    layout and names the missing/unexpected keys and the likely cause.
    ``strict=False`` loads what matches and logs the rest. Nothing is done
    without ``load_from`` or when resuming. The file is read weights-only
    unless ``trust``.

    Raises:
        CheckpointMismatchError: ``strict`` and the keys or shapes differ.
        UntrustedCheckpointError: the file needs a full unpickling and
            ``trust`` is False.
    """
    if not cfg.get('load_from') or cfg.get('resume'):
        return
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    load_hfan_checkpoint(model, cfg.load_from, strict=strict, trust=trust)
