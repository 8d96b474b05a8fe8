"""ONNX Runtime as the logits backend of an HFAN segmentor."""
import os
import os.path as osp
from typing import Optional

import torch
from torch import Tensor

from hfan.models.dual_stream_encoder import unique_samples

from .onnx_export import INPUT_NAME, OUTPUT_NAME, SHARED_INPUT_NAMES

ONNXRUNTIME_MISSING = (
    'ONNX Runtime is not installed: `pip install onnxruntime==1.32.0` '
    '(tools/install.sh installs it), or use the PyTorch backend '
    '(--backend torch)')


def onnxruntime_available() -> bool:
    """True when ``import onnxruntime`` works."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


class OnnxRuntimeLogits:
    """An exported HFAN graph (:func:`export_onnx`) run by ONNX Runtime.

    Callable as ``VOSEncoderDecoder.logits_runtime``: (N, 6, H, W) float32
    normalised input -> (N, C, H/4, W/4) logits, on the input's device.

    Args:
        path: the ``.onnx`` file.
        model_sha256: the digest of the weights the caller segments with
            (:func:`~hfan.deploy.onnx_export.model_digest`); a file exported
            from other weights, or one without the digest, is refused, so
            that the masks are never those of another model.
        num_classes: the classes the caller expects (checked likewise).
        threads: intra-op threads (default: torch's, i.e. the cores).
        device: ``'cpu'`` or a CUDA device (CUDA provider, when ONNX
            Runtime has it; refused otherwise).

    Raises:
        ImportError: ONNX Runtime is missing.
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not an HFAN logits graph of these weights.
    """

    def __init__(self,
                 path: str,
                 model_sha256: Optional[str] = None,
                 num_classes: Optional[int] = None,
                 threads: Optional[int] = None,
                 device: str = 'cpu'):
        try:
            import onnxruntime as ort
        except ImportError:
            raise ImportError(ONNXRUNTIME_MISSING) from None
        if not osp.isfile(path):
            raise FileNotFoundError(f'ONNX file {path} does not exist')
        self.path = path
        self.device = torch.device(device)
        providers = ['CPUExecutionProvider']
        if self.device.type == 'cuda':
            if 'CUDAExecutionProvider' not in ort.get_available_providers():
                raise ValueError(
                    f'device {device!r}: this ONNX Runtime has no CUDA '
                    'provider (install onnxruntime-gpu), or use --backend '
                    'torch')
            providers = [('CUDAExecutionProvider', {
                'device_id': self.device.index or 0
            })]
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.log_severity_level = 3  # errors only
        try:
            self.session = ort.InferenceSession(
                path, options, providers=providers)
        except Exception as err:  # ORT raises its own classes
            raise ValueError(f'{path} is not an ONNX model ONNX Runtime can '
                             f'load: {err}') from None
        self.metadata = dict(
            self.session.get_modelmeta().custom_metadata_map)
        self._check_signature()
        self._check_model(model_sha256, num_classes)

    def _check_signature(self) -> None:
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        names = tuple(i.name for i in inputs)
        self.shared_frames = names == SHARED_INPUT_NAMES
        channels = 3 if self.shared_frames else 6
        if ((names != (INPUT_NAME, ) and not self.shared_frames)
                or [o.name for o in outputs] != [OUTPUT_NAME]
                or len(inputs[0].shape) != 4
                or inputs[0].shape[1] != channels):
            got = ', '.join(f'{i.name} {i.shape}' for i in inputs)
            raise ValueError(
                f'{self.path} is not an HFAN logits graph: expected one input '
                f"'{INPUT_NAME}' of shape (N, 6, H, W) (or the inputs "
                f'{", ".join(SHARED_INPUT_NAMES)} of a shared-frame graph) '
                f"and one output '{OUTPUT_NAME}', got inputs {got}; export "
                'one with tools/export_onnx.py')
        # A dimension exported as a fixed number only runs at that size.
        self.fixed_size = tuple(
            d if isinstance(d, int) else None for d in inputs[0].shape[2:])

    def _check_model(self, model_sha256, num_classes) -> None:
        if model_sha256 is not None:
            got = self.metadata.get('model_sha256')
            if got != model_sha256:
                raise ValueError(
                    f'{self.path} was exported from other weights than the '
                    'checkpoint given (model digest '
                    f'{(got or "absent")[:12]} vs {model_sha256[:12]}); its '
                    'masks would be another model\'s. Export this checkpoint '
                    'with tools/export_onnx.py, or leave the ONNX file out')
        got_classes = self.metadata.get('num_classes')
        if num_classes is not None and got_classes not in (
                None, str(num_classes)):
            raise ValueError(
                f"{self.path} has {self.metadata['num_classes']} classes, the "
                f'config {num_classes}')

    def __call__(self, inputs: Tensor) -> Tensor:
        size = tuple(inputs.shape[2:])
        for fixed, actual in zip(self.fixed_size, size):
            if fixed is not None and fixed != actual:
                raise ValueError(
                    f'{self.path} was exported for inputs of '
                    f'{self.fixed_size[0]}x{self.fixed_size[1]} but the test '
                    f'pipeline gives {size[0]}x{size[1]}; export it with '
                    'dynamic sizes (tools/export_onnx.py does)')
        array = inputs.detach().float().cpu().contiguous()
        if self.shared_frames:
            frames, flows = array.split(3, dim=1)
            frames, index = unique_samples(frames)
            feed = dict(frames=frames.contiguous().numpy(),
                        flows=flows.contiguous().numpy(),
                        frame_index=index.numpy())
        else:
            feed = {INPUT_NAME: array.numpy()}
        logits = self.session.run([OUTPUT_NAME], feed)[0]
        return torch.from_numpy(logits).to(inputs.device)

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.path!r})'


def default_cache_dir() -> str:
    """Where exported graphs of the user path are kept
    (``$HFAN_ONNX_CACHE``, default ``~/.cache/hfan/onnx``)."""
    return os.environ.get('HFAN_ONNX_CACHE',
                          osp.join(osp.expanduser('~'), '.cache', 'hfan',
                                   'onnx'))
