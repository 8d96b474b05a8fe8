
"""Export an HFAN model to ONNX: normalised frame+flow in, logits out."""
import hashlib
import json
import os
import os.path as osp
import warnings
from typing import Dict, Optional, Sequence

import torch
from torch import Tensor, nn

#: The ONNX opset of exported graphs (ONNX Runtime >= 1.14 runs it).
ONNX_OPSET = 17
INPUT_NAME = 'inputs'
OUTPUT_NAME = 'logits'
#: the inputs of a graph exported with ``shared_frames=True``
SHARED_INPUT_NAMES = ('frames', 'flows', 'frame_index')


class LogitsGraph(nn.Module):
    """Backbone + decode head of a segmentor: what the ONNX file holds.

    Shapes:
        inputs: (N, 6, H, W) float32, frame then flow image, each RGB and
            normalised with the ImageNet mean/std (the data preprocessor's
            output); H, W multiples of 32 for MiT.
        output: (N, num_classes, H / 4, W / 4) float32 logits.
    """

    def __init__(self, segmentor: nn.Module):
        super().__init__()
        self.segmentor = segmentor

    def forward(self, inputs: Tensor) -> Tensor:
        return self.segmentor.decode_head(self.segmentor.extract_feat(inputs))


class SharedFrameLogitsGraph(nn.Module):
    """:class:`LogitsGraph` for pairs that share frames: each distinct
    frame is encoded once (a frame with its flows in both directions).

    Shapes:
        frames: (F, 3, H, W) float32 normalised distinct frames.
        flows: (N, 3, H, W) float32 normalised flow images.
        frame_index: (N,) int64, the frame of each flow.
        output: (N, num_classes, H / 4, W / 4) float32 logits.
    """

    def __init__(self, segmentor: nn.Module):
        super().__init__()
        self.segmentor = segmentor

    def forward(self, frames: Tensor, flows: Tensor,
                frame_index: Tensor) -> Tensor:
        feats = self.segmentor.backbone.encode_shared(frames, flows,
                                                      frame_index)
        return self.segmentor.decode_head(feats)



def model_digest(segmentor: nn.Module) -> str:
    """SHA-256 of a model's state dict (names, shapes and values): what
    ties an ONNX file to the weights it was exported from."""
    digest = hashlib.sha256()
    for name, tensor in segmentor.state_dict().items():
        digest.update(name.encode())
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def export_onnx(segmentor: nn.Module,
                out: str,
                example_size: Sequence[int] = (384, 704),
                opset: int = ONNX_OPSET,
                metadata: Optional[Dict[str, str]] = None,
                shared_frames: bool = False) -> Dict[str, str]:
    """Write ``segmentor``'s :class:`LogitsGraph` to ``out`` (atomically).

    Batch, height and width are dynamic. The file's metadata records the
    opset, the model digest (:func:`model_digest`), the classes, the output
    stride, the normalisation and ``metadata``.

    Args:
        segmentor: an HFAN ``VOSEncoderDecoder`` (eval mode is set here).
        out: path of the ``.onnx`` file.
        example_size: (H, W) of the tracing input; any size runs later.
        opset: ONNX opset.
        metadata: extra string entries (config, checkpoint...).
        shared_frames: export :class:`SharedFrameLogitsGraph` (inputs
            ``frames``, ``flows``, ``frame_index``) instead of the 6-channel
            :class:`LogitsGraph`; what the ONNX Runtime backend runs.

    Returns:
        the metadata written.
    """
    import onnx
    segmentor = segmentor.eval()
    if shared_frames:
        graph = SharedFrameLogitsGraph(segmentor).eval()
        example = (torch.zeros(1, 3, *example_size),
                   torch.zeros(2, 3, *example_size),
                   torch.zeros(2, dtype=torch.long))
        input_names = list(SHARED_INPUT_NAMES)
        spatial = {2: 'height', 3: 'width'}
        dynamic_axes = {
            'frames': {0: 'num_frames', **spatial},
            'flows': {0: 'batch', **spatial},
            'frame_index': {0: 'batch'},
        }
    else:
        graph = LogitsGraph(segmentor).eval()
        example = (torch.zeros(1, 6, *example_size), )
        input_names = [INPUT_NAME]
        dynamic_axes = {INPUT_NAME: {0: 'batch', 2: 'height', 3: 'width'}}
    dynamic_axes[OUTPUT_NAME] = {0: 'batch', 2: 'height_4', 3: 'width_4'}
    preprocessor = segmentor.data_preprocessor
    info = {
        'hfan_format':
        'shared-frame-logits-v1' if shared_frames else 'logits-v1',
        'opset': str(opset),
        'model_sha256': model_digest(segmentor),
        'num_classes': str(segmentor.decode_head.num_classes),
        'output_stride': '4',
        'align_corners': str(bool(segmentor.decode_head.align_corners)),
        'input': ('(N, 6, H, W) float32: frame then colour-coded flow, '
                  'RGB, (x - mean) / std per half'),
        'mean': json.dumps(preprocessor.frame_flow_mean.flatten().tolist()),
        'std': json.dumps(preprocessor.frame_flow_std.flatten().tolist()),
        **(metadata or {}),
    }
    folder = osp.dirname(osp.abspath(out))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(out)}.partial')
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter('ignore')  # tracer and deprecation notes
            torch.onnx.export(
                graph,
                example,
                tmp,
                dynamo=False,
                opset_version=opset,
                input_names=input_names,
                output_names=[OUTPUT_NAME],
                dynamic_axes=dynamic_axes)
        model = onnx.load(tmp)
        for key, value in info.items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.save(model, tmp)
        os.replace(tmp, out)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return info


def read_onnx_metadata(path: str) -> Dict[str, str]:
    """The metadata entries of an ONNX file (``{}`` for a foreign one)."""
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    return dict(session.get_modelmeta().custom_metadata_map)
