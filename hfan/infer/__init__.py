"""The inference engine behind ``infer.py``: segment videos into mask files.

    options      :class:`InferenceOptions`: the settings of a run
    sources      what ``input`` names: a video file, a frame folder, a
                 2SEG root, several videos, or the config's test set
    run_record   ``.hfan_infer.json``: the settings and inputs of a run, so
                 that a stopped run resumes only into its own outputs
    overlays     ``<out>-overlay/<video>.mp4``: frames with masks drawn
    runner       :func:`run`, the loop: source -> VideoSegmenter -> PNGs
    scoring      J / F of a segmented clip against its ground truth

Typical use (``infer.py``, :mod:`hfan.cli.infer`, parses its command line
into the same options)::

    from hfan.infer import run
    stats = run(config=cfg, checkpoint=ckpt, input='clip.mp4',
                output_dir='out')
"""
from .errors import InferenceError
from .options import InferenceOptions
from .run_record import SETTINGS_FILE
from .runner import run

__all__ = ['InferenceError', 'InferenceOptions', 'SETTINGS_FILE', 'run']
