"""Frames/s of the whole user path, an older commit's against this tree's
(``tools/benchmark_user_path.py``).

What a user runs: ``infer.py`` on folders of JPEG frames (decoding, DIS
flow, the model, PNG writing; masks and archives written, no overlay).
Each code base runs it in its own process on the same frames, one after
the other: first the baseline commit (checked out into a temporary git
worktree), then this tree. The figure is infer.py's own: frames over the
wall time of its segmentation loop (model loading excluded). Optionally
the stages are timed one by one in a process of each code base
(:mod:`hfan.benchmark.stage_timing`).
"""
import contextlib
import datetime
import json
import os
import os.path as osp
import platform
import re
import subprocess
import sys
import tempfile
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

from hfan.utils.defaults import REPO_ROOT

from . import stage_timing

#: infer.py's summary line: frames segmented and the loop's seconds.
SEGMENTED = re.compile(r'Segmented (\d+) frames in ([0-9.]+) s')
#: What the stage-timing process runs: stage_timing.py loaded by its path,
#: so that everything it imports of hfan is the code base's.
_STAGES_CHILD = '\n'.join([
    'import importlib.util, json, sys',
    'spec = importlib.util.spec_from_file_location('
    '"stage_timing", sys.argv[1])',
    'module = importlib.util.module_from_spec(spec)',
    'spec.loader.exec_module(module)',
    'print(json.dumps(module.stage_breakdown(**json.loads(sys.argv[2]))))',
])


def code_base_env(root: str) -> Dict[str, str]:
    """An environment whose ``import hfan`` is the code base at ``root``."""
    return {**os.environ, 'PYTHONPATH': root}


def time_infer_in(root: str, inputs: Sequence[str], config: str,
                  checkpoint: str, output_dir: str,
                  flow_directions: Optional[str] = None,
                  extra: Sequence[str] = ()) -> Dict[str, float]:
    """Run ``infer.py`` of the code base at ``root`` on the frame folders
    ``inputs`` (absolute paths), ``extra`` being further infer.py options.

    Returns:
        ``dict(frames, seconds, fps)`` as infer.py reports them.

    Raises:
        RuntimeError: infer.py failed (the end of its stderr is quoted).
    """
    cmd = [sys.executable, 'infer.py', '--config', config,
           '--checkpoint', checkpoint, '--input', *inputs,
           '--output_dir', output_dir, '--overlay', 'none', '--no-progress',
           *(['--flow-directions', flow_directions]
             if flow_directions else []), *extra]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True,
                          env=code_base_env(root))
    found = SEGMENTED.search(proc.stdout)
    if proc.returncode != 0 or not found:
        raise RuntimeError(f'infer.py in {root} failed (exit '
                           f'{proc.returncode}):\n{proc.stderr[-2000:]}')
    frames, seconds = int(found.group(1)), float(found.group(2))
    return dict(frames=frames, seconds=seconds, fps=frames / seconds)


