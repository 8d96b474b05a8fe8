"""Run records: what makes an interrupted :func:`hfan.infer.run` resumable.

A run skips frames whose outputs exist, so it must not resume into an
output folder written with other settings or from another input of the
same video name. The settings of the run and the identity of each video's
input are kept in ``<output_dir>/.hfan_infer.json`` (:data:`SETTINGS_FILE`).
"""
import hashlib
import json
import os
import os.path as osp
from typing import Any, Dict, Optional

from hfan.utils.atomic_io import atomic_write_bytes

from .errors import InferenceError
from .sources import VideoInput

#: Where infer.py records the settings of the run that wrote an output dir.
SETTINGS_FILE = '.hfan_infer.json'


def run_settings(args, computes_flow: bool = False,
                 flow_directions: str = 'forward',
                 cpu_bf16: bool = False) -> Dict[str, Any]:
    """What decides the masks: resuming with other values would mix them.

    ``computes_flow``: the input's flows are computed here (a video file or
    frame folder), so the estimator and ``flow_directions`` decide the masks
    too. They are recorded only then, which keeps the records of 2SEG runs
    as they were.
    """
    settings = dict(
        config=osp.abspath(args.config),
        checkpoint=osp.abspath(args.checkpoint),
        cfg_options=args.cfg_options or {},
        aug_test=bool(args.aug_test),
        fp16=bool(args.fp16))
    if computes_flow:
        settings['flow'] = args.flow
        if args.flow == 'raft':
            settings['raft_weights'] = (osp.abspath(args.raft_weights)
                                        if args.raft_weights else None)
        # Recorded only when not the published rule, which keeps the
        # records of earlier runs valid for resuming.
        if flow_directions != 'forward':
            settings['flow_directions'] = flow_directions
    # bf16 moves a few boundary pixels; recorded only when on, like the
    # flow directions, so float32 records of earlier runs stay valid.
    if cpu_bf16:
        settings['cpu_bf16'] = True
    return settings


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


def check_settings(output_dir: str, settings: Dict[str, Any],
                   overwrite: bool, write: bool = True,
                   inputs: Optional[Dict[str, Any]] = None) -> None:
    """Refuse to resume into an output dir written with other settings or
    from another input of the same video name; then record these
    (``write``; ``False`` only checks, before anything is loaded or
    written).

    ``inputs``: ``{video: identity}`` (:func:`input_identity`). The record
    keeps the identities of earlier runs' videos too, so that several runs
    may fill one output dir with different videos.
    """
    path = osp.join(output_dir, SETTINGS_FILE)
    current = json.loads(json.dumps(settings, default=str))
    inputs = json.loads(json.dumps(inputs or {}, default=str))
    previous = None
    if osp.lexists(path) and not overwrite:
        previous = read_run_record(path)
        # Over the keys of both: a setting recorded only when it is not its
        # default (flow_directions) differs by being absent too.
        keys = list(current) + [k for k in previous
                                if k not in current and k != 'inputs']
        changed = {k: (previous.get(k), current.get(k)) for k in keys
                   if previous.get(k) != current.get(k)}
        if changed:
            lines = '\n'.join(f'  {k}: {old!r} -> {new!r}'
                              for k, (old, new) in changed.items())
            raise InferenceError(
                f'{output_dir} holds masks of a run with other settings:\n'
                f'{lines}\nUse another --output_dir, or --overwrite to '
                'segment every frame again.')
        for name, identity in inputs.items():
            old = previous.get('inputs', {}).get(name)
            if old and identity and (old.get('digest'), old.get('frames')) \
                    != (identity['digest'], identity['frames']):
                raise InferenceError(
                    f'{output_dir} holds masks of video {name!r} segmented '
                    f'from another input ({old.get("source")}, '
                    f'{old.get("frames")} frames) than {identity["source"]} '
                    f'({identity["frames"]} frames); use another '
                    '--output_dir, or --overwrite to segment it again.')
    if write:
        record = dict(current)
        record['inputs'] = {**(previous or {}).get('inputs', {}), **{
            k: v for k, v in inputs.items() if v}}
        atomic_write_bytes(path, json.dumps(record, indent=2).encode())
