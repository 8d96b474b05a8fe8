"""RAFT (Teed & Deng, ECCV 2020) in the layout of the original release.

The published HFAN flow came from RAFT with the ``raft-things.pth`` weights
of the original (princeton-vl) release. torchvision's ``raft_large`` is the
same network under other parameter names, but torchvision has no build for
every torch (none for the CPU torch of our dev machines), so this module
writes the network in plain torch with the original parameter names:
``raft-things.pth`` loads into :class:`RAFT` as it is (its ``module.``
prefix, left by ``nn.DataParallel``, is removed by
:func:`load_raft_state_dict`).

Shapes below: B batch, H x W the (padded, multiple of 8) image size,
h x w = H/8 x W/8 the feature grid.

Attribution: a port of RAFT (Z. Teed and J. Deng, "RAFT: Recurrent
All-Pairs Field Transforms for Optical Flow", ECCV 2020), whose network
structure and parameter names follow the original release,
princeton-vl/RAFT (``core/raft.py``, ``core/extractor.py``,
``core/update.py``, ``core/corr.py``), Copyright (c) 2020, princeton-vl,
under the BSD 3-Clause License; its text is reproduced in this project's
``LICENSE`` ("Third-party code").
"""
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

#: parameter names every original RAFT (large) checkpoint has
RAFT_SIGNATURE_KEYS = ('fnet.conv1.weight', 'cnet.conv1.weight',
                       'update_block.gru.convz1.weight')


def _norm(kind: str, channels: int) -> nn.Module:
    # 'instance' is affine-free, so it holds no parameters: the feature
    # encoder's checkpoint entries are convolutions only.
    if kind == 'instance':
        return nn.InstanceNorm2d(channels)
    if kind == 'batch':
        return nn.BatchNorm2d(channels)
    raise ValueError(f"unknown norm {kind!r}; use 'instance' or 'batch'")


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with a (strided 1x1) shortcut.

    ``norm3`` is registered both as itself and as ``downsample.1`` (the
    original does so), which is why checkpoints hold both key sets.
    """

    def __init__(self, in_planes: int, planes: int, norm: str,
                 stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride,
                               padding=1)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)
        self.norm1 = _norm(norm, planes)
        self.norm2 = _norm(norm, planes)
        if stride == 1:
            self.downsample = None
        else:
            self.norm3 = _norm(norm, planes)
            self.downsample = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride=stride), self.norm3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.norm1(self.conv1(x)))
        y = self.relu(self.norm2(self.conv2(y)))
        if self.downsample is not None:
            x = self.downsample(x)
        return self.relu(x + y)


class RAFTEncoder(nn.Module):
    """(B, 3, H, W) -> (B, out_channels, H/8, W/8).

    Used twice: the feature encoder (``fnet``, instance norm, 256 channels)
    and the context encoder (``cnet``, batch norm, hidden + context
    channels).
    """

    def __init__(self, out_channels: int = 256, norm: str = 'batch'):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3)
        self.norm1 = _norm(norm, 64)
        self.relu1 = nn.ReLU(inplace=True)
        self.layer1 = self._stage(64, 64, norm, stride=1)
        self.layer2 = self._stage(64, 96, norm, stride=2)
        self.layer3 = self._stage(96, 128, norm, stride=2)
        self.conv2 = nn.Conv2d(128, out_channels, 1)

    @staticmethod
    def _stage(in_planes, planes, norm, stride) -> nn.Sequential:
        return nn.Sequential(
            ResidualBlock(in_planes, planes, norm, stride=stride),
            ResidualBlock(planes, planes, norm, stride=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu1(self.norm1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.conv2(x)


class CorrelationPyramid(nn.Module):
    """All-pairs correlation volume and its lookup around current matches.

    The volume ``<f1(p), f2(q)> / sqrt(C)`` for all pixel pairs is pooled
    ``levels - 1`` times (2x2 average over q); a lookup samples a
    ``(2r+1) x (2r+1)`` window around each match at every level
    (bilinear, zeros outside) and returns ``levels * (2r+1)^2`` channels.
    Within a level, channel ``i * (2r+1) + j`` holds the x offset
    ``i - r`` and the y offset ``j - r``: the original stacks its
    ``meshgrid(dy, dx)`` as (x, y), and the trained update block expects
    exactly that order.
    """

    def __init__(self, levels: int = 4, radius: int = 4):
        super().__init__()
        self.levels, self.radius = levels, radius
        self.pyramid: List[torch.Tensor] = []

    def build(self, fmap1: torch.Tensor, fmap2: torch.Tensor) -> None:
        """fmap1, fmap2: (B, C, h, w) features of the two frames."""
        b, c, h, w = fmap1.shape
        corr = torch.einsum('bcp,bcq->bpq', fmap1.flatten(2),
                            fmap2.flatten(2)) / c**0.5
        corr = corr.reshape(b * h * w, 1, h, w)
        self.pyramid = [corr]
        for _ in range(self.levels - 1):
            corr = F.avg_pool2d(corr, 2, stride=2)
            self.pyramid.append(corr)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        """coords: (B, 2, h, w) matches in frame 2, (x, y) pixels of the
        h x w grid -> (B, levels * (2r+1)^2, h, w)."""
        b, _, h, w = coords.shape
        r = self.radius
        steps = torch.linspace(-r, r, 2 * r + 1, device=coords.device,
                               dtype=coords.dtype)
        first, second = torch.meshgrid(steps, steps, indexing='ij')
        window = torch.stack([first, second], dim=-1)  # (2r+1, 2r+1, 2)
        centres = coords.permute(0, 2, 3, 1).reshape(b * h * w, 1, 1, 2)
        out = []
        for level, corr in enumerate(self.pyramid):
            points = centres / 2**level + window[None]
            out.append(
                _sample_pixels(corr, points).reshape(b, h, w, -1))
        return torch.cat(out, dim=-1).permute(0, 3, 1, 2).float()


def min_image_side(levels: int = 4) -> int:
    """Smallest image side RAFT handles: the coarsest correlation level
    must be at least 2 pixels wide (the pixel-to-grid rescaling divides by
    side - 1), i.e. 2 * 2^(levels-1) on the 1/8 grid: 128 for 4 levels, the
    bound torchvision's RAFT checks too."""
    return 8 * 2 * 2**(levels - 1)


