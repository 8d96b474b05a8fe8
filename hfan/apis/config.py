"""Loading HFAN configs with command-line overrides."""
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


def load_config(path: str,
                cfg_options: Optional[Dict[str, Any]] = None) -> Config:
    """Read a config and apply ``--cfg-options``/``--options`` overrides.

    Overriding a top-level data-root value (``davis_root``, ``youtube_root``)
    also moves every dataset whose ``data_root`` was that value.
    """
    cfg = Config.fromfile(path)
    if not cfg_options:
        return cfg
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
