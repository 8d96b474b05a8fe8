"""The inference engine behind ``infer.py``: segment videos into mask files.

    sources      what ``--input`` names: a video file, a frame folder, a
                 2SEG root, several videos, or the config's test set
    run_record   ``.hfan_infer.json``: the settings and inputs of a run, so
                 that a stopped run resumes only into its own outputs
    overlays     ``<out>-overlay/<video>.mp4``: frames with masks drawn
    runner       :func:`run`, the loop: source -> VideoSegmenter -> PNGs
    arguments    :func:`parse_args`, the command line shared by infer.py and
                 the tools that run it

Typical use (what ``infer.py`` does)::

    from hfan.infer import parse_args, run
    stats = run(parse_args(['--config', cfg, '--checkpoint', ckpt,
                            '--input', 'clip.mp4', '--output_dir', 'out']))
"""
from .arguments import USAGE, parse_args
from .errors import InferenceError
from .run_record import SETTINGS_FILE
from .runner import run

__all__ = ['InferenceError', 'SETTINGS_FILE', 'USAGE', 'parse_args', 'run']
