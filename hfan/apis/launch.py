"""How a training or test run is set up from its config: the work dir, CPU
distributed runs, and the data folders checked before the Runner starts."""
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config


def set_work_dir(cfg: Config, work_dir: Optional[str],
                 config_path: str) -> None:
    """``work_dir`` (``--work-dir``), else the config's, else
    ./work_dirs/<name of ``config_path``>."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_path))[0])


def configure_cpu_distributed(cfg: Config, **wrapper_args) -> None:
    """Without GPUs: gloo instead of NCCL, and DDP without device_ids.

    NCCL needs GPUs, and DDP refuses device_ids for CPU modules (mmengine
    passes the local rank).
    """
    if torch.cuda.is_available():
        return
    # (ConfigDict.setdefault returns the default, not the stored copy.)
    cfg.env_cfg.dist_cfg = dict(cfg.env_cfg.get('dist_cfg') or {},
                                backend='gloo')
    if cfg.launcher != 'none' and cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel', device_ids=None, **wrapper_args)


def init_cpu_distributed(launcher: str) -> None:
    """Start the gloo process group of a torchrun-launched CPU run.

    mmengine's pytorch launcher always calls ``torch.cuda.set_device``, which
    fails on a CPU-only torch; an already initialised group is kept by the
    Runner, so CPU processes join one here first.
    """
    if (launcher == 'pytorch' and not torch.cuda.is_available()
            and not torch.distributed.is_initialized()):
        torch.distributed.init_process_group(backend='gloo')


def _datasets(node):
    """The dataset dicts of a dataloader's ``dataset`` (wrappers such as
    ``RepeatDataset`` / ``ConcatDataset`` followed)."""
    if isinstance(node, dict):
        if 'data_prefix' in node or 'data_root' in node:
            yield node
        for key in ('dataset', 'datasets'):
            yield from _datasets(node.get(key))
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _datasets(item)


def check_data_roots(cfg: Config, loaders=('train_dataloader',
                                           'val_dataloader')) -> None:
    """Refuse, before the Runner is built (and prints its long banner), a
    dataset folder that does not exist, naming the config value to set.

    Every ``data_root`` + ``data_prefix`` folder of the datasets of
    ``loaders`` is checked; ``None`` loaders (e.g. ``val_dataloader=None``)
    are skipped.
    """
    roots = {v: k for k, v in cfg.items()
             if k.endswith('_root') and isinstance(v, str)}
    for loader in loaders:
        conf = cfg.get(loader)
        if not isinstance(conf, dict):
            continue
        for dataset in _datasets(conf.get('dataset')):
            root = dataset.get('data_root') or ''
            prefixes = dataset.get('data_prefix') or {}
            folders = [osp.join(root, p) for p in prefixes.values()
                       if isinstance(p, str) and p] or ([root] if root else [])
            for folder in folders:
                if osp.isdir(folder):
                    continue
                key = roots.get(root)
                how = (f'set --cfg-options {key}=PATH' if key else
                       f'set {loader}.dataset.data_root')
                raise FileNotFoundError(
                    f'{loader}: data folder {folder} does not exist '
                    f'(data_root={root!r}); {how} to where the data is '
                    '(see README "Data")')
