"""Class means of per-video results (how YouTube-Objects J is reported).

A video's class is, by default, its name without trailing digits
(``aeroplane0001`` -> ``aeroplane``, ``cars10`` -> ``cars``); a class map
file (``--classes FILE``) can name it instead. The class mean is the mean
over a class's videos, then the uniform mean over classes; the plain mean
over videos stays in the results beside it.
"""
import re
from collections import OrderedDict
from typing import Dict, Mapping, Optional

import numpy as np

#: per-class / class-mean figures (the DAVIS J/F means; VSOD has none)
CLASS_KEYS = ('J_mean', 'F_mean', 'JF_mean')


def class_of(video: str) -> str:
    """The video name without its trailing digits (the whole name when that
    would leave nothing): ``'aeroplane0001'`` -> ``'aeroplane'``."""
    return re.sub(r'\d+$', '', video) or video


def read_class_map(path: str) -> Dict[str, str]:
    """Read ``video class`` lines (whitespace- or comma-separated; ``#``
    starts a comment; blank lines ignored).

    Raises:
        FileNotFoundError: no such file.
        ValueError: a line is not two fields, or a video is listed twice
            (the message names the file and line).
    """
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        raise FileNotFoundError(f'class map not found: {path}') from None
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f'cannot read class map {path}: {err}') from None
    mapping: Dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        fields = [x for x in re.split(r'[,\s]+', line.split('#', 1)[0]) if x]
        if not fields:
            continue
        if len(fields) != 2:
            raise ValueError(f'{path} line {number}: expected "video class", '
                             f'got {line.strip()!r}')
        video, cls = fields
        if video in mapping:
            raise ValueError(f'{path} line {number}: video {video!r} is '
                             'listed twice')
        mapping[video] = cls
    if not mapping:
        raise ValueError(f'class map {path} lists no video')
    return mapping


def add_class_means(results: dict,
                    classes: Optional[Mapping[str, str]] = None) -> dict:
    """Add class means to :func:`hfan.evaluation.davis.summarize` results.

    Args:
        results: with ``sequences: {video: {J_mean, F_mean, JF_mean,
            num_frames_evaluated, ...}}``.
        classes: ``{video: class}`` naming exactly the evaluated videos;
            None: :func:`class_of`.

    Returns:
        ``results`` with ``J_class_mean``, ``F_class_mean``,
        ``JF_class_mean`` (uniform mean over classes of the mean over each
        class's videos), ``num_classes`` and ``classes: {class: {J_mean,
        F_mean, JF_mean, num_sequences, sequences: [...]}}``, classes sorted
        by name. Videos without evaluated frames are left out, as in the
        video mean.

    Raises:
        ValueError: the map names a video that was not evaluated, or misses
            one that was (both named).
    """
    seqs = results['sequences']
    if classes is not None:
        unknown = sorted(v for v in classes if v not in seqs)
        if unknown:
            raise ValueError(
                'the class map names video(s) that are not among the '
                f'evaluated sequences: {", ".join(unknown[:5])}'
                + (f' ... and {len(unknown) - 5} more'
                   if len(unknown) > 5 else ''))
        unmapped = sorted(v for v in seqs if v not in classes)
        if unmapped:
            raise ValueError(
                'the class map has no class for evaluated video(s): '
                f'{", ".join(unmapped[:5])}'
                + (f' ... and {len(unmapped) - 5} more'
                   if len(unmapped) > 5 else ''))
    groups: Dict[str, list] = {}
    for video, row in seqs.items():
        if row.get('num_frames_evaluated', 1) == 0:
            continue
        cls = classes[video] if classes is not None else class_of(video)
        groups.setdefault(cls, []).append(video)
    table = OrderedDict()
    for cls in sorted(groups):
        videos = groups[cls]
        entry = {k: float(np.mean([seqs[v][k] for v in videos]))
                 for k in CLASS_KEYS}
        entry['num_sequences'] = len(videos)
        entry['sequences'] = videos
        table[cls] = entry
    out = dict(results)
    for k in CLASS_KEYS:
        name = k.replace('_mean', '_class_mean')
        out[name] = (float(np.mean([e[k] for e in table.values()]))
                     if table else float('nan'))
    out['num_classes'] = len(table)
    out['classes'] = table
    return out


def format_class_table(results: dict) -> str:
    """The per-class table (x100, one decimal) and the two means."""
    from .io import text_table

    def fmt(v):
        return '-' if v is None or v != v else f'{100 * v:.1f}'

    rows = [(cls, dict(e, n=e['num_sequences']))
            for cls, e in results['classes'].items()]
    rows.append(('class mean', {'JF_mean': results['JF_class_mean'],
                                'J_mean': results['J_class_mean'],
                                'F_mean': results['F_class_mean'],
                                'n': results['num_classes']}))
    rows.append(('video mean', {'JF_mean': results['JF_mean'],
                                'J_mean': results['J_mean'],
                                'F_mean': results['F_mean'],
                                'n': results['num_sequences']}))

    def cell(v):
        return str(v) if isinstance(v, int) else fmt(v)

    return text_table('Class', rows, ('JF_mean', 'J_mean', 'F_mean', 'n'),
                      ('J&F', 'J-Mean', 'F-Mean', 'videos'), cell, 8)
