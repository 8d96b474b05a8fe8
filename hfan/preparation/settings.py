"""The settings a prepared output root was written with, so that a resume
does not mix two kinds of data.

A preparation resumes by skipping the videos whose files are complete
(:mod:`hfan.preparation.convert`); files say nothing of how they were made.
A rerun with another DIS preset, JPEG quality or frame size would report
the old videos "already complete" and add new ones made differently. So
the settings that change what is written (flow estimator and its preset or
weights digest, JPEG quality, raw-flow format, generator settings such as
frame size, frames and seed) are recorded in ``OUT/.hfan_prepare.json``
(written atomically, before any video) and a run whose settings differ from
the recorded ones is refused, naming each change (old -> new) and how to
start fresh.

Only the settings both runs have are compared (one root may hold the work
of two tools, e.g. DAVIS and composites with the same flow); the record
keeps the union. A root written before settings were recorded has no
record: it is taken as it is and the run's settings are recorded.
"""
import json
import os
import os.path as osp
from typing import Any, Dict, Optional

from hfan.utils.atomic_io import atomic_write_text
from hfan.utils.digests import file_sha256

from .sources import PrepareError

#: The record of a root's settings, beside its ``frame/ flow/ mask/``.
SETTINGS_FILE = '.hfan_prepare.json'


class SettingsMismatchError(PrepareError):
    """The output root was prepared with other settings; the message names
    every change and how to start fresh."""



def flow_settings(flow: str, flow_kwargs: Optional[dict]) -> Dict[str, Any]:
    """The settings of a flow estimator that change the flows: DIS's preset;
    RAFT's weights by their SHA-256 (the file may move, its content is
    what counts), or torchvision's default weights."""
    kwargs = dict(flow_kwargs or {})
    if flow == 'dis':
        return {'flow': 'dis', 'dis_preset': kwargs.get('preset', 'medium')}
    if flow == 'raft':
        weights = kwargs.get('weights')
        return {
            'flow': 'raft',
            'raft_weights': ('torchvision Raft_Large_Weights.C_T_V2'
                             if weights is None else
                             'sha256:' + file_sha256(weights)),
        }
    return {'flow': flow, **{k: repr(v) for k, v in sorted(kwargs.items())}}


def output_settings(opts) -> Dict[str, Any]:
    """The settings of a :class:`~hfan.preparation.two_seg.WriteOptions`
    that change the files: JPEG quality of the flows, raw-flow format."""
    return {'jpeg_quality': opts.jpeg_quality, 'raw_flow': opts.raw_flow}


def _plain(settings: Dict[str, Any]) -> Dict[str, Any]:
    # as JSON reads them back (tuples become lists), so equal means equal
    return json.loads(json.dumps(settings, sort_keys=True))


def read_settings(out_root: str) -> Optional[Dict[str, Any]]:
    """The recorded settings of ``out_root``; ``None`` when none are."""
    path = osp.join(out_root, SETTINGS_FILE)
    if not osp.exists(path):
        return None
    try:
        with open(path, encoding='utf-8') as f:
            record = json.load(f)
    except (OSError, ValueError) as err:
        raise PrepareError(
            f'cannot read the settings record {path}: {err}; delete it if '
            f'{out_root} holds only outputs of one setting, or start in '
            'another output folder') from None
    if not isinstance(record, dict) or not isinstance(
            record.get('settings'), dict):
        raise PrepareError(
            f'{path} is not a settings record (expected a JSON object with '
            "'settings'); delete it or start in another output folder")
    return record['settings']


def check_settings(out_root: str, settings: Dict[str, Any]) -> None:
    """Refuse to resume ``out_root`` with settings other than its recorded
    ones (only the settings both have are compared; a root that holds
    the record alone takes the new settings).

    Raises:
        SettingsMismatchError: naming every changed setting (old -> new),
            the record and how to start fresh.
    """
    old = read_settings(out_root)
    if old is None:
        return
    new = _plain(settings)
    changed = [f'{key} {old[key]!r} -> {new[key]!r}'
               for key in sorted(set(old) & set(new)) if old[key] != new[key]]
    # a root holding the record alone (a first run that failed before any
    # video) has nothing to mix with: the new settings replace it
    if changed and os.listdir(out_root) != [SETTINGS_FILE]:
        raise SettingsMismatchError(
            f'{out_root} was prepared with other settings '
            f'({osp.join(out_root, SETTINGS_FILE)}): {"; ".join(changed)}. '
            'Resuming would mix videos made both ways (finished ones would '
            'be kept as they are). Rerun with the recorded settings, write '
            'to another output folder, or delete '
            f'{out_root} to start fresh')


def record_settings(out_root: str, settings: Dict[str, Any]) -> None:
    """Record ``settings`` in ``out_root`` (merged with what is recorded;
    call :func:`check_settings` first). Atomic; not rewritten when
    unchanged."""
    old = read_settings(out_root) or {}
    merged = dict(old, **_plain(settings))
    if merged == old and osp.exists(osp.join(out_root, SETTINGS_FILE)):
        return
    atomic_write_text(
        osp.join(out_root, SETTINGS_FILE),
        json.dumps({'settings': merged}, indent=2, sort_keys=True) + '\n')
