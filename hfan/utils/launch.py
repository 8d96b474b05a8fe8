"""What the command-line tools share: config overrides (``--cfg-options``,
every tool with a config), and for tools/train.py and tools/test.py the
launcher options, the work dir, and CPU distributed runs."""
import argparse
import os
import os.path as osp

import torch
from mmengine.config import Config, DictAction

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


def set_work_dir(cfg: Config, work_dir, config_path: str) -> None:
    """``--work-dir``, else the config's, else ./work_dirs/<config name>."""
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
    cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
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
