"""HFAN's frame and flow features before and after FAM / FAT, recorded in a
forward pass and drawn as a grid (``tools/visualize_features.py``).

:class:`FusionRecorder` records, for each of the four levels, what the
head's fusion module ``decode_head.fusions[i]`` receives and returns
(forward hooks): the frame-stream and flow-stream features going in, and
the fused feature coming out. Inside the fusion it also records FAM's
aligned features (the outputs of ``FeatureAlignment.align``) and FAT's gate
(``FeatureAdaptation.gate``: the per-pixel weight of the frame stream; the
flow gets one minus it), where the variant has them (``select_method``
hfan: both; fam; fat; im / fw / base: neither).

:func:`level_images` makes one level's maps pictures on a shared scale and
:func:`plot_fusion_features` writes the grid. A model in sliding-window mode
calls each fusion once per window: record in whole-image mode.
"""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from torch import Tensor, nn

from .feature_maps import feature_maps_to_images

#: The recorded maps of a level, in the grid's column order, and the titles
#: of their columns.
COLUMN_TITLES = {
    'frame_in': 'frame stream in',
    'flow_in': 'flow stream in',
    'frame_fam': 'frame after FAM',
    'flow_fam': 'flow after FAM',
    'gate': 'FAT weight of frame',
    'fused': 'fused out',
}


def read_frame_and_flow(pair: Optional[Sequence[str]] = None,
                        frames: Optional[Sequence[str]] = None,
                        video: Optional[str] = None,
                        index: int = 0,
                        flow: str = 'dis') -> Tuple[np.ndarray, np.ndarray]:
    """One frame and its colour-coded flow image, from one of three sources.

    Args:
        pair: ``(frame, flow image)`` files.
        frames: ``(frame, next frame)`` files; the flow is computed.
        video: a video file or frame folder; the flow of frame ``index`` to
            the next one (the last frame: to the previous one) is computed.
        index: the frame of ``video``.
        flow: the flow estimator (:data:`hfan.flow.FLOW_ESTIMATORS`).

    Returns:
        ``(frame, flow image)``: BGR ``uint8`` (H, W, 3) each.

    Raises:
        ValueError: images of different sizes, ``index`` out of range.
    """
    from hfan.flow import (
        build_flow_estimator,
        flow_to_bgr,
        iter_frames_with_forward_flow,
    )
    from hfan.io import FrameFolder, open_video
    if pair:
        frame, flow_image = (FrameFolder.read(p) for p in pair)
        if frame.shape != flow_image.shape:
            raise ValueError(f'{pair[0]} and {pair[1]} differ in size')
        return frame, flow_image
    estimator = build_flow_estimator(flow)
    if frames:
        images = [FrameFolder.read(p) for p in frames]
        if images[0].shape != images[1].shape:
            raise ValueError(f'{frames[0]} and {frames[1]} differ in size')
    else:
        images = open_video(video)
        if not 0 <= index < len(images):
            raise ValueError(f'--index {index}: {video} has '
                             f'{len(images)} frames')
    for t, frame, flow_field in iter_frames_with_forward_flow(
            images, estimator):
        if frames or t == index:
            return frame, flow_to_bgr(flow_field)
    raise ValueError('no frame')  # not reached: lengths are checked


