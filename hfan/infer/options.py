"""The settings of an inference run: :class:`InferenceOptions`.

:func:`hfan.infer.run` takes them as an :class:`InferenceOptions` or as
keyword arguments of the same names; ``infer.py`` (:mod:`hfan.cli.infer`)
parses its command line into one. Each field is one ``infer.py`` option,
with the same default (``--no-progress`` is ``run``'s ``progress``).
"""
import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Union

from hfan.apis.inference import BACKENDS
from hfan.flow import FLOW_ESTIMATORS
from hfan.flow.video_flow import FLOW_DIRECTIONS
from hfan.io.video import VIDEO_FORMATS

#: ``cpu_bf16`` values: follow the CPU and ``$HFAN_CPU_BF16``, on, off.
CPU_BF16_CHOICES = ('auto', 'on', 'off')
#: ``cpu_bf16`` as :func:`hfan.apis.inference.resolve_cpu_bf16` takes it.
CPU_BF16_VALUES = {'auto': None, 'on': True, 'off': False}

#: How a message names an option: ``(field, value) -> text``.
Spelling = Callable[..., str]


def field_spelling(field: str, value: Any = None) -> str:
    """A field as the library's messages name it: ``batch_size``,
    ``backend='onnxruntime'``."""
    return field if value is None else f'{field}={value!r}'


@dataclass
class InferenceOptions:
    """What :func:`hfan.infer.run` segments, how, and where it writes.

    The model and the outputs (required):

    - ``config``: the config file.
    - ``checkpoint``: the weights, a checkpoint of this project or a released
      one (``HFAN-s-converted.pth``, ...).
    - ``output_dir``: the folder of the ``<video>_<frame>.png`` masks;
      ``<output_dir>-DAVIS-16``, ``<output_dir>-prob`` and
      ``<output_dir>-overlay`` are written beside it.

    The input:

    - ``input``: video files, frame folders or one DAVIS2SEG-style root
      (a single path may be given as a string); None: the config's test set.
    - ``split``: the split folder under a DAVIS2SEG-style root.

    Optical flow (for a video file or frame folder):

    - ``flow``: the estimator, a name of :data:`hfan.flow.FLOW_ESTIMATORS`.
    - ``flow_directions``: ``'forward'`` or ``'both'``; None: the config's
      ``test_flow_directions``, else forward.
    - ``raft_weights``: ``flow='raft'``: the original ``raft-things.pth`` or
      a state dict of torchvision's ``raft_large`` (None: torchvision's).

    The overlay video:

    - ``overlay``: ``'mp4'``, ``'webm'``, ``'gif'`` or ``'none'``; None: mp4
      for a video file or frame folder, none otherwise.
    - ``gif_max_frames``: a gif keeps at most this many frames.
    - ``fps``: the frame rate of frame folders and 2SEG roots (a video file
      keeps its own); finite and > 0.

    The model's computation:

    - ``aug_test``: multi-scale + flip test, as published.
    - ``trust_checkpoint``: load a checkpoint that weights-only loading
      refuses (unpickling can run code).
    - ``fp16``: CUDA float16 autocast.
    - ``cpu_bf16``: bfloat16 autocast on the CPU: ``'auto'``, ``'on'`` or
      ``'off'`` (:func:`hfan.apis.inference.resolve_cpu_bf16`).
    - ``backend``: ``'torch'`` or ``'onnxruntime'``.
    - ``onnx``: ``backend='onnxruntime'``: an exported file instead of the
      cache.
    - ``device``: ``'cpu'``, ``'cuda:1'``...; None:
      :func:`hfan.utils.defaults.default_device`.
    - ``cfg_options``: config overrides, ``{key: value}``.

    The run:

    - ``save_prob``: also write the foreground probabilities (8-bit PNGs).
    - ``batch_size``: frames per forward pass.
    - ``workers``: threads writing PNGs (0: the calling thread).
    - ``model_workers``: batches segmented at once, each with a share of
      PyTorch's threads; None: 2 on a CPU with the PyTorch backend, else 1
      (:func:`hfan.apis.inference.resolve_model_workers`).
    - ``max_frames``: stop after segmenting this many frames (>= 1; a
      later run resumes); None: no limit.
    - ``overwrite``: segment every frame again, even into an output folder
      of other settings.

    Raises:
        ValueError: a value, or a combination, that a run cannot use
            (:func:`check_options`).
    """
    config: str
    checkpoint: str
    output_dir: str
    input: Optional[Union[str, Sequence[str]]] = None
    split: str = 'val'
    flow: str = 'dis'
    flow_directions: Optional[str] = None
    raft_weights: Optional[str] = None
    overlay: Optional[str] = None
    gif_max_frames: int = 120
    fps: float = 10.0
    aug_test: bool = False
    trust_checkpoint: bool = False
    fp16: bool = False
    cpu_bf16: str = 'auto'
    backend: str = 'torch'
    onnx: Optional[str] = None
    device: Optional[str] = None
    save_prob: bool = False
    batch_size: int = 1
    workers: int = 2
    model_workers: Optional[int] = None
    max_frames: Optional[int] = None
    overwrite: bool = False
    cfg_options: Optional[Dict[str, Any]] = None

    def __post_init__(self):
        if isinstance(self.input, str):  # not a sequence of characters
            self.input = [self.input]
        check_options(self)


