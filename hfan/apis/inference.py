"""Segmenting frames and videos with a trained HFAN model.

:class:`VideoSegmenter` wraps model building, checkpoint loading, the
config's test pipeline and the test-time options (sliding windows, the
published multi-scale + flip test, both flow directions, CUDA fp16 autocast)
behind a few calls::

    seg = VideoSegmenter('local_configs/hfan/hfan.small.512x512.refine.py',
                         'checkpoint/HFAN-s-converted.pth', device='cuda:0')
    mask, prob = seg.segment_pair(frame_bgr, flow_bgr)     # one frame
    masks, probs = seg.segment_batch(frames, flows)         # several
    for t, mask, prob in seg.segment_video(frames):         # a whole video,
        ...                                                  # flow computed
    for v, t, mask, prob in seg.segment_videos(              # several, as
            [VideoStream(frames) for frames in videos]):     # one stream
        ...

Inputs are what OpenCV decodes: BGR ``uint8`` arrays ``(H, W, 3)``; the flow
is the colour-coded flow image of the published data (``flow/<split>/*.jpg``)
or a raw ``(H, W, 2)`` flow field, which is colour-coded here as the
published data was (:func:`hfan.flow.flow_to_bgr`).
"""
import contextlib
import copy
import os
import warnings
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmseg.models.utils import resize
from torch import Tensor

from .config import load_config
from .frame_pipeline import FramePipeline
from .model import build_model

#: Pipeline steps that read files; in memory the arrays are given instead.
_FILE_LOADING = frozenset({
    'LoadFrameAndFlow', 'LoadImageFromFile', 'LoadImageFromNDArray',
    'LoadBinaryAnnotations', 'LoadAnnotations'
})

FP16_NEEDS_CUDA = (
    'fp16 runs the forward under CUDA float16 autocast, as the published '
    'numbers were computed; device {device!r} is not a CUDA device. Run in '
    'float32 on the CPU (leave out --fp16 / fp16=True).')

#: What computes the logits (see VideoSegmenter's ``backend``).
BACKENDS = ('torch', 'onnxruntime')

Mask = np.ndarray  # (H, W) uint8 in {0, 1}
Probability = np.ndarray  # (H, W) float32 foreground probability


def in_memory_pipeline(pipeline: Sequence[dict]) -> List[dict]:
    """A test (or TTA) pipeline config without its file-loading steps.

    ``LoadFrameAndFlow`` and the annotation loaders are dropped, also inside
    ``TestTimeAug``'s transform groups, so the rest of the pipeline (Resize,
    ResizeToMultiple, flips, PackSegInputs) runs on an ``img`` that is
    already in the results dict.
    """
    steps = []
    for step in copy.deepcopy(list(pipeline)):
        kind = step.get('type')
        if kind in _FILE_LOADING:
            continue
        if kind == 'TestTimeAug':
            groups = [[t for t in group if t.get('type') not in _FILE_LOADING]
                      for group in step['transforms']]
            step['transforms'] = [group for group in groups if group]
        steps.append(step)
    return steps


def test_pipeline_of(cfg: Config, aug_test: bool = False) -> List[dict]:
    """The pipeline a config tests with: ``tta_pipeline`` for the
    multi-scale test, else the test dataset's (``test_pipeline`` when the
    config has no test dataloader)."""
    if aug_test:
        if 'tta_pipeline' not in cfg:
            raise ValueError(
                'the multi-scale test needs a `tta_pipeline` in the config '
                '(see local_configs/_base_/datasets/davis2seg.py)')
        return cfg.tta_pipeline
    dataset = (cfg.get('test_dataloader') or {}).get('dataset')
    while isinstance(dataset, dict):  # through RepeatDataset & co.
        if 'pipeline' in dataset:
            return dataset['pipeline']
        dataset = dataset.get('dataset')
    if 'test_pipeline' in cfg:
        return cfg.test_pipeline
    raise ValueError('the config has neither test_dataloader.dataset.pipeline '
                     'nor test_pipeline')


def checked_frame(frame: np.ndarray) -> np.ndarray:
    """``frame`` as an array, refused unless a BGR uint8 (H, W, 3) image."""
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError('expected a BGR uint8 frame of shape (H, W, 3), got '
                         f'{frame.dtype} {frame.shape}')
    return frame