def _sample_pixels(img: torch.Tensor, xy: torch.Tensor) -> torch.Tensor:
    """Bilinear samples of ``img`` (N, C, H, W) at pixel coordinates
    ``xy`` (N, h, w, 2) = (x, y), zeros outside -> (N, C, h, w)."""
    height, width = img.shape[-2:]
    x, y = xy.split(1, dim=-1)
    grid = torch.cat([2 * x / (width - 1) - 1, 2 * y / (height - 1) - 1],
                     dim=-1)
    return F.grid_sample(img, grid, align_corners=True)


class MotionEncoder(nn.Module):
    """Correlation (B, levels*(2r+1)^2, h, w) and flow (B, 2, h, w) ->
    motion features (B, 128, h, w), the flow being the last 2 of them."""

    def __init__(self, corr_channels: int):
        super().__init__()
        self.convc1 = nn.Conv2d(corr_channels, 256, 1)
        self.convc2 = nn.Conv2d(256, 192, 3, padding=1)
        self.convf1 = nn.Conv2d(2, 128, 7, padding=3)
        self.convf2 = nn.Conv2d(128, 64, 3, padding=1)
        self.conv = nn.Conv2d(64 + 192, 128 - 2, 3, padding=1)

    def forward(self, flow: torch.Tensor, corr: torch.Tensor) -> torch.Tensor:
        cor = F.relu(self.convc2(F.relu(self.convc1(corr))))
        flo = F.relu(self.convf2(F.relu(self.convf1(flow))))
        out = F.relu(self.conv(torch.cat([cor, flo], dim=1)))
        return torch.cat([out, flow], dim=1)


class SeparableConvGRU(nn.Module):
    """A ConvGRU run twice: with 1x5 kernels, then with 5x1 kernels.
    hidden (B, Ch, h, w), input (B, Ci, h, w) -> hidden."""

    def __init__(self, hidden_dim: int = 128, input_dim: int = 256):
        super().__init__()
        cin = hidden_dim + input_dim
        for suffix, kernel, pad in (('1', (1, 5), (0, 2)),
                                    ('2', (5, 1), (2, 0))):
            for gate in ('z', 'r', 'q'):
                setattr(self, f'conv{gate}{suffix}',
                        nn.Conv2d(cin, hidden_dim, kernel, padding=pad))

    def _step(self, h, x, convz, convr, convq):
        hx = torch.cat([h, x], dim=1)
        z = torch.sigmoid(convz(hx))
        r = torch.sigmoid(convr(hx))
        q = torch.tanh(convq(torch.cat([r * h, x], dim=1)))
        return (1 - z) * h + z * q

    def forward(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        h = self._step(h, x, self.convz1, self.convr1, self.convq1)
        return self._step(h, x, self.convz2, self.convr2, self.convq2)


class FlowHead(nn.Module):
    """hidden (B, 128, h, w) -> flow update (B, 2, h, w)."""

    def __init__(self, in_channels: int = 128, hidden: int = 256):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, hidden, 3, padding=1)
        self.conv2 = nn.Conv2d(hidden, 2, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.relu(self.conv1(x)))


class UpdateBlock(nn.Module):
    """One refinement step: new hidden state, flow update and the convex
    upsampling weights (B, 9 * 8 * 8, h, w)."""

    def __init__(self, corr_channels: int, hidden_dim: int = 128,
                 context_dim: int = 128):
        super().__init__()
        self.encoder = MotionEncoder(corr_channels)
        self.gru = SeparableConvGRU(hidden_dim, context_dim + 128)
        self.flow_head = FlowHead(hidden_dim, 256)
        self.mask = nn.Sequential(
            nn.Conv2d(hidden_dim, 256, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 64 * 9, 1))

    def forward(self, hidden, context, corr, flow):
        motion = self.encoder(flow, corr)
        hidden = self.gru(hidden, torch.cat([context, motion], dim=1))
        # the original scales the mask logits by 0.25 (to balance their
        # gradients); the trained weights expect it
        return hidden, 0.25 * self.mask(hidden), self.flow_head(hidden)


