"""HFAN's speed: model frames/s and end-to-end frames/s
(``tools/benchmark.py``).

Model frames/s, as the published table measures it: one frame + flow of
``shape`` goes through the config's test pipeline once, then the forward is
timed (normalisation, the encoder-decoder in the config's test mode, the
resize back to the frame size and the softmax; synchronised on CUDA).
End-to-end frames/s: :func:`hfan.infer.run` on a DAVIS2SEG-style folder
(JPEG decoding, the model, PNG encoding and writing; model building
excluded).
"""
import datetime
import os.path as osp
import platform
import statistics
import tempfile
import time
import warnings
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np
import torch

from hfan.apis.inference import VideoSegmenter
from hfan.infer import run
from hfan.utils.defaults import default_device


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU's model and torch's thread count."""
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return f'{model} ({torch.get_num_threads()} threads)'


def time_model(segmenter: VideoSegmenter, shape: Sequence[int], repeat: int,
               warmup: int) -> Dict[str, Any]:
    """Time the forward of one prepared random frame + flow.

    Args:
        segmenter: the model and its test mode.
        shape: ``(H, W)`` of the frame before the test pipeline.
        repeat: timed forward passes, after ``warmup`` untimed ones.

    Returns:
        ``dict(model_input, median_ms, mean_ms, min_ms, model_fps)``:
        ``model_input`` lists the ``[H, W]`` of each view the model sees
        (several with the multi-scale + flip test, all timed together);
        ``model_fps`` is 1 / the median time.
    """
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    flow = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    prepared = [segmenter.prepare(frame, flow)]
    inputs = prepared[0]['inputs']
    views = inputs if isinstance(inputs, list) else [inputs]
    cuda = segmenter.device.type == 'cuda'
    times = []
    for i in range(warmup + repeat):
        if cuda:
            torch.cuda.synchronize(segmenter.device)
        start = time.perf_counter()
        segmenter.predict(prepared)
        if cuda:
            torch.cuda.synchronize(segmenter.device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return dict(
        model_input=[list(v.shape[1:]) for v in views],
        median_ms=1000 * median,
        mean_ms=1000 * statistics.fmean(times),
        min_ms=1000 * min(times),
        model_fps=1.0 / median)


def time_end_to_end(config: str, checkpoint: str,
                    output_dir: Optional[str] = None,
                    **options) -> Dict[str, Any]:
    """Time :func:`hfan.infer.run` segmenting every frame (no resume).

    Args:
        output_dir: where the masks go (None: a temporary folder, removed
            afterwards).
        **options: further :class:`~hfan.infer.InferenceOptions` fields
            (``input``, ``max_frames``, ``device`` ...).

    Returns:
        ``dict(e2e_frames, e2e_seconds, e2e_fps)``.
    """
    with tempfile.TemporaryDirectory() as tmp:
        stats = run(config=config, checkpoint=checkpoint,
                    output_dir=output_dir or osp.join(tmp, 'masks'),
                    overwrite=True, progress=False, **options)
    return dict(e2e_frames=stats['frames'], e2e_seconds=stats['seconds'],
                e2e_fps=stats['fps'])


def measure_speed(config: str,
                  checkpoint: Optional[str] = None,
                  shape: Tuple[int, int] = (480, 854),
                  aug_test: bool = False,
                  fp16: bool = False,
                  device: Optional[str] = None,
                  repeat: int = 50,
                  warmup: int = 10,
                  cfg_options: Optional[Dict[str, Any]] = None,
                  end_to_end: bool = False,
                  command: Optional[str] = None,
                  **end_to_end_options) -> Dict[str, Any]:
    """Model frames/s of ``config`` and, with ``end_to_end``, the frames/s
    of the inference run.

    Args:
        checkpoint: weights (speed does not depend on them; None: random,
            model frames/s only).
        shape: ``(H, W)`` of the frame before the test pipeline (default: a
            DAVIS-16 frame).
        device: None: :func:`hfan.utils.defaults.default_device`.
        repeat, warmup: timed and untimed forward passes first.
        command: the command that measures, recorded with the figures.
        **end_to_end_options: :func:`time_end_to_end`'s (``input``,
            ``split``, ``max_frames``, ``output_dir``, ``workers``).

    Returns:
        ``dict(date, device, config, checkpoint, test_mode, aug_test, fp16,
        frame_shape, repeat, warmup, torch, command)`` with
        :func:`time_model`'s figures and, with ``end_to_end``,
        :func:`time_end_to_end`'s.

    Raises:
        ValueError: ``repeat`` < 1, ``warmup`` < 0, or ``end_to_end``
            without a checkpoint.
    """
    if repeat < 1 or warmup < 0:
        raise ValueError(f'repeat must be >= 1 and warmup >= 0, got '
                         f'{repeat} and {warmup}')
    if end_to_end and not checkpoint:
        raise ValueError('end_to_end runs hfan.infer.run, which needs a '
                         'checkpoint')
    device = device or default_device()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # "random weights" is expected here
        segmenter = VideoSegmenter(
            config, checkpoint, device=device, aug_test=aug_test, fp16=fp16,
            cfg_options=cfg_options)
    result = dict(
        date=datetime.date.today().isoformat(),
        device=device_name(segmenter.device),
        config=config,
        checkpoint=checkpoint,
        test_mode=segmenter.test_mode,
        aug_test=aug_test,
        fp16=fp16,
        frame_shape=list(shape),
        repeat=repeat,
        warmup=warmup,
        torch=torch.__version__,
        command=command)
    result.update(time_model(segmenter, shape, repeat, warmup))
    del segmenter  # its memory, before the run loads the model again
    if end_to_end:
        result.update(time_end_to_end(
            config, checkpoint, device=device, aug_test=aug_test, fp16=fp16,
            cfg_options=cfg_options, **end_to_end_options))
    return result


def markdown_table(result: Dict[str, Any]) -> str:
    """``result`` of :func:`measure_speed` as a Markdown table: header,
    rule and one row."""
    header = ('| date | device | config | test | input | model FPS '
              '| end-to-end FPS | command |')
    rule = '|' + '---|' * 8
    test = result['test_mode'] + (' + MS/flip' if result['aug_test'] else '')
    test += ' fp16' if result['fp16'] else ' fp32'
    e2e = (f"{result['e2e_fps']:.2f}" if 'e2e_fps' in result else '-')
    sizes = ['x'.join(map(str, s)) for s in result['model_input']]
    inputs = ', '.join(  # e.g. "384x704 (2), 512x928 (2), 896x1600 (2)"
        size + (f' ({sizes.count(size)})' if sizes.count(size) > 1 else '')
        for size in dict.fromkeys(sizes))
    row = (f"| {result['date']} | {result['device']} | "
           f"{osp.basename(result['config'])} | {test} | {inputs} | "
           f"{result['model_fps']:.2f} ({result['median_ms']:.1f} ms) | "
           f"{e2e} | `{result['command']}` |")
    return '\n'.join([header, rule, row])