class FusionRecorder:
    """Records the inputs / outputs of ``head.fusions[i]`` and, inside them,
    FAM's aligned maps and FAT's gate, for one forward pass.

    Args:
        head: an ``HFANHead`` (``model.decode_head``).

    Attributes:
        maps: ``{level: {name: (C, h, w) float32 array}}`` of the last
            forward pass (batch item 0), levels 0-3, names those of
            :data:`COLUMN_TITLES` that the variant has.
    """

    def __init__(self, head: nn.Module):
        from hfan.models.fusion import FeatureAdaptation, FeatureAlignment
        self.maps: Dict[int, Dict[str, np.ndarray]] = {}
        self._handles = []
        self._patched = []
        for level, fusion in enumerate(head.fusions):
            self._handles.append(
                fusion.register_forward_hook(self._fusion_hook(level)))
            for module in fusion.modules():
                # align() and gate() are methods, not submodules: wrap them
                # on the instance to see their results.
                if isinstance(module, FeatureAlignment):
                    self._wrap(module, 'align', level, ('frame_fam',
                                                        'flow_fam'))
                if isinstance(module, FeatureAdaptation):
                    self._wrap(module, 'gate', level, ('gate', ))

    @staticmethod
    def _numpy(tensor: Tensor) -> np.ndarray:
        return tensor.detach().float().cpu().numpy()[0]  # batch of one

    def _fusion_hook(self, level: int) -> Callable:
        def hook(module, inputs, output):
            record = self.maps.setdefault(level, {})
            record['frame_in'] = self._numpy(inputs[0])
            record['flow_in'] = self._numpy(inputs[1])
            record['fused'] = self._numpy(output)
        return hook

    def _wrap(self, module: nn.Module, method: str, level: int,
              names: Tuple[str, ...]) -> None:
        original = getattr(module, method)

        def wrapped(*args, **kwargs):
            result = original(*args, **kwargs)
            values = result if isinstance(result, tuple) else (result, )
            record = self.maps.setdefault(level, {})
            for name, value in zip(names, values):
                record[name] = self._numpy(value)
            return result

        setattr(module, method, wrapped)
        self._patched.append((module, method))

    def remove(self) -> None:
        """Leave the model as it was: hooks removed, methods unwrapped."""
        for handle in self._handles:
            handle.remove()
        for module, method in self._patched:
            delattr(module, method)  # back to the class's method


def level_images(record: Dict[str, np.ndarray],
                 mode: str) -> Dict[str, np.ndarray]:
    """``{column: BGR uint8 image}`` of one level's recorded maps.

    The feature maps share their normalisation
    (:func:`~hfan.visualization.feature_maps_to_images` in ``mode``), so a
    stream before and after a module can be compared; FAT's gate, a weight
    in [0, 1] averaged over channels, is on a fixed scale (0.5 = equal
    weights).
    """
    names = [n for n in ('frame_in', 'flow_in', 'frame_fam', 'flow_fam',
                         'fused') if n in record]
    images = dict(zip(names, feature_maps_to_images(
        [record[n] for n in names], mode)))
    if 'gate' in record:
        weight = record['gate'].mean(0)
        images['gate'] = cv2.applyColorMap(
            np.rint(np.clip(weight, 0, 1) * 255).astype(np.uint8),
            cv2.COLORMAP_VIRIDIS)
    return images


def plot_fusion_features(path: str, top: List[Tuple[str, np.ndarray]],
                         rows: List[Tuple[str, Dict[str, np.ndarray]]],
                         title: str) -> None:
    """Write the grid as a PNG with matplotlib (Agg, bundled fonts),
    atomically.

    Args:
        path: the PNG file.
        top: the first row, ``(label, BGR image)`` each (frame, flow...).
        rows: one row per level: ``(label, level_images(...))``; the columns
            are those of :data:`COLUMN_TITLES` that any row has.
        title: the figure's title.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from hfan.utils.atomic_io import atomic_path
    used = [c for c in COLUMN_TITLES if any(c in images for _, images in rows)]
    ncols = max(len(used), len(top))
    nrows = 1 + len(rows)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.4 * ncols,
                                                    2.1 * nrows),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis('off')
    for ax, (label, image) in zip(axes[0], top):
        ax.imshow(image[..., ::-1])
        ax.set_title(label, fontsize=9)
    for r, (label, images) in enumerate(rows, start=1):
        for c, name in enumerate(used):
            if name not in images:
                continue
            ax = axes[r][c]
            ax.imshow(images[name][..., ::-1], interpolation='nearest')
            ax.set_title(f'{label}: {COLUMN_TITLES[name]}', fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format='png', dpi=100)
    plt.close(fig)
