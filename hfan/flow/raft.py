"""RAFT optical flow through torchvision (optional: needs torchvision)."""
from typing import Optional, Union

import numpy as np
import torch
import torch.nn.functional as F

from .base import FlowEstimator


def _import_raft():
    try:
        from torchvision.models.optical_flow import (Raft_Large_Weights,
                                                     raft_large)
    except ImportError as e:
        raise ImportError(
            'RAFTFlow needs torchvision (torchvision.models.optical_flow), '
            'which is not installed or does not import against this torch '
            f'({e}). Install the torchvision build that matches your torch, '
            "or use the default DIS flow ('dis').") from e
    return raft_large, Raft_Large_Weights


class RAFTFlow(FlowEstimator):
    """RAFT-large (torchvision's ``raft_large``).

    Args:
        weights: path to a torchvision-style ``state_dict`` of ``raft_large``
            (a ``.pth`` file, read with ``torch.load(weights_only=True)``; a
            dict holding it under ``'state_dict'`` or ``'model'`` works too).
            ``None`` takes torchvision's ``Raft_Large_Weights.C_T_V2``
            (FlyingChairs + FlyingThings3D, the counterpart of the
            ``raft-things`` weights the published HFAN flow came from), which
            torchvision downloads on first use. The original princeton-vl
            ``raft-things.pth`` has another key layout and is not accepted.
        device: ``'cpu'``, ``'cuda'``, ``'cuda:1'``...; ``None`` picks CUDA
            when available.
        num_flow_updates: refinement iterations (torchvision's default 12).

    Frames are converted BGR -> RGB, scaled to [-1, 1] (what torchvision's
    RAFT transforms do), replicate-padded to a multiple of 8 (half on each
    side) and the flow is cropped back to the frame size.
    """

    name = 'raft'

    def __init__(self,
                 weights: Optional[str] = None,
                 device: Union[str, torch.device, None] = None,
                 num_flow_updates: int = 12):
        raft_large, Raft_Large_Weights = _import_raft()
        if weights is None:
            model = raft_large(weights=Raft_Large_Weights.C_T_V2,
                               progress=False)
        else:
            model = raft_large(weights=None, progress=False)
            state = torch.load(weights, map_location='cpu', weights_only=True)
            if isinstance(state, dict):
                for key in ('state_dict', 'model'):
                    if isinstance(state.get(key), dict):
                        state = state[key]
                        break
            try:
                model.load_state_dict(state)
            except (RuntimeError, TypeError, AttributeError) as e:
                raise ValueError(
                    f'{weights} is not a state_dict of torchvision\'s '
                    f'raft_large: {e}') from e
        if device is None:
            device = 'cuda' if torch.cuda.is_available() else 'cpu'
        self.device = torch.device(device)
        self.model = model.eval().to(self.device)
        self.num_flow_updates = num_flow_updates
        self.weights = weights

    def _to_tensor(self, img: np.ndarray) -> torch.Tensor:
        rgb = torch.from_numpy(np.ascontiguousarray(img[..., ::-1]))
        x = rgb.to(self.device).permute(2, 0, 1)[None].float()
        return x / 127.5 - 1.0

    @torch.inference_mode()
    def estimate(self, img1: np.ndarray, img2: np.ndarray) -> np.ndarray:
        h, w = img1.shape[:2]
        pad_h, pad_w = -h % 8, -w % 8
        top, left = pad_h // 2, pad_w // 2
        pair = torch.cat([self._to_tensor(img1), self._to_tensor(img2)])
        if pad_h or pad_w:
            pair = F.pad(pair, (left, pad_w - left, top, pad_h - top),
                         mode='replicate')
        flows = self.model(pair[:1], pair[1:],
                           num_flow_updates=self.num_flow_updates)
        flow = flows[-1][0, :, top:top + h, left:left + w]
        return flow.permute(1, 2, 0).float().cpu().numpy()

    def __repr__(self) -> str:
        return (f'RAFTFlow(weights={self.weights!r}, device={self.device}, '
                f'num_flow_updates={self.num_flow_updates})')
