"""How a checkpoint is evaluated on a config's test set in mmengine's
Runner, as MMSeg's tools/test.py does: the config's ``test_dataloader``
and ``test_evaluator`` (``VOSMetric``: the DAVIS-16 protocol), with the
checkpoint loaded strictly by :func:`~hfan.models.checkpoint.
load_hfan_checkpoint` (the released files load as they are; a checkpoint of
another variant is refused with the keys listed).

What ``tools/test.py`` does::

    cfg = load_config(config_path, cfg_options)
    prepare_test_config(cfg, config_path=config_path, aug_test=True)
    check_data_roots(cfg, ('test_dataloader', ))   # hfan.apis.launch
    init_cpu_distributed(cfg.launcher)
    metrics = evaluate_checkpoint(cfg, checkpoint, out_dir='pred')
"""
from typing import Dict, Optional

from mmengine.config import Config
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from torch import nn

from hfan.models.checkpoint import check_weights_only, load_hfan_checkpoint

from .launch import configure_cpu_distributed, set_work_dir


def prepare_test_config(cfg: Config,
                        *,
                        config_path: str,
                        work_dir: Optional[str] = None,
                        launcher: str = 'none',
                        show_dir: Optional[str] = None,
                        aug_test: bool = False) -> Config:
    """Set up ``cfg`` (in place) for a test run in mmengine's Runner.

    Args:
        cfg: the loaded config (:func:`hfan.apis.load_config`).
        config_path: the config file; names the default work dir
            ``./work_dirs/<config name>``.
        work_dir: where logs and the metrics JSON go.
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        show_dir: save the frames painted with their predictions under
            this folder (``SHOW_DIR/vis_data/vis_image/``).
        aug_test: the multi-scale + flip test: the config's
            ``tta_pipeline`` through ``tta_model`` (default MMSeg's
            ``SegTTAModel``, softmax probabilities averaged).

    Returns:
        ``cfg``, with ``load_from`` and ``resume`` cleared: the Runner's
        own loader is lenient (``strict=False``) and knows only this
        project's key layout; :func:`evaluate_checkpoint` loads the weights
        instead.

    Raises:
        RuntimeError: ``show_dir`` without a visualization hook.
        ValueError: ``aug_test`` without a ``tta_pipeline``.
    """
    cfg.launcher = launcher
    set_work_dir(cfg, work_dir, config_path)
    cfg.load_from = None
    cfg.resume = False
    if show_dir:
        visualization = cfg.default_hooks.get('visualization')
        if visualization is None:
            raise RuntimeError('--show-dir needs default_hooks.visualization '
                               "(dict(type='SegVisualizationHook'))")
        visualization['draw'] = True
        cfg.visualizer['save_dir'] = show_dir
    if aug_test:
        if 'tta_pipeline' not in cfg:
            raise ValueError('--aug-test needs a tta_pipeline in the config')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        tta_model = cfg.get('tta_model') or dict(type='SegTTAModel')
        tta_model['module'] = cfg.model
        cfg.model = tta_model
    configure_cpu_distributed(cfg)
    return cfg


def segmentor_of(model: nn.Module) -> nn.Module:
    """The segmentor inside DDP and SegTTAModel wrappers."""
    if is_model_wrapper(model):
        model = model.module
    return getattr(model, 'module', model)


def evaluate_checkpoint(cfg: Config,
                        checkpoint: str,
                        *,
                        out_dir: Optional[str] = None,
                        trust_checkpoint: bool = False) -> Dict[str, float]:
    """Build the Runner of ``cfg``, load ``checkpoint`` strictly and test.

    Args:
        cfg: a config set up by :func:`prepare_test_config`.
        checkpoint: this project's or a released checkpoint.
        out_dir: also write the predicted masks as ``infer.py`` does
            (``WriteMasksHook``): ``OUT/<video>_<frame>.png`` (palette) and
            ``OUT-DAVIS-16/<video>/<frame>.png`` (0/255).
        trust_checkpoint: unpickle a checkpoint that weights-only loading
            refuses (only for files you trust).

    Returns:
        The test evaluator's metrics (``VOSMetric``: fractions in [0, 1],
        keyed ``J_mean``, ``F_mean``...), on every rank.

    Raises:
        CheckpointMismatchError: the checkpoint does not fit the model.
    """
    # before the Runner creates the work dir and its logs: a refused
    # checkpoint leaves nothing behind
    check_weights_only(checkpoint, trust=trust_checkpoint)
    runner = Runner.from_cfg(cfg)
    load_hfan_checkpoint(segmentor_of(runner.model), checkpoint,
                         strict=True, trust=trust_checkpoint)
    if out_dir:
        runner.register_hook(dict(type='WriteMasksHook', out_dir=out_dir),
                             priority='LOW')
    return runner.test()
