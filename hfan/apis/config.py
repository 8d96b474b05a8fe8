"""Loading HFAN configs with command-line overrides."""
import ast
import difflib
import os.path as osp
import traceback
from typing import Any, Dict, List, Optional

from mmengine.config import Config

from hfan.utils.errors import HFANError

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


class ConfigFileError(HFANError):
    """A config file (or one of its ``_base_`` files) that cannot be read
    as Python: the message names the file and the line."""


def _config_files(path: str) -> List[str]:
    """``path`` and the local files it inherits (``_base_``, relative or
    absolute paths; ``package::`` bases are left out), depth first, each
    once. A file that does not parse ends its branch (it is reported by
    :func:`_syntax_error_of`)."""
    files: List[str] = []

    def visit(file: str) -> None:
        file = osp.abspath(file)
        if file in files or not osp.isfile(file):
            return
        files.append(file)
        try:
            with open(file, encoding='utf-8') as f:
                tree = ast.parse(f.read(), file)
        except (OSError, SyntaxError, ValueError):
            return
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == '_base_'
                    for t in node.targets):
                try:
                    bases = ast.literal_eval(node.value)
                except ValueError:
                    return
                for base in [bases] if isinstance(bases, str) else bases:
                    if isinstance(base, str) and '::' not in base:
                        visit(osp.join(osp.dirname(file), base))

    visit(path)
    return files


def _syntax_error_of(files: List[str]) -> Optional[SyntaxError]:
    """The first syntax error among ``files``, with its ``filename`` set
    (mmengine parses the text without one: ``<unknown>``)."""
    for file in files:
        try:
            with open(file, encoding='utf-8') as f:
                ast.parse(f.read(), file)
        except SyntaxError as err:
            return err
        except (OSError, ValueError):
            continue
    return None


def _where(path: str, file: str, line: Optional[int]) -> str:
    """``config a.py, line 2``, or for a base file ``config a.py
    (inherited by b.py through _base_), line 2``."""
    text = f'config {file}'
    if osp.abspath(file) != osp.abspath(path):
        text += f' (inherited by {path} through _base_)'
    return text + (f', line {line}' if line else '')


def read_config_file(path: str) -> Config:
    """``Config.fromfile(path)``, with an error in the Python of the config
    or of a file it inherits (a syntax error, an undefined name...) named by
    file and line: mmengine parses the text without its file name, so a
    syntax error says only ``(<unknown>, line 2)``.

    Raises:
        ConfigFileError: a syntax error, or an exception raised while the
            config's code runs, with the file and line.
        FileNotFoundError: ``path`` does not exist.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file {path} does not exist')
    try:
        return Config.fromfile(path)
    except SyntaxError as err:
        located = _syntax_error_of(_config_files(path)) or err
        file = located.filename
        if not file or file.startswith('<'):
            file = path
        code = (located.text or '').strip()
        raise ConfigFileError(
            f'{_where(path, file, located.lineno)}: syntax error: '
            f'{located.msg}' + (f' at {code!r}' if code else '') +
            '; the config must be valid Python') from None
    except Exception as err:  # the config's code raised while it ran
        files = _config_files(path)
        frames = [f for f in traceback.extract_tb(err.__traceback__)
                  if osp.abspath(f.filename) in files]
        if not frames:
            raise
        frame = frames[-1]
        code = (frame.line or '').strip()
        raise ConfigFileError(
            f'{_where(path, frame.filename, frame.lineno)}: '
            f'{type(err).__name__}: {err}' +
            (f' at {code!r}' if code else '')) from None


def load_config(path: str,
                cfg_options: Optional[Dict[str, Any]] = None) -> Config:
    """Read a config and apply ``--cfg-options``/``--options`` overrides.

    Every override key must exist in the config (:func:`check_option_keys`).
    Overriding a top-level data-root value (``davis_root``, ``youtube_root``)
    also moves every dataset whose ``data_root`` was that value. An error in
    the config's Python names the file and line (:func:`read_config_file`).
    """
    cfg = read_config_file(path)
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
