"""Loading HFAN configs with command-line overrides."""
import difflib
import os.path as osp
from typing import Any, Dict, Optional

from mmengine.config import Config

# Top-level config values named `*_root` (davis_root, youtube_root, ...) say
# where a dataset lives. The dataset dicts copy them when the file is parsed,
# so an override of the top-level value (`--cfg-options
# davis_root=/data/DAVIS2SEG`) is carried into them here.


def _root_keys(cfg: Config):
    return [key for key in cfg.keys() if key.endswith('_root')]


def _replace_data_roots(node: Any, old_to_new: Dict[str, str]) -> None:
    if isinstance(node, dict):
        root = node.get('data_root')
        if isinstance(root, str) and root in old_to_new:
            node['data_root'] = old_to_new[root]
        for value in node.values():
            _replace_data_roots(value, old_to_new)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _replace_data_roots(value, old_to_new)


class ConfigKeyError(KeyError):
    """An override names a key the config does not have (a misspelling
    would otherwise add an unused key and change nothing)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


def check_option_keys(cfg: Config, cfg_options: Dict[str, Any],
                      path: str = 'the config') -> None:
    """Refuse override keys that do not exist in ``cfg``.

    ``model.decode_head.selct_method=im`` would silently train the default
    variant under the ablation's name; every dotted part must name an
    existing key (or a list index), and the error says which part does not,
    with the closest existing keys. Each leading ``+`` lets one more part,
    counted from the end, be new: ``+a.b.c`` adds ``c`` (``a.b`` must
    exist), e.g. ``+model.test_cfg.crop_size=(512,512)`` when switching a
    whole-image config to sliding windows; ``++a.b.c`` may also add ``b``,
    e.g. ``++optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult=0.1``.
    """
    for key in cfg_options:
        node: Any = cfg._cfg_dict
        parts = key.lstrip('+').split('.')
        # the parts from index `first_new` on may be new
        first_new = len(parts) - (len(key) - len(key.lstrip('+')))
        if first_new < 0:
            raise ConfigKeyError(
                f'--cfg-options {key}: more leading + than the '
                f'{len(parts)} parts of the key')
        for depth, part in enumerate(parts):
            where = '.'.join(parts[:depth]) or 'the top level'
            if depth >= first_new:
                if not isinstance(node, dict):
                    raise ConfigKeyError(
                        f'--cfg-options {key}: {where} is not a dict, a key '
                        'cannot be added to it')
                if part not in node:
                    break  # this part and the ones after it are new
                node = node[part]
                continue
            if isinstance(node, (list, tuple)):
                if part.isdigit() and int(part) < len(node):
                    node = node[int(part)]
                    continue
                raise ConfigKeyError(
                    f'--cfg-options {key}: {where} is a list of {len(node)}, '
                    f'{part!r} is not an index of it')
            if not isinstance(node, dict):
                raise ConfigKeyError(
                    f'--cfg-options {key}: {where} is {node!r}, not a dict '
                    f'with a key {part!r}')
            if part not in node:
                names = [str(k) for k in node]
                close = difflib.get_close_matches(part, names, n=3)
                hint = (f'did you mean {" or ".join(map(repr, close))}?'
                        if close else
                        f'keys there: {", ".join(sorted(names)[:12])}')
                plus = '+' * (len(parts) - depth)
                raise ConfigKeyError(
                    f'--cfg-options {key}: {path} has no key {part!r} in '
                    f'{where}; {hint} (to add it write '
                    f'{plus}{".".join(parts)}=...)')
            node = node[part]


def load_config(path: str,
                cfg_options: Optional[Dict[str, Any]] = None) -> Config:
    """Read a config and apply ``--cfg-options``/``--options`` overrides.

    Every override key must exist in the config (:func:`check_option_keys`).
    Overriding a top-level data-root value (``davis_root``, ``youtube_root``)
    also moves every dataset whose ``data_root`` was that value.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file {path} does not exist')
    cfg = Config.fromfile(path)
    if not cfg_options:
        return cfg
    check_option_keys(cfg, cfg_options, path)
    cfg_options = {k.lstrip('+'): v for k, v in cfg_options.items()}
    before = {key: cfg.get(key) for key in _root_keys(cfg)}
    cfg.merge_from_dict(cfg_options)
    old_to_new = {
        old: cfg.get(key)
        for key, old in before.items()
        if isinstance(old, str) and cfg.get(key) != old
    }
    if old_to_new:
        for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            if key in cfg:
                _replace_data_roots(cfg[key], old_to_new)
    return cfg