def time_stages_in(root: str, inputs: Sequence[str], config: str,
                   checkpoint: str, flow_directions: Optional[str] = None,
                   frames: int = 10) -> Dict[str, float]:
    """:func:`hfan.benchmark.stage_timing.stage_breakdown` in a process whose
    ``hfan`` is the code base at ``root``.

    Raises:
        RuntimeError: the process failed (the end of its stderr is quoted).
    """
    kwargs = dict(inputs=list(inputs), config=config, checkpoint=checkpoint,
                  flow_directions=flow_directions, frames=frames)
    cmd = [sys.executable, '-c', _STAGES_CHILD, stage_timing.__file__,
           json.dumps(kwargs)]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True,
                          env=code_base_env(root))
    if proc.returncode != 0:
        raise RuntimeError(f'the breakdown in {root} failed:\n'
                           f'{proc.stderr[-2000:]}')
    return json.loads(proc.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def git_worktree(commit: str, folder: str,
                 repo: str = REPO_ROOT) -> Iterator[str]:
    """``commit`` of ``repo`` checked out into ``folder`` (a detached git
    worktree, removed on exit); yields ``folder``."""
    subprocess.run(['git', 'worktree', 'add', '--detach', '-q', folder,
                    commit], cwd=repo, check=True)
    try:
        yield folder
    finally:
        subprocess.run(['git', 'worktree', 'remove', '--force', folder],
                       cwd=repo, check=False)


def compare_user_path(inputs: Sequence[str], config: str, checkpoint: str,
                      baseline: str,
                      flow_directions: Optional[str] = None,
                      breakdown_frames: int = 0,
                      extra: Sequence[str] = (),
                      command: Optional[str] = None,
                      log: Callable[[str], Any] = lambda message: None,
                      rounds: int = 1) -> Dict[str, Any]:
    """infer.py's frames/s at commit ``baseline`` and in this tree.

    Args:
        inputs, config, checkpoint: absolute paths (each code base runs in
            its own folder).
        flow_directions: passed to both (None: the config's).
        breakdown_frames: also time the stages on the first N frames of
            each input (0: no).
        extra: further infer.py options, for this tree only.
        command: the command that compares, recorded in the report.
        log: called with a line before each code base runs.
        rounds: how many times each code base runs, alternating (baseline,
            this tree, baseline, ...), each time into a fresh output folder;
            a shared machine's speed drifts, and the median of a few
            alternating runs is steadier than one run.

    Returns:
        ``dict(date, machine, cpus, command, rounds, results, ratio,
        round_ratios)``: ``results`` maps ``'<baseline> (baseline)'`` and
        ``'this tree'`` to :func:`time_infer_in`'s dict of the run with the
        median frames/s (the lower median for an even count), plus
        ``fps_rounds`` (every run's frames/s, in order) and, from the first
        round, ``breakdown_s_per_frame``; ``ratio`` is this tree's median
        frames/s over the baseline's, ``round_ratios`` the ratio of each
        round.
    """
    if rounds < 1:
        raise ValueError(f'rounds must be >= 1, got {rounds}')
    runs: Dict[str, List[Dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        with git_worktree(baseline, osp.join(tmp, 'baseline')) as old:
            for round_index in range(rounds):
                for label, root, options in (
                        (f'{baseline} (baseline)', old, ()),
                        ('this tree', REPO_ROOT, extra)):
                    log(f'[benchmark] infer.py of {label}'
                        f'{_round_name(round_index, rounds)} ...')
                    result = time_infer_in(
                        root, inputs, config, checkpoint,
                        osp.join(tmp, 'out', f'{label} {round_index}'),
                        flow_directions, options)
                    if breakdown_frames and round_index == 0:
                        result['breakdown_s_per_frame'] = time_stages_in(
                            root, inputs, config, checkpoint,
                            flow_directions, breakdown_frames)
                    runs.setdefault(label, []).append(result)
    results = {}
    for label, label_runs in runs.items():
        median = sorted(label_runs, key=lambda r: r['fps'])[
            (len(label_runs) - 1) // 2]
        results[label] = dict(median,
                              fps_rounds=[r['fps'] for r in label_runs])
        if 'breakdown_s_per_frame' in label_runs[0]:  # the first round's
            results[label]['breakdown_s_per_frame'] = label_runs[0][
                'breakdown_s_per_frame']
    old_runs, new_runs = runs.values()
    old_result, new_result = results.values()
    return dict(
        date=datetime.date.today().isoformat(), machine=platform.processor()
        or platform.machine(), cpus=os.cpu_count(), command=command,
        rounds=rounds, results=results,
        ratio=new_result['fps'] / old_result['fps'],
        round_ratios=[new['fps'] / old['fps']
                      for old, new in zip(old_runs, new_runs)])


def _round_name(index: int, rounds: int) -> str:
    return f' (round {index + 1} of {rounds})' if rounds > 1 else ''


def results_table(results: Dict[str, Dict[str, Any]]) -> str:
    """The ``results`` of :func:`compare_user_path` as a Markdown table."""
    # the breakdown's model is one forward at a time (infer.py overlaps two
    # on a CPU): its columns add up to more than the loop's time per frame
    lines = ['| code | frames | loop s | frames/s | decode | flow | '
             'model (one forward at a time) | write (s/frame) |',
             '|---|---|---|---|---|---|---|---|']
    for label, r in results.items():
        b = r.get('breakdown_s_per_frame', {})
        stages = ' | '.join(f'{b[k]:.3f}' if k in b else '-'
                            for k in ('decode', 'flow', 'model', 'write'))
        lines.append(f"| {label} | {r['frames']} | {r['seconds']:.1f} | "
                     f"{r['fps']:.2f} | {stages} |")
    return '\n'.join(lines)