def check_options(options: Any, spell: Spelling = field_spelling) -> None:
    """Refuse a value, or a combination, that a run cannot use.

    Args:
        options: an :class:`InferenceOptions`, or any object with its fields
            as attributes (the parsed command line).
        spell: how the message names a field, given the field and the value
            in question (:func:`field_spelling`; the command line names its
            options instead).

    Raises:
        ValueError: naming the option and what it accepts.
    """
    choices = (('flow', sorted(FLOW_ESTIMATORS)),
               ('flow_directions', (None, ) + FLOW_DIRECTIONS),
               ('overlay', (None, ) + VIDEO_FORMATS + ('none', )),
               ('cpu_bf16', CPU_BF16_CHOICES), ('backend', BACKENDS))
    for field, accepted in choices:
        value = getattr(options, field)
        if value not in accepted:
            raise ValueError(f'{spell(field)} must be one of '
                             f'{list(accepted)}, got {value!r}')
    if options.batch_size < 1:
        raise ValueError(f'{spell("batch_size")} must be >= 1')
    if options.model_workers is not None and options.model_workers < 1:
        raise ValueError(f'{spell("model_workers")} must be >= 1 (leave it '
                         f'out for the default), got {options.model_workers}')
    # 0 would segment nothing, yet name mask folders that were never
    # written: a run that is not wanted is not started instead.
    if options.max_frames is not None and options.max_frames < 1:
        raise ValueError(f'{spell("max_frames")} must be >= 1 (leave it '
                         f'out for no limit), got {options.max_frames}')
    # Checked here, before any work: the overlay writer is the first to
    # read the rate, after every frame is segmented. NaN compares false
    # with everything, so `fps <= 0` alone lets it through.
    if not (isinstance(options.fps, (int, float)) and
            math.isfinite(options.fps) and options.fps > 0):
        raise ValueError(f'{spell("fps")} must be a finite number > 0, '
                         f'got {options.fps!r}')
    if options.gif_max_frames < 1:
        raise ValueError(f'{spell("gif_max_frames")} must be >= 1')
    onnxruntime = spell('backend', 'onnxruntime')
    if options.onnx and options.backend != 'onnxruntime':
        raise ValueError(f'{spell("onnx")} is read by {onnxruntime} only')
    if options.backend == 'onnxruntime' and options.fp16:
        fp16 = spell('fp16', True)
        raise ValueError(
            f'{fp16} runs the PyTorch forward under CUDA autocast; '
            f'{onnxruntime} runs the float32 graph: use '
            f'{spell("backend", "torch")} with {fp16}')
    if options.backend == 'onnxruntime' and options.cpu_bf16 == 'on':
        raise ValueError(f'{spell("cpu_bf16", "on")} runs the PyTorch '
                         'forward under autocast; '
                         f'{onnxruntime} runs the float32 graph')


def make_options(options: Optional[InferenceOptions],
                 overrides: Mapping[str, Any]) -> InferenceOptions:
    """``options`` with ``overrides`` (field names) replacing its values, or
    the options made of ``overrides`` alone when ``options`` is None.

    Raises:
        TypeError: an override that is no field (the message lists the
            fields), a required field missing, or ``options`` of another
            type.
        ValueError: see :func:`check_options`.
    """
    names = [f.name for f in fields(InferenceOptions)]
    unknown = [key for key in overrides if key not in names]
    if unknown:
        raise TypeError(f'unknown inference option {unknown[0]!r}; the '
                        f'options are: {", ".join(names)}')
    if options is None:
        missing = [f.name for f in fields(InferenceOptions)
                   if f.default is dataclasses.MISSING and
                   f.name not in overrides]
        if missing:
            raise TypeError('inference needs the options '
                            f'{", ".join(missing)}')
        return InferenceOptions(**overrides)
    if not isinstance(options, InferenceOptions):
        raise TypeError('options must be an InferenceOptions, got '
                        f'{type(options).__name__}')
    return dataclasses.replace(options, **overrides)