def flow_image(flow: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """The BGR uint8 flow image of ``frame``: ``flow`` as it is, or
    colour-coded (``flow_to_bgr``) when it is a raw (H, W, 2) field;
    refused unless of the frame's size."""
    flow = np.asarray(flow)
    if flow.ndim == 3 and flow.shape[2] == 2:
        from hfan.flow import flow_to_bgr
        flow = flow_to_bgr(flow)
    if flow.ndim != 3 or flow.shape[2] != 3 or flow.dtype != np.uint8:
        raise ValueError(
            'expected the flow as a BGR uint8 colour-coded image (H, W, 3) '
            f'or a raw flow field (H, W, 2), got {flow.dtype} {flow.shape}')
    if frame.shape != flow.shape:
        raise ValueError(f'the frame is {frame.shape[1]}x{frame.shape[0]} but '
                         f'its flow is {flow.shape[1]}x{flow.shape[0]}; they '
                         'must have the same size')
    return flow


#: environment variable with the default of ``cpu_bf16`` (auto / on / off)
CPU_BF16_ENV = 'HFAN_CPU_BF16'


def native_cpu_bf16() -> bool:
    """True when this CPU computes bfloat16 natively for oneDNN (AVX512-BF16
    or AMX), where bf16 autocast is faster than float32."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_cpu_bf16(cpu_bf16: Optional[bool], device: torch.device,
                     backend: str) -> bool:
    """Whether the CPU forward runs under bf16 autocast (see
    :class:`VideoSegmenter`'s ``cpu_bf16``). ``None`` follows the
    environment variable ``HFAN_CPU_BF16`` (``auto``, the default, ``on`` or
    ``off``)."""
    if cpu_bf16 is None:
        choice = os.environ.get(CPU_BF16_ENV, 'auto').strip().lower()
        if choice not in ('auto', 'on', 'off'):
            raise ValueError(f'{CPU_BF16_ENV}={choice!r}; expected auto, on '
                             'or off')
        if choice != 'auto':
            return resolve_cpu_bf16(choice == 'on', device, backend)
        return (device.type == 'cpu' and backend == 'torch'
                and native_cpu_bf16())
    if cpu_bf16 and device.type != 'cpu':
        raise ValueError(f'cpu_bf16 is for the CPU, the device is {device}; '
                         'on CUDA use fp16 (--fp16)')
    if cpu_bf16 and backend != 'torch':
        raise ValueError('cpu_bf16 runs the PyTorch forward under autocast; '
                         f'the {backend} backend runs the float32 graph')
    return bool(cpu_bf16)


def frame_probabilities(seg_logits: Tensor, metas: Sequence[dict],
                        align_corners: bool) -> List[Tensor]:
    """Softmax class probabilities of a batch at each frame's size.

    What MMSeg's ``postprocess_result`` does to the logits (padding cut,
    flip undone, bilinear resize to ``ori_shape``), then a softmax. Written
    out because ``postprocess_result`` also takes a per-pixel argmax that
    inference discards, and at 480p that argmax costs as much as DIS flow.

    Args:
        seg_logits: (B, C, H, W) logits at the padded input size.
        metas: B image metainfo dicts (``ori_shape``, ``padding_size`` or
            ``img_padding_size``, ``flip``, ``flip_direction``).
        align_corners: the decode head's.

    Returns:
        B (C, h, w) float32 tensors, ``(h, w) = ori_shape``.
    """
    height, width = seg_logits.shape[2:]
    probs = []
    for i, meta in enumerate(metas):
        left, right, top, bottom = meta.get(
            'img_padding_size', meta.get('padding_size', [0] * 4))
        logits = seg_logits[i:i + 1, :, top:height - bottom,
                            left:width - right]
        if meta.get('flip'):
            logits = logits.flip(
                dims=(3, ) if meta.get('flip_direction') == 'horizontal' else
                (2, ))
        logits = resize(
            logits,
            size=meta['ori_shape'],
            mode='bilinear',
            align_corners=align_corners,
            warning=False)[0]
        probs.append(logits.float().softmax(dim=0))
    return probs


def argmax_classes(probs: Tensor) -> Tensor:
    """(C, H, W) probabilities -> (H, W) uint8 class map (first maximum on
    ties, as ``argmax``); two classes take one comparison, which is ~20x
    faster than ``argmax`` over the leading dimension."""
    if probs.shape[0] == 2:
        return (probs[1] > probs[0]).to(torch.uint8)
    return probs.argmax(dim=0).to(torch.uint8)


class VideoStream(NamedTuple):
    """A video for :meth:`VideoSegmenter.segment_videos`: the arguments of
    :meth:`VideoSegmenter.segment_video` that belong to one video."""
    frames: Iterable[Any]
    flows: Optional[Iterable[Any]] = None
    load: Optional[Callable[[Any], np.ndarray]] = None
    skip: Optional[Callable[[int], bool]] = None


class VideoSegmenter:
    """An HFAN model ready to segment frames, batches and videos.

    Args:
        config: config file path or :class:`~mmengine.config.Config`. The
            model, ``model.test_cfg`` (``mode='whole'`` or ``'slide'`` with
            ``crop_size``/``stride``) and the test pipeline (or
            ``tta_pipeline``) are taken from it.
        checkpoint: weights: this project's checkpoints or the published
            layout, loaded strictly (an error lists missing / unexpected
            keys). ``None`` keeps random weights (benchmarks, tests).
        device: ``'cpu'``, ``'cuda'``, ``'cuda:1'``...
        aug_test: the published multi-scale test: every view of the config's
            ``tta_pipeline`` (ratios 0.75 / 1.0 / 1.75, each unflipped and
            flipped) is segmented, its softmax probabilities are brought
            back to the frame size (flip undone), and the probabilities are
            averaged -- what MMSeg's ``SegTTAModel`` computes, with the
            averaged probability kept.
        flow_directions: how :meth:`segment_video` computes the flow of a
            frame: ``'forward'``, the published rule (``t -> t+1``), or
            ``'both'``: the frame is segmented with ``t -> t+1`` and with
            the reversed backward flow ``-(t -> t-1)`` and the two softmax
            probabilities are averaged
            (:func:`hfan.flow.iter_frames_with_flows`). ``None`` (default):
            the config's ``test_flow_directions``, else ``'forward'``.
        fp16: run the forward under CUDA float16 autocast with a float16
            input, as the published numbers were computed (sliding-window
            sums in float16 too). CUDA only: refused on other devices.
        cfg_options: config overrides (``--cfg-options`` dict), applied with
            :func:`hfan.apis.load_config` rules.
        prefetch: in :meth:`segment_video`, read frames and compute their
            flows in a background thread while the model runs (same
            results, in order; errors are raised where they happened).
        cpu_bf16: on the CPU, run the forward under bfloat16 autocast
            (faster where the CPU has native bf16; masks nearly those of
            float32: docs/benchmarks.md).
            ``None`` (default): ``$HFAN_CPU_BF16`` if set (``on``/``off``),
            else on where the CPU computes bf16 natively (AVX512-BF16 or
            AMX) and the backend is PyTorch, off elsewhere, where it would
            be emulated and slower. ``False``: float32.
        backend: what computes the logits: ``'torch'`` (PyTorch, eager) or
            ``'onnxruntime'``: the model exported to ONNX
            (:func:`hfan.deploy.export_onnx`, cached by weight digest in
            ``$HFAN_ONNX_CACHE``, default ``~/.cache/hfan/onnx``) and run by
            ONNX Runtime; pre- and post-processing, sliding windows and the
            multi-scale test stay the same. Not with ``fp16``.
        onnx_file: with ``backend='onnxruntime'``, an exported file to use
            instead of the cache; refused unless exported from these
            weights.
        trust_checkpoint: allow a checkpoint that ``weights_only`` loading
            refuses to be unpickled in full (it can run code); without it
            such a file is refused with a message saying how to convert it.
        model_workers: in :meth:`segment_video`, how many batches are
            segmented at once, each in its own thread with an equal share
            of PyTorch's threads (the same masks, in order; probabilities
            equal to float rounding). ``None``
            (default): 2 on a CPU with at least 2 threads and the PyTorch
            backend, where two forwards side by side keep the cores busier
            than one forward over both (docs/benchmarks.md), else 1.

    On the CPU, glibc's malloc is told to keep the memory freed by one
    forward for the next, once per process (:func:`hfan.utils.allocator.
    keep_freed_memory_for_reuse`): faster, and the process holds on to its
    peak memory.

    Attributes:
        model: the segmentor (eval mode, on ``device``).
        cfg: the config used.
        pipeline: the in-memory test pipeline (``Compose``).
    """

    def __init__(self,
                 config: Union[str, Config],
                 checkpoint: Optional[str] = None,
                 device: Union[str, torch.device] = 'cpu',
                 aug_test: bool = False,
                 fp16: bool = False,
                 cpu_bf16: Optional[bool] = None,
                 cfg_options: Optional[Dict[str, Any]] = None,
                 trust_checkpoint: bool = False,
                 flow_directions: Optional[str] = None,
                 prefetch: bool = True,
                 backend: str = 'torch',
                 onnx_file: Optional[str] = None,
                 model_workers: Optional[int] = None):
        if backend not in BACKENDS:
            raise ValueError(f'unknown backend {backend!r}; choose one of '
                             f'{list(BACKENDS)}')
        if backend == 'onnxruntime' and fp16:
            raise ValueError(
                'fp16 runs the PyTorch forward under CUDA autocast; the ONNX '
                'Runtime backend runs the exported float32 graph. Use '
                "backend='torch' (--backend torch) with fp16")
        if onnx_file is not None and backend != 'onnxruntime':
            raise ValueError("an ONNX file is used by backend='onnxruntime' "
                             '(--backend onnxruntime) only')
        self.device = torch.device(device)
        if fp16 and self.device.type != 'cuda':
            raise ValueError(FP16_NEEDS_CUDA.format(device=str(device)))
        if self.device.type == 'cuda' and not torch.cuda.is_available():
            raise RuntimeError(f'device {str(device)!r} was asked for but '
                               'CUDA is not available; use device="cpu"')
        if isinstance(config, Config):
            cfg = copy.deepcopy(config)
            if cfg_options:
                cfg.merge_from_dict(cfg_options)
        else:
            cfg = load_config(str(config), cfg_options)
        self.cfg = cfg
        self.aug_test = aug_test
        from hfan.flow import configured_flow_directions
        self.flow_directions = configured_flow_directions(
            cfg, flow_directions)
        self.fp16 = fp16
        self.checkpoint = checkpoint
        self.prefetch = prefetch
        self.backend = backend
        self.cpu_bf16 = resolve_cpu_bf16(cpu_bf16, self.device, backend)
        self.model_workers = resolve_model_workers(model_workers,
                                                   self.device, backend)

        if self.device.type == 'cpu':
            from hfan.utils.allocator import keep_freed_memory_for_reuse
            keep_freed_memory_for_reuse()
        self.model = build_model(cfg, checkpoint, device=self.device,
                                 trust_checkpoint=trust_checkpoint)
        if checkpoint is None:
            warnings.warn('VideoSegmenter: no checkpoint, the model keeps '
                          'random weights')
        if backend == 'onnxruntime':
            self.model.logits_runtime = _onnxruntime_logits(
                self.model, onnx_file, self.device,
                dict(config=str(config) if not isinstance(config, Config)
                     else '', checkpoint=str(checkpoint)))
        if (self.device.type == 'cuda'
                and cfg.get('env_cfg', {}).get('cudnn_benchmark', False)):
            torch.backends.cudnn.benchmark = True
        self.pipeline = Compose(
            in_memory_pipeline(test_pipeline_of(cfg, aug_test)))
        # the same pipeline, a frame with several flows resized once
        self._frame_pipeline = FramePipeline(self.pipeline)
        self._flow_estimators: Dict[str, Callable] = {}

    @property
    def test_mode(self) -> str:
        """``'whole'`` or ``'slide'`` (from ``model.test_cfg``)."""
        return self.model.test_cfg.get('mode', 'whole')

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(checkpoint={self.checkpoint!r}, '
                f'device={str(self.device)!r}, mode={self.test_mode!r}, '
                f'aug_test={self.aug_test}, fp16={self.fp16}, '
                f'cpu_bf16={self.cpu_bf16}, '
                f'flow_directions={self.flow_directions!r}, '
                f'backend={self.backend!r}, '
                f'model_workers={self.model_workers})')

    # -- the two halves of a forward -----------------------------------------
    def prepare(self, frame: np.ndarray, flow: np.ndarray) -> dict:
        """Run the test pipeline on one pair.

        Returns:
            ``dict(inputs, data_samples)``: a (6, h, w) uint8 tensor and its
            ``SegDataSample`` (``aug_test``: lists of both, one per view).
        """
        return self.prepare_frame(frame, [flow])[0]

    def prepare_frame(self, frame: np.ndarray,
                      flows: Sequence[np.ndarray]) -> List[dict]:
        """:meth:`prepare` of ``frame`` with each of ``flows``; the frame
        goes through the pipeline's leading resizes once
        (:class:`~hfan.apis.frame_pipeline.FramePipeline`: the same
        samples)."""
        frame = checked_frame(frame)
        return self._frame_pipeline(
            frame, [flow_image(flow, frame) for flow in flows])

    @torch.no_grad()
    def predict(self, prepared: Sequence[dict]) -> List[Tensor]:
        """Softmax probabilities of prepared samples of one input size.

        Args:
            prepared: outputs of :meth:`prepare` whose frames have the same
                size (the data preprocessor stacks them into one batch).

        Returns:
            one (num_classes, H, W) float32 tensor per sample, at the
            frame's size, on the model's device; with ``aug_test`` the mean
            over the views.
        """
        if not self.aug_test:
            return self._probabilities([p['inputs'] for p in prepared],
                                       [p['data_samples'] for p in prepared])
        num_views = len(prepared[0]['inputs'])
        total = None
        for view in range(num_views):
            probs = self._probabilities(
                [p['inputs'][view] for p in prepared],
                [p['data_samples'][view] for p in prepared])
            total = probs if total is None else [
                acc.add_(p) for acc, p in zip(total, probs)
            ]
        return [acc / num_views for acc in total]

    def _probabilities(self, inputs: List[Tensor],
                       samples: list) -> List[Tensor]:
        # The forward runs in inference mode: no autograd bookkeeping on any
        # tensor (version counters, views), ~3% of the demo model's forward
        # on a CPU (docs/benchmarks.md). The probabilities are computed
        # outside it, so that callers get ordinary tensors (an inference
        # tensor cannot be changed in place outside inference mode).
        with torch.inference_mode():
            data = self.model.data_preprocessor(
                dict(inputs=inputs, data_samples=samples), False)
        metas = [sample.metainfo for sample in data['data_samples']]
        if self.fp16:
            # The published test cast the input to float16 and ran the whole
            # forward under autocast (docs/checkpoints.md, section 3, point 8).
            with torch.autocast('cuda', dtype=torch.float16):
                with torch.inference_mode():
                    logits = self.model.inference(data['inputs'].half(),
                                                  metas)
                return frame_probabilities(logits, metas,
                                           self.model.align_corners)
        with torch.autocast('cpu', dtype=torch.bfloat16,
                            enabled=self.cpu_bf16), torch.inference_mode():
            logits = self.model.inference(data['inputs'], metas)
        return frame_probabilities(logits.float(), metas,
                                   self.model.align_corners)

    # -- public API ----------------------------------------------------------
    def segment_pair(self, frame_bgr: np.ndarray,
                     flow_bgr: np.ndarray) -> Tuple[Mask, Probability]:
        """Segment one frame given its flow.

        Args:
            frame_bgr: (H, W, 3) uint8 BGR frame.
            flow_bgr: (H, W, 3) uint8 BGR colour-coded flow image (flow t ->
                t+1) or a raw (H, W, 2) flow field.

        Returns:
            ``mask``: (H, W) uint8, 1 = primary object (the argmax class);
            ``fg_prob``: (H, W) float32 foreground probability.
        """
        masks, probs = self.segment_batch([frame_bgr], [flow_bgr])
        return masks[0], probs[0]

    def segment_batch(
            self, frames: Sequence[np.ndarray], flows: Sequence[np.ndarray]
    ) -> Tuple[List[Mask], List[Probability]]:
        """Segment several pairs; consecutive pairs of one size share a
        forward pass.

        Args:
            frames: N (H_i, W_i, 3) uint8 BGR frames.
            flows: N flows for them (see :meth:`segment_pair`).

        Returns:
            N masks (H_i, W_i) uint8 {0, 1} and N foreground probabilities
            (H_i, W_i) float32.
        """
        if len(frames) != len(flows):
            raise ValueError(f'{len(frames)} frames but {len(flows)} flows')
        return self._masks_and_foreground(
            self._class_probabilities(frames, flows))

    def segment_frame(self, frame_bgr: np.ndarray,
                      flows: Sequence[np.ndarray]) -> Tuple[Mask,
                                                            Probability]:
        """Segment one frame given one or more flows of it, averaging.

        Args:
            frame_bgr: (H, W, 3) uint8 BGR frame.
            flows: its flows (each as in :meth:`segment_pair`), e.g. the two
                of :func:`hfan.flow.iter_frames_with_flows` with
                ``directions='both'``.

        Returns:
            ``mask`` and ``fg_prob`` as :meth:`segment_pair`, from the mean
            of the softmax probabilities over the flows (the mask is their
            argmax, as the multi-scale test does).
        """
        masks, probs = self.segment_frames([frame_bgr], [list(flows)])
        return masks[0], probs[0]

    def segment_frames(
        self, frames: Sequence[np.ndarray],
        flows: Sequence[Sequence[np.ndarray]]
    ) -> Tuple[List[Mask], List[Probability]]:
        """:meth:`segment_frame` of several frames, in shared forward
        passes (``flows[i]``: the flows of ``frames[i]``)."""
        if len(frames) != len(flows):
            raise ValueError(f'{len(frames)} frames but {len(flows)} flow '
                             'lists')
        for i, views in enumerate(flows):
            if len(views) == 0:
                raise ValueError(f'frame {i} has no flow')
        prepared = [self.prepare_frame(frame, views)
                    for frame, views in zip(frames, flows)]
        return self._segment_prepared(prepared,
                                      [frame.shape[:2] for frame in frames])

    def _segment_prepared(self, prepared: Sequence[Sequence[dict]],
                          sizes: Sequence[Tuple[int, int]]
                          ) -> Tuple[List[Mask], List[Probability]]:
        """Masks and foreground of frames given as prepared samples, one
        per flow (``prepared[i]``: frame i's, of size ``sizes[i]``), the
        probabilities averaged per frame."""
        flat = [p for views in prepared for p in views]
        flat_sizes = [size for size, views in zip(sizes, prepared)
                      for _ in views]
        probs = self._predict_runs(flat, flat_sizes)
        means, start = [], 0
        for views in prepared:
            group = probs[start:start + len(views)]
            means.append(sum(group[1:], group[0].clone()) / len(group))
            start += len(views)
        return self._masks_and_foreground(means)

    def _class_probabilities(self, frames: Sequence[np.ndarray],
                             flows: Sequence[np.ndarray]) -> List[Tensor]:
        """(num_classes, H, W) softmax probabilities of each pair;
        consecutive pairs of one size share a forward pass."""
        prepared = [self.prepare(f, fl) for f, fl in zip(frames, flows)]
        return self._predict_runs(prepared,
                                  [frame.shape[:2] for frame in frames])

    def _predict_runs(self, prepared: Sequence[dict],
                      sizes: Sequence[Tuple[int, int]]) -> List[Tensor]:
        """:meth:`predict` of each run of consecutive samples of one frame
        size."""
        probs: List[Tensor] = []
        start = 0
        for end in range(1, len(prepared) + 1):
            if end < len(prepared) and sizes[end] == sizes[start]:
                continue
            probs.extend(self.predict(prepared[start:end]))
            start = end
        return probs

    @staticmethod
    def _masks_and_foreground(
            probs: List[Tensor]) -> Tuple[List[Mask], List[Probability]]:
        return ([argmax_classes(p).cpu().numpy() for p in probs],
                [p[1].cpu().numpy() for p in probs])

    def segment_video(
        self,
        frames: Iterable[Any],
        flows: Optional[Iterable[Any]] = None,
        flow_estimator: Union[str, Callable[[np.ndarray, np.ndarray],
                                            np.ndarray]] = 'dis',
        *,
        load: Optional[Callable[[Any], np.ndarray]] = None,
        skip: Optional[Callable[[int], bool]] = None,
        batch_size: int = 1,
        flow_directions: Optional[str] = None,
    ) -> Iterator[Tuple[int, Mask, Probability]]:
        """Segment a video frame by frame, streaming.

        Args:
            frames: the frames in order, any iterable (a generator reading a
                video works); each item is a BGR uint8 (H, W, 3) image, or
                whatever ``load`` decodes (a file path, bytes...).
            flows: one flow per frame (colour-coded BGR image or raw (H, W, 2)
                field, or items for ``load``), as in the published data: t ->
                t+1, the last frame t -> t-1. ``None``: computed here with
                ``flow_estimator`` following that rule
                (:func:`hfan.flow.iter_video_flows`).
            flow_estimator: a :mod:`hfan.flow` estimator name (``'dis'``,
                ``'raft'``) or a callable ``(img1, img2) -> (H, W, 2)``.
            load: decodes an item of ``frames`` / ``flows``; called only for
                frames that are segmented (and their flow neighbours).
            skip: ``skip(t)`` true leaves frame ``t`` out (nothing is
                yielded, decoded or computed for it unless a neighbour's flow
                needs it): used to resume.
            batch_size: frames per forward pass (with both flow
                directions, each frame is two samples of the pass).
            flow_directions: ``'forward'`` or ``'both'`` for flows computed
                here (see the class); ``None``: the segmenter's. Given
                ``flows`` are one per frame: they need ``'forward'``.

        Yields:
            ``(t, mask, fg_prob)`` for each frame not skipped, in order:
            ``mask`` (H, W) uint8 {0, 1}, ``fg_prob`` (H, W) float32.

        With ``model_workers`` above 1, that many batches are segmented at
        once (:func:`hfan.utils.ordered_map.ordered_map`), each forward with
        ``torch.get_num_threads() // model_workers`` threads; PyTorch's
        thread count is set to that while the generator runs and restored
        when it ends.

        Memory: frames are read one ahead; without ``flows`` only the
        current frame and one neighbour are kept decoded, plus, with
        ``prefetch``, the ``max(2, batch_size * model_workers)`` frames
        (and their flows) prepared ahead by the background thread, and the
        ``model_workers`` batches being segmented.
        """
        yield from (result[1:] for result in self.segment_videos(
            [VideoStream(frames, flows, load, skip)], flow_estimator,
            batch_size=batch_size, flow_directions=flow_directions))

    def segment_videos(
        self,
        videos: Iterable[VideoStream],
        flow_estimator: Union[str, Callable[[np.ndarray, np.ndarray],
                                            np.ndarray]] = 'dis',
        *,
        batch_size: int = 1,
        flow_directions: Optional[str] = None,
    ) -> Iterator[Tuple[int, int, Mask, Probability]]:
        """:meth:`segment_video` of several videos, one after the other,
        as one stream.

        Args:
            videos: :class:`VideoStream` s (frames, flows, load, skip of a
                video, as :meth:`segment_video` takes them); any iterable,
                taken when the video before has been read, so that a stream
                may be made on demand (a run that stops early opens no
                further video).
            flow_estimator, batch_size, flow_directions: as in
                :meth:`segment_video`, for every video.

        Yields:
            ``(video, t, mask, fg_prob)`` for each frame not skipped, video
            by video (``video``: the stream's index in ``videos``), in order.

        The same masks as a :meth:`segment_video` per video, but the next
        video is read, its flow computed and its first frames segmented
        while the last frames of the one before are: with one call per
        video, a video's last forward ran alone (one core idle on a 2-core
        CPU) and the next video's first frame waited for its flow. A batch
        may hold frames of two videos.
        """
        from hfan.flow import check_flow_directions
        directions = check_flow_directions(
            flow_directions or self.flow_directions)
        # Decoding, flow, colour coding and the test pipeline (stacking,
        # resizing) are done ahead, in a thread with `prefetch`, while the
        # model segments the frames before.
        items = self._prepared_videos(videos, flow_estimator, directions)
        workers = self.model_workers
        if self.prefetch:
            from hfan.utils.prefetch import prefetch
            items = prefetch(items, depth=max(2, batch_size * workers))
        batches = _batched(items, batch_size)
        # one worker: ordered_map runs in this thread, the threads unchanged
        from hfan.utils.ordered_map import ordered_map
        with torch_threads(max(1, torch.get_num_threads() // workers)):
            for results in ordered_map(
                    lambda batch: list(self._segment_items(batch)), batches,
                    workers, name='hfan-model'):
                yield from results

    def _prepared_videos(self, videos, flow_estimator, directions):
        """``(video, t, frame size, one prepared sample per flow)`` of the
        frames of every video, in order."""
        for video, job in enumerate(videos):
            if job.flows is not None and directions != 'forward':
                raise ValueError(
                    'segment_video: the given flows are one per frame, but '
                    f'the flow directions are {directions!r}; pass '
                    'flows=None to compute both directions from the frames, '
                    "or flow_directions='forward' to use the given flows")
            load = job.load or _identity
            skip = job.skip or _never
            pairs = (self._pairs_with_flow(job.frames, job.flows, load, skip)
                     if job.flows is not None else self._pairs_computing_flow(
                         job.frames, flow_estimator, load, skip, directions))
            for item in self._prepare_items(pairs):
                yield (video, ) + item

    def _prepare_items(self, pairs):
        """(t, frame, flows) -> (t, frame size, one prepared sample per
        flow)."""
        for t, frame, flows in pairs:
            try:
                prepared = self.prepare_frame(frame, flows)
            except ValueError as err:
                raise ValueError(f'frame {t}: {err}') from err
            yield t, frame.shape[:2], prepared

    def _segment_items(self, batch):
        """``(video, t, mask, fg_prob)`` of a batch of
        :meth:`_prepared_videos` items."""
        try:
            masks, probs = self._segment_prepared([b[3] for b in batch],
                                                  [b[2] for b in batch])
        except ValueError as err:
            where = ', '.join(str(b[1]) for b in batch)
            raise ValueError(f'frame {where}: {err}') from err
        for (video, t, _, _), mask, prob in zip(batch, masks, probs):
            yield video, t, mask, prob

    @staticmethod
    def _pairs_with_flow(frames, flows, load, skip):
        frames, flows = iter(frames), iter(flows)
        t = 0
        while True:
            frame = next(frames, _END)
            flow = next(flows, _END)
            if frame is _END and flow is _END:
                return
            if frame is _END or flow is _END:
                raise ValueError(
                    f'segment_video: {"fewer" if frame is _END else "more"} '
                    f'frames than flows (they differ at index {t})')
            if not skip(t):
                frame_img = _load(load, frame, t, 'frame')
                flow_img = _load(load, flow, t, 'flow')
                if frame_img.shape[:2] != flow_img.shape[:2]:
                    raise ValueError(
                        f'frame {t}{_name(frame)} is {_size(frame_img)} but '
                        f'its flow{_name(flow)} is {_size(flow_img)}; they '
                        'must have the same size')
                yield t, frame_img, [flow_img]
            t += 1

    def _pairs_computing_flow(self, frames, flow_estimator, load, skip,
                              directions):
        from hfan.flow import flow_to_bgr, iter_frames_with_flows
        # Items travel with their index, so that a frame that cannot be
        # decoded is named by its position.
        pairs = iter_frames_with_flows(
            enumerate(frames), self.flow_estimator(flow_estimator),
            directions,
            load=lambda item: _load(load, item[1], item[0], 'frame'),
            skip=skip)
        for t, image, flows in pairs:
            if flows is not None:
                yield t, image, [flow_to_bgr(flow) for flow in flows]

    def flow_estimator(
        self, flow_estimator: Union[str, Callable[[np.ndarray, np.ndarray],
                                                  np.ndarray]]
    ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """The estimator named ``flow_estimator`` (``'dis'``, ``'raft'``),
        built once and kept; a callable is returned as it is."""
        if not isinstance(flow_estimator, str):
            return flow_estimator
        if flow_estimator not in self._flow_estimators:
            from hfan.flow import build_flow_estimator
            self._flow_estimators[flow_estimator] = build_flow_estimator(
                flow_estimator)
        return self._flow_estimators[flow_estimator]


_END = object()


def _batched(items: Iterable, size: int) -> Iterator[list]:
    """Lists of ``size`` consecutive items (the last may be shorter)."""
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def resolve_model_workers(model_workers: Optional[int], device: torch.device,
                          backend: str) -> int:
    """How many batches :meth:`VideoSegmenter.segment_video` segments at
    once (see the class's ``model_workers``)."""
    if model_workers is None:
        parallel = (device.type == 'cpu' and backend == 'torch'
                    and torch.get_num_threads() >= 2)
        return 2 if parallel else 1
    if isinstance(model_workers, bool) or not isinstance(model_workers, int) \
            or model_workers < 1:
        raise ValueError(f'model_workers must be a positive integer (or None '
                         f'for the default), got {model_workers!r}')
    return model_workers


@contextlib.contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Set PyTorch's intra-op thread count inside the block, restoring it
    after. Threads started inside take it on their first operator."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _onnxruntime_logits(model, onnx_file, device, metadata):
    """The ONNX Runtime logits of ``model``: ``onnx_file``, else the graph
    cached for these weights (exported on first use, ~5 s)."""
    from hfan.deploy import ONNX_OPSET, OnnxRuntimeLogits, export_onnx
    from hfan.deploy.onnx_export import model_digest
    from hfan.deploy.onnx_runtime import default_cache_dir
    digest = model_digest(model)
    path = onnx_file
    if path is None:
        name = f'hfan-{digest[:16]}-opset{ONNX_OPSET}-shared.onnx'
        path = os.path.join(default_cache_dir(), name)
        if not os.path.isfile(path):
            export_onnx(model, path, metadata=metadata, shared_frames=True)
    return OnnxRuntimeLogits(
        path, model_sha256=digest,
        num_classes=model.decode_head.num_classes, device=str(device))


def _identity(x):
    return x


def _never(_):
    return False


def _name(item) -> str:
    """' <path>' for file items, '' for arrays (for error messages)."""
    return f' {item}' if isinstance(item, (str, os.PathLike)) else ''


def _size(image: np.ndarray) -> str:
    return f'{image.shape[1]}x{image.shape[0]}'


def _load(load, item, index, what):
    image = load(item)
    if image is None:  # cv2.imread's way of failing
        raise ValueError(f'{what} {index}{_name(item)} could not be read')
    return image
