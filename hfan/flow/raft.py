"""RAFT optical flow: the original release's weights run by our own RAFT
network, torchvision's weights (and its download) through torchvision."""
import os.path as osp
from typing import Optional, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F

from hfan.utils.errors import HFANError

from .base import FlowEstimator
from .raft_network import (
    RAFT,
    RAFT_SIGNATURE_KEYS,
    is_original_raft_layout,
    load_raft_state_dict,
    min_image_side,
)


def _first_lines(err: BaseException, lines: int = 3) -> str:
    """The start of a long message (load_state_dict lists every key)."""
    text = str(err).strip().splitlines()
    return ' '.join(text[:lines]) + (' ...' if len(text) > lines else '')


def _import_raft(weights: Optional[str] = None):
    try:
        from torchvision.models.optical_flow import (
            Raft_Large_Weights,
            raft_large,
        )
    except ImportError as e:
        raise ImportError(
            ('torchvision weights' if weights is None else
             f"{weights} holds torchvision raft_large weights, which") +
            ' need torchvision (torchvision.models.optical_flow), '
            'which is not installed or does not import against this torch '
            f'({e}). Pass the original RAFT weights (raft-things.pth: they '
            'run without torchvision), install the torchvision build that '
            "matches your torch, or use the default DIS flow ('dis').") from e
    return raft_large, Raft_Large_Weights


#: Parameter-name prefixes every torchvision ``raft_large`` state_dict has.
TORCHVISION_RAFT_PREFIXES = ('feature_encoder.', 'context_encoder.',
                             'update_block.')

#: What a RAFT checkpoint looks like, for the messages.
RAFT_CHECKPOINT_HELP = (
    'expected RAFT-large weights: the original princeton-vl release '
    '(raft-things.pth, a state_dict with keys such as '
    f"{', '.join(RAFT_SIGNATURE_KEYS)}, 'module.' prefixes allowed) or a "
    "state_dict of torchvision's raft_large (keys under "
    f"{', '.join(p + '*' for p in TORCHVISION_RAFT_PREFIXES)})")


class RAFTWeightsError(HFANError, ValueError):
    """A ``weights`` file that is no RAFT checkpoint; the message names the
    file, what is wrong and what a RAFT checkpoint looks like."""


def is_torchvision_raft_layout(state: dict) -> bool:
    """Whether ``state`` has torchvision ``raft_large``'s parameter names."""
    keys = [k[len('module.'):] if k.startswith('module.') else k
            for k in state]
    return all(any(k.startswith(p) for k in keys)
               for p in TORCHVISION_RAFT_PREFIXES)


def _unreadable(path: str, err: BaseException) -> str:
    """Why ``torch.load`` could not read ``path``, in words."""
    with open(path, 'rb') as f:
        head = f.read(4096)
    if not head:
        return 'the file is empty'
    if head.startswith(b'PK'):
        first = str(err).split('. ')[0]
        return ('a damaged or truncated PyTorch (zip) file, torch.load '
                f'says: {first}')
    try:
        head.decode('utf-8')
        text = b'\0' not in head
    except UnicodeDecodeError:
        text = False
    if text:
        return 'it is a text file, not a PyTorch file'
    return (f'torch.load cannot read it ({type(err).__name__}: '
            f'{str(err).split(". ")[0][:120]}): not a PyTorch file, or '
            'truncated')


def read_raft_weights(path: str) -> Tuple[dict, str]:
    """The state_dict in ``path`` (also under ``'state_dict'`` or
    ``'model'``) and its layout, ``'original'`` or ``'torchvision'``.

    Cheap (no network is built), so a command can check ``--raft-weights``
    before any work.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        RAFTWeightsError: ``path`` is not a torch file (text, truncated,
            another format) or holds no RAFT-large state_dict; the message
            names the file and what a RAFT checkpoint looks like.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'RAFT weights not found: {path}')
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # noqa: B902 -- pickle, zip and EOF errors
        # torch's own message ('101' for a text file: its first byte) names
        # neither the file nor what was expected
        raise RAFTWeightsError(
            f'{path} is not a RAFT checkpoint: {_unreadable(path, err)}; '
            f'{RAFT_CHECKPOINT_HELP}') from None
    if isinstance(state, dict):
        for key in ('state_dict', 'model'):
            if isinstance(state.get(key), dict):
                state = state[key]
                break
    if not isinstance(state, dict):
        raise RAFTWeightsError(
            f'{path} holds a {type(state).__name__}, not a state_dict of '
            f'RAFT weights; {RAFT_CHECKPOINT_HELP}')
    if is_original_raft_layout(state):
        return state, 'original'
    if is_torchvision_raft_layout(state):
        return state, 'torchvision'
    keys = sorted(map(str, state))
    shown = ', '.join(keys[:4]) + (', ...' if len(keys) > 4 else '')
    raise RAFTWeightsError(
        f'{path} is neither an original RAFT checkpoint (raft-things.pth) '
        "nor a state_dict of torchvision's raft_large: its "
        f'{len(keys)} keys are {shown or "none"}; {RAFT_CHECKPOINT_HELP}')


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
        state, layout = (None, 'torchvision') if weights is None \
            else read_raft_weights(weights)
        if layout == 'original':
            model = RAFT()
            self.layout = 'original'
            try:
                model.load_state_dict(load_raft_state_dict(state))
            except RuntimeError as e:
                raise RAFTWeightsError(
                    f'{weights} has the original RAFT key names but does '
                    'not fit RAFT-large (raft-small is not supported): '
                    f'{_first_lines(e)}; {RAFT_CHECKPOINT_HELP}') from None
        else:
            raft_large, Raft_Large_Weights = _import_raft(weights)
            self.layout = 'torchvision'
            if state is None:
                model = raft_large(weights=Raft_Large_Weights.C_T_V2,
                                   progress=False)
            else:
                model = raft_large(weights=None, progress=False)
                try:
                    model.load_state_dict(state)
                except (RuntimeError, TypeError, AttributeError) as e:
                    raise RAFTWeightsError(
                        f"{weights} has torchvision raft_large's key names "
                        'but does not fit raft_large (raft_small is not '
                        f'supported): {_first_lines(e)}; '
                        f'{RAFT_CHECKPOINT_HELP}') from None
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
