"""RAFT optical flow: the original release's weights run by our own RAFT
network, torchvision's weights (and its download) through torchvision."""
from typing import Optional, Union

import numpy as np
import torch
import torch.nn.functional as F

from .base import FlowEstimator
from .raft_network import (
    RAFT,
    is_original_raft_layout,
    load_raft_state_dict,
    min_image_side,
)


def _import_raft():
    try:
        from torchvision.models.optical_flow import (
            Raft_Large_Weights,
            raft_large,
        )
    except ImportError as e:
        raise ImportError(
            'torchvision weights need torchvision '
            '(torchvision.models.optical_flow), '
            'which is not installed or does not import against this torch '
            f'({e}). Pass the original RAFT weights (raft-things.pth: they '
            'run without torchvision), install the torchvision build that '
            "matches your torch, or use the default DIS flow ('dis').") from e
    return raft_large, Raft_Large_Weights


def _read_weights(path: str) -> dict:
    """The state_dict in ``path`` (also under 'state_dict' or 'model')."""
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
    except FileNotFoundError:
        raise FileNotFoundError(f'RAFT weights not found: {path}') from None
    if isinstance(state, dict):
        for key in ('state_dict', 'model'):
            if isinstance(state.get(key), dict):
                return state[key]
        return state
    raise ValueError(f'{path} holds a {type(state).__name__}, not a '
                     'state_dict of RAFT weights')


class RAFTFlow(FlowEstimator):
    """RAFT-large optical flow.

    Args:
        weights: path to RAFT-large weights (a ``.pth`` file, read with
            ``torch.load(weights_only=True)``; a dict holding them under
            ``'state_dict'`` or ``'model'`` works too), in either layout:

            - the original release (``raft-things.pth``, where the published
              HFAN flow came from; ``module.`` prefixes are fine): run by
              :class:`hfan.flow.raft_network.RAFT`, no torchvision needed;
            - torchvision's ``raft_large`` ``state_dict``: needs torchvision.

            ``None`` takes torchvision's ``Raft_Large_Weights.C_T_V2``
            (FlyingChairs + FlyingThings3D, the counterpart of
            ``raft-things``), which torchvision downloads on first use.
        device: ``'cpu'``, ``'cuda'``, ``'cuda:1'``...; ``None`` picks CUDA
            when available.
        num_flow_updates: refinement iterations. ``None``: 20 for the
            original weights (what RAFT's ``demo.py`` runs), 12 for
            torchvision's (its default).

    Frames are converted BGR -> RGB, scaled to [-1, 1] (what both RAFTs do
    to 0..255 input), replicate-padded to a multiple of 8 (half on each
    side, RAFT's ``InputPadder``; sides under 128 pixels, which RAFT cannot
    take, are padded up to 128 the same way) and the flow is cropped back
    to the frame size.
    """

    name = 'raft'

    def __init__(self,
                 weights: Optional[str] = None,
                 device: Union[str, torch.device, None] = None,
                 num_flow_updates: Optional[int] = None):
        state = None if weights is None else _read_weights(weights)
        if state is not None and is_original_raft_layout(state):
            model = RAFT()
            self.layout = 'original'
            try:
                model.load_state_dict(load_raft_state_dict(state))
            except RuntimeError as e:
                raise ValueError(
                    f'{weights} has the original RAFT key names but does '
                    f'not fit RAFT-large (raft-small is not supported): {e}'
                ) from e
        else:
            raft_large, Raft_Large_Weights = _import_raft()
            self.layout = 'torchvision'
            if state is None:
                model = raft_large(weights=Raft_Large_Weights.C_T_V2,
                                   progress=False)
            else:
                model = raft_large(weights=None, progress=False)
                try:
                    model.load_state_dict(state)
                except (RuntimeError, TypeError, AttributeError) as e:
                    raise ValueError(
                        f'{weights} is neither an original RAFT checkpoint '
                        '(raft-things.pth) nor a state_dict of '
                        f"torchvision's raft_large: {e}") from e
        if num_flow_updates is None:
            num_flow_updates = 20 if self.layout == 'original' else 12
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
        # RAFT's InputPadder rule (to a multiple of 8, half on each side),
        # and up to RAFT's smallest size for small frames
        smallest = min_image_side()
        pad_h, pad_w = max(-h % 8, smallest - h), max(-w % 8, smallest - w)
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
