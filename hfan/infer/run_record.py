"""Run records: what makes an interrupted :func:`hfan.infer.run` resumable.

A run skips frames whose outputs exist, so it must not resume into an
output folder written with other settings or from another input of the
same video name. The settings of the run and the identity of each video's
input are kept in ``<output_dir>/.hfan_infer.json`` (:data:`SETTINGS_FILE`):

- the settings by content (:func:`run_settings`): the SHA-256 of the
  checkpoint (RAFT weights, ONNX file), a digest of the resolved config's
  model and test pipeline, the options that change masks; paths are kept
  for the reader only, so a checkpoint or config edited in place between
  two runs of one command is a change, a copied one is not;
- ``inputs``: per video, its input's identity (:func:`input_identity`) and
  the name (:func:`settings_digest`) of the settings its masks were written
  with, looked up in ``settings_of_videos``: an ``--overwrite`` run for one
  video does not make another video's masks pass as current.

:func:`hfan.infer.run` writes a video's entry just before its first mask
(nothing is recorded for a run that fails before writing any).
"""
import hashlib
import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional

from hfan.utils.atomic_io import atomic_write_bytes
from hfan.utils.digests import file_sha256

from .errors import InferenceError
from .sources import VideoInput

#: Where infer.py records the settings of the run that wrote an output dir.
SETTINGS_FILE = '.hfan_infer.json'
#: Keys of the record that are no setting: the videos, and the settings
#: each of them was segmented with (by :func:`settings_digest`).
_RECORD_KEYS = ('inputs', 'settings_of_videos')


#: Settings recorded for the reader but compared through what they point at:
#: a checkpoint edited in place keeps its path, a copied one changes it;
#: ``cfg_options`` act through the resolved config's digest.
_FOR_THE_READER = ('config', 'checkpoint', 'cfg_options', 'raft_weights',
                   'onnx')
#: What each digest covers, for the messages.
_DIGESTS = {
    'checkpoint_sha256': 'the contents of the checkpoint file',
    'config_sha256': "the resolved config's model or test pipeline",
    'raft_weights_sha256': 'the contents of the RAFT weights file',
    'onnx_sha256': 'the contents of the ONNX file',
}