def convex_upsample(flow: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B, 2, h, w) flow at 1/8 resolution -> (B, 2, 8h, 8w) full-resolution
    flow: every output pixel is a convex combination (softmax of ``mask``,
    (B, 9*8*8, h, w)) of the 3x3 coarse neighbours, times 8."""
    b, _, h, w = flow.shape
    weights = torch.softmax(mask.view(b, 1, 9, 8, 8, h, w), dim=2)
    neighbours = F.unfold(8 * flow, (3, 3), padding=1)
    neighbours = neighbours.view(b, 2, 9, 1, 1, h, w)
    up = (weights * neighbours).sum(dim=2)  # (B, 2, 8, 8, h, w)
    return up.permute(0, 1, 4, 2, 5, 3).reshape(b, 2, 8 * h, 8 * w)


class RAFT(nn.Module):
    """RAFT-large: (B, 3, H, W) x 2 in [-1, 1], RGB, H and W multiples of 8
    -> the flow from image1 to image2 after every update, each
    (B, 2, H, W) in pixels (x, y)."""

    def __init__(self, hidden_dim: int = 128, context_dim: int = 128,
                 corr_levels: int = 4, corr_radius: int = 4):
        super().__init__()
        self.hidden_dim, self.context_dim = hidden_dim, context_dim
        self.fnet = RAFTEncoder(256, norm='instance')
        self.cnet = RAFTEncoder(hidden_dim + context_dim, norm='batch')
        self.correlation = CorrelationPyramid(corr_levels, corr_radius)
        self.update_block = UpdateBlock(
            corr_levels * (2 * corr_radius + 1)**2, hidden_dim, context_dim)

    def forward(self, image1: torch.Tensor, image2: torch.Tensor,
                num_flow_updates: int = 12,
                flow_init: Optional[torch.Tensor] = None
                ) -> List[torch.Tensor]:
        b, _, height, width = image1.shape
        smallest = min_image_side(self.correlation.levels)
        if height % 8 or width % 8 or min(height, width) < smallest:
            raise ValueError(
                f'RAFT needs image sizes that are multiples of 8 and at '
                f'least {smallest} (its correlation pyramid halves the 1/8 '
                f'grid {self.correlation.levels - 1} times and samples the '
                f'coarsest level bilinearly), got {height} x {width}')
        # one encoder pass for both frames (instance norm is per sample, so
        # batching them changes nothing)
        fmap1, fmap2 = self.fnet(torch.cat([image1, image2])).float().chunk(2)
        self.correlation.build(fmap1, fmap2)
        hidden, context = self.cnet(image1).split(
            [self.hidden_dim, self.context_dim], dim=1)
        hidden, context = torch.tanh(hidden), torch.relu(context)

        h, w = height // 8, width // 8
        ys, xs = torch.meshgrid(
            torch.arange(h, device=image1.device, dtype=torch.float32),
            torch.arange(w, device=image1.device, dtype=torch.float32),
            indexing='ij')
        coords0 = torch.stack([xs, ys])[None].expand(b, -1, -1, -1)
        coords1 = coords0.clone()
        if flow_init is not None:
            coords1 = coords1 + flow_init
        flows = []
        for _ in range(num_flow_updates):
            coords1 = coords1.detach()
            corr = self.correlation(coords1)
            hidden, mask, delta = self.update_block(hidden, context, corr,
                                                    coords1 - coords0)
            coords1 = coords1 + delta
            flows.append(convex_upsample(coords1 - coords0, mask))
        self.correlation.pyramid = []  # free the volume
        return flows


def load_raft_state_dict(state: Dict[str, torch.Tensor]
                         ) -> Dict[str, torch.Tensor]:
    """The state_dict of :class:`RAFT` from an original RAFT checkpoint
    (``raft-things.pth`` and friends): drops ``nn.DataParallel``'s
    ``module.`` prefix. Raises ``KeyError`` naming what is missing when the
    dict is not in the original layout."""
    state = {_strip_module(k): v for k, v in state.items()}
    missing = [k for k in RAFT_SIGNATURE_KEYS if k not in state]
    if missing:
        raise KeyError(f'not an original RAFT checkpoint: no {missing}')
    return state


def is_original_raft_layout(state: Dict[str, torch.Tensor]) -> bool:
    """Whether ``state`` has the original release's parameter names."""
    keys = {_strip_module(k) for k in state}
    return all(k in keys for k in RAFT_SIGNATURE_KEYS)


def _strip_module(key: str) -> str:
    """``key`` without the ``module.`` prefix nn.DataParallel adds."""
    return key[len('module.'):] if key.startswith('module.') else key