def config_sha256(cfg, aug_test: bool = False) -> str:
    """SHA-256 of what the masks depend on in a resolved config (after
    ``cfg_options``): ``model`` (architecture, ``test_cfg``, data
    preprocessor) and the test pipeline that runs (``tta_pipeline`` with
    ``aug_test``: test scale, resizing). Edits elsewhere (schedule, logging,
    training data) change no mask and keep a run resumable."""
    from hfan.apis.inference import test_pipeline_of
    try:
        pipeline = test_pipeline_of(cfg, aug_test)
    except ValueError:
        pipeline = None  # refused when the segmenter is built
    text = json.dumps(dict(model=cfg.get('model'), pipeline=pipeline),
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def run_settings(args, computes_flow: bool = False,
                 flow_directions: str = 'forward',
                 cpu_bf16: bool = False, cfg=None,
                 device_type: str = 'cpu') -> Dict[str, Any]:
    """What decides the masks: resuming with other values would mix them.

    ``args``: the :class:`~hfan.infer.InferenceOptions` (or the parsed
    command line). ``computes_flow``: the input's flows are computed here
    (a video file or frame folder), so the estimator and ``flow_directions``
    decide the masks too; they are recorded only then. ``cfg``: the
    resolved config, digested (:func:`config_sha256`; ``None``: loaded from
    ``args.config``). ``device_type``: ``'cpu'``, ``'cuda'``...: other
    kernels (cuDNN, TF32) move a few boundary pixels, like bf16.

    Contents are compared, not paths: the checkpoint's (and RAFT weights',
    ONNX file's) SHA-256 and the config's digest; the paths are kept for
    the reader.
    """
    if cfg is None:
        from hfan.apis import load_config
        cfg = load_config(args.config, args.cfg_options)
    settings = dict(
        config=osp.abspath(args.config),
        checkpoint=osp.abspath(args.checkpoint),
        cfg_options=args.cfg_options or {},
        aug_test=bool(args.aug_test),
        fp16=bool(args.fp16),
        checkpoint_sha256=file_sha256(args.checkpoint),
        config_sha256=config_sha256(cfg, bool(args.aug_test)))
    if computes_flow:
        settings['flow'] = args.flow
        if args.flow == 'raft':
            settings['raft_weights'] = (osp.abspath(args.raft_weights)
                                        if args.raft_weights else None)
            if args.raft_weights:
                settings['raft_weights_sha256'] = file_sha256(
                    args.raft_weights)
        # Recorded only when not the published rule, as in the records of
        # earlier runs.
        if flow_directions != 'forward':
            settings['flow_directions'] = flow_directions
    # bf16 moves a few boundary pixels; recorded only when on, like the
    # flow directions. ONNX Runtime computes in float32 with other kernels:
    # recorded when used.
    if cpu_bf16:
        settings['cpu_bf16'] = True
    # recorded when not the CPU, so that CPU records stay as they were
    if device_type != 'cpu':
        settings['device_type'] = device_type
    backend = getattr(args, 'backend', 'torch')
    if backend != 'torch':
        settings['backend'] = backend
        if getattr(args, 'onnx', None):
            settings['onnx'] = osp.abspath(args.onnx)
            settings['onnx_sha256'] = file_sha256(args.onnx)
    return settings


def compared(settings: Dict[str, Any]) -> Dict[str, Any]:
    """The settings that are compared on resume (no paths, no bookkeeping
    of the record)."""
    return {k: v for k, v in settings.items()
            if k not in _FOR_THE_READER and k not in _RECORD_KEYS}


def settings_digest(settings: Dict[str, Any]) -> str:
    """A short name of the compared settings (per-video entries name their
    settings by it)."""
    text = json.dumps(compared(settings), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _ends_digest(path: str, chunk: int = 1 << 20) -> bytes:
    """SHA-1 of the first and last ``chunk`` bytes of ``path`` (the whole
    file when it is smaller): cheap for a long video, exact for a frame."""
    digest = hashlib.sha1()
    size = os.path.getsize(path)
    with open(path, 'rb') as f:
        digest.update(f.read(chunk))
        if size > chunk:
            f.seek(max(chunk, size - chunk))
            digest.update(f.read())
    return digest.digest()


def input_identity(video: VideoInput) -> Optional[Dict[str, Any]]:
    """What identifies the input that ``video``'s masks are computed from.

    Resuming skips frames whose masks exist, so masks of another input of
    the same video name (another ``clip.mp4``, a re-extracted frame folder)
    would be served as this one's. The identity is the source path, the
    number of frames, and a digest of every file's name and size plus the
    contents of the first and last frame (and flow) -- or, for a video
    file, its size and its first and last MiB. Modification times are left
    out, so a copied input is still the same input.

    Returns ``None`` for frames held in memory (nothing to record).
    """
    digest = hashlib.sha1()
    frames = video.frames
    if isinstance(frames, (list, tuple)) and frames and all(
            isinstance(x, str) for x in frames):
        flows = [f for f in (video.flows or []) if isinstance(f, str)]
        for path in list(frames) + flows:
            digest.update(
                f'{osp.basename(path)}\0{os.path.getsize(path)}\n'.encode())
        for path in [frames[0], frames[-1]] + flows[:1] + flows[-1:]:
            digest.update(_ends_digest(path))
        source = osp.dirname(osp.abspath(frames[0]))
    elif isinstance(getattr(frames, 'path', None), str) and osp.isfile(
            frames.path):
        source = osp.abspath(frames.path)
        digest.update(f'{os.path.getsize(source)}\n'.encode())
        digest.update(_ends_digest(source))
    else:
        return None
    return dict(source=source, frames=len(video.frame_ids),
                digest=digest.hexdigest())


def read_run_record(path: str) -> Dict[str, Any]:
    """The run record ``path`` (``.hfan_infer.json``); a damaged one is an
    error that says what to do, not a JSON traceback."""
    advice = ('delete it (the masks of that folder are then trusted as '
              'they are) or use --overwrite to segment every frame again')
    try:
        with open(path, encoding='utf-8') as f:
            record = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InferenceError(
            f'{path} is not a valid run record ({err}); {advice}') from None
    except OSError as err:
        raise InferenceError(f'cannot read the run record {path}: '
                             f'{err.strerror or err}') from None
    if not isinstance(record, dict) or not isinstance(
            record.get('inputs', {}), dict):
        raise InferenceError(f'{path} is not a valid run record (a JSON '
                             f'object of settings is expected); {advice}')
    return record


def _short(key: str, value: Any) -> str:
    if key in _DIGESTS and isinstance(value, str):
        return repr(value[:12] + '...')
    return repr(value)


def _changes(old: Dict[str, Any], new: Dict[str, Any]) -> List[str]:
    """One line per compared setting that differs, saying what it is."""
    old, new = compared(old), compared(new)
    keys = list(new) + [k for k in old if k not in new]
    lines = []
    for key in keys:
        if old.get(key) == new.get(key):
            continue
        line = f'  {key}: {_short(key, old.get(key))} -> ' \
               f'{_short(key, new.get(key))}'
        if key in _DIGESTS:
            line += f' ({_DIGESTS[key]} changed)'
        lines.append(line)
    return lines


def _settings_of(record: Dict[str, Any], video: str) -> Dict[str, Any]:
    """The settings ``video``'s masks in ``record`` were written with: its
    own (a later ``--overwrite`` run may have changed the record's), else
    the record's (a record of an earlier version, or a video new to it)."""
    entry = record.get('inputs', {}).get(video) or {}
    table = record.get('settings_of_videos') or {}
    if isinstance(entry, dict) and entry.get('settings') in table:
        return table[entry['settings']]
    return {k: v for k, v in record.items() if k not in _RECORD_KEYS}


def _refuse_changes(output_dir: str, video: Optional[str],
                    old: Dict[str, Any], new: Dict[str, Any]) -> None:
    lines = _changes(old, new)
    if not lines:
        return
    whose = (f'masks of video {video!r}' if video else 'masks')
    advice = ('Use another --output_dir, or --overwrite to segment every '
              'frame again.')
    if 'checkpoint_sha256' not in old:
        raise InferenceError(
            f'{output_dir} holds {whose} of a run whose record '
            f'({SETTINGS_FILE}, written by an earlier infer.py) keeps the '
            'paths of the checkpoint and config, not digests of their '
            'contents: whether either changed since cannot be told. '
            + advice)
    context = []
    for key in ('checkpoint', 'config', 'cfg_options'):
        if old.get(key) != new.get(key):
            context.append(f'  ({key}: {old.get(key)!r} -> '
                           f'{new.get(key)!r})')
    lines = '\n'.join(lines + context)
    raise InferenceError(
        f'{output_dir} holds {whose} written with other settings:\n'
        f'{lines}\n{advice}')


def check_settings(output_dir: str, settings: Dict[str, Any],
                   overwrite: bool, write: bool = True,
                   inputs: Optional[Dict[str, Any]] = None) -> None:
    """Refuse to resume into an output dir written with other settings or
    from another input of the same video name; then record these
    (``write``; ``False`` only checks, before anything is loaded or
    written).

    ``inputs``: ``{video: identity}`` (:func:`input_identity`) of this
    run's videos. The record keeps the identities of earlier runs' videos
    too, so that several runs may fill one output dir with different
    videos, and the settings each video was segmented with: an
    ``--overwrite`` run for one video changes the record's settings, not
    those of the other videos, whose masks then no longer pass as current.

    Settings are compared by content (:func:`run_settings`): a checkpoint
    or config edited in place between two runs of one command is a change.
    """
    path = osp.join(output_dir, SETTINGS_FILE)
    current = json.loads(json.dumps(settings, default=str))
    inputs = json.loads(json.dumps(inputs or {}, default=str))
    previous = None
    if osp.lexists(path):
        try:
            previous = read_run_record(path)
        except InferenceError:
            if not overwrite:
                raise
            # --overwrite over a damaged record: the videos it named are
            # unknown; this run's are segmented again.
    if previous is not None and not overwrite:
        known = previous.get('inputs', {})
        for name in inputs or {None: None}:
            if name is not None and name in known:
                _refuse_changes(output_dir, name,
                                _settings_of(previous, name), current)
            else:  # a video new to the folder: the folder's settings
                _refuse_changes(output_dir, None,
                                _settings_of(previous, ''), current)
        for name, identity in inputs.items():
            old = known.get(name)
            if old and identity and 'digest' in old and (
                    old.get('digest'), old.get('frames')) != (
                    identity['digest'], identity['frames']):
                raise InferenceError(
                    f'{output_dir} holds masks of video {name!r} segmented '
                    f'from another input ({old.get("source")}, '
                    f'{old.get("frames")} frames) than {identity["source"]} '
                    f'({identity["frames"]} frames); use another '
                    '--output_dir, or --overwrite to segment it again.')
    if write:
        previous = previous or {}
        table = dict(previous.get('settings_of_videos') or {})
        entries = {}
        for name, entry in (previous.get('inputs') or {}).items():
            entry = dict(entry) if isinstance(entry, dict) else {}
            if entry.get('settings') not in table:
                # a record of an earlier version: its videos were written
                # with its settings; pinned before they are replaced
                old = _settings_of(previous, '')
                entry['settings'] = settings_digest(old)
                table[entry['settings']] = old
            entries[name] = entry
        mine = settings_digest(current)
        table[mine] = {k: v for k, v in current.items()
                       if k not in _RECORD_KEYS}
        for name, identity in inputs.items():
            entries[name] = dict(identity or {}, settings=mine)
        used = {e['settings'] for e in entries.values()}
        record = dict(current)
        record['inputs'] = entries
        record['settings_of_videos'] = {k: v for k, v in table.items()
                                        if k in used}
        if record != previous:  # a resumed video changes nothing
            atomic_write_bytes(path, json.dumps(record, indent=2).encode())
