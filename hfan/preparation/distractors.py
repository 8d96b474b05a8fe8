"""Composite videos with distractor motion: stage-1 data for objectness.

The composites of :mod:`hfan.preparation.composite` move a real object over
a real background through a moving camera, so the object is always the one
thing that moves against the scene. A model trained on them can learn
"what moves" instead of "what is an object". These videos add **distractor
motion**: regions of the background that move on their own, so that motion
alone no longer tells the object:

- *window*: a region fixed in the scene (it moves with the camera), through
  which another texture slides at its own velocity: a car window, a screen,
  water;
- *mover*: a blob of texture that crosses the screen along its own path:
  a passing car, a flag, spray.

The object is pasted last (it hides the distractors it covers), with a hard
edge, and the ground truth is exactly the set of pixels it covers: the
distractors are never in the mask.

Sources (each a folder, its layout detected):

- a cut-out set written by ``tools/prepare_cutouts.py`` (``index.json``,
  ``images/``, ``masks/``): each item is an object; used as a background,
  its own object is first removed by inpainting, so that the pasted object
  is the only object of the video;
- a 2SEG root (``frame/<split>``, ``mask/<split>``, e.g. DAVIS-16 train):
  objects cut out of annotated frames, backgrounds as they are (as in
  :mod:`~hfan.preparation.composite`).

Held-out items: every source item (a cut-out id, or a 2SEG video) belongs
to the *held-out* part when a stable hash of its name falls below
``holdout`` (:func:`is_held_out`). Output splits named as held-out draw
objects, backgrounds and distractor textures from that part only, the
others from the rest, so a validation split of held-out objects shares no
item with the training split.

Flow is computed afterwards on the decoded JPEGs by the same estimator as
for real data, and everything is drawn from ``numpy.random.default_rng``
of the video's seed.
"""
import hashlib
import json
import os.path as osp
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Dict, List, Sequence, Tuple

import cv2
import numpy as np

from .composite import (
    CompositeConfig,
    Motion,
    SourceFrame,
    _similarity,
    camera_matrices,
    camera_view,
    composite_seed,
    cut_object,
    list_source_frames,
    paste_object,
    photometric,
    random_motion,
)
from .sources import PrepareError, decode_frame, read_binary_mask, read_file
from .synthetic import SyntheticVideo, _unit, encode_jpeg
from .two_seg import (
    FRAME_DIR,
    FrameSpec,
    VideoJob,
    WriteOptions,
    process_video,
)

#: the layouts a source folder may have
SOURCE_LAYOUTS = ('cutouts', '2seg')
#: default output frame size (h, w): cut-out images differ in size, and a
#: video needs one
DEFAULT_SIZE = (360, 640)


@dataclass(frozen=True)
class DistractorConfig:
    """What a video with distractor motion looks like.

    Attributes:
        composite: the camera and object motion
            (:class:`~hfan.preparation.composite.CompositeConfig`).
        max_distractors: at most this many distractor regions per video.
        no_distractor_prob: probability of a video without distractors (the
            object must still be found when it is the only thing moving).
        window_prob: probability that a distractor is a window (else a
            mover).
        distractor_size: range of a distractor's height, as a fraction of
            the frame height (its width: 0.5-2x its height, within the
            frame).
        max_distractor_speed: speed of a distractor's texture relative to
            the scene, fraction of the frame width per frame.
    """
    composite: CompositeConfig = field(default_factory=CompositeConfig)
    max_distractors: int = 3
    no_distractor_prob: float = 0.15
    window_prob: float = 0.5
    distractor_size: Tuple[float, float] = (0.15, 0.45)
    max_distractor_speed: float = 0.06


@dataclass
class Distractor:
    """One region that moves on its own.

    ``shape`` (0/1 uint8) is the region in its own pixel coordinates and
    ``texture`` (BGR) what shows through it; per frame, ``region[t]`` maps
    the shape and ``content[t]`` the texture to the screen (2x3 affine
    matrices).
    """
    kind: str
    shape: np.ndarray
    texture: np.ndarray
    region: List[np.ndarray]
    content: List[np.ndarray]


@dataclass
class DistractorVideo(SyntheticVideo):
    """A rendered video, plus per frame the visible distractor pixels
    (0/255; not in ``masks``)."""
    distractor_masks: List[np.ndarray] = field(default_factory=list)


def is_held_out(name: str, holdout: float) -> bool:
    """Whether source item ``name`` belongs to the held-out part: a stable
    hash (SHA-1) of the name, as a fraction in [0, 1), below ``holdout``."""
    digest = hashlib.sha1(name.encode('utf-8')).digest()
    return int.from_bytes(digest[:4], 'big') / 2**32 < holdout


def detect_source_layout(root: str) -> str:
    """``'cutouts'`` (``index.json`` beside ``images/`` and ``masks/``) or
    ``'2seg'`` (a ``frame/`` folder); a :class:`PrepareError` naming the
    folder and both layouts otherwise."""
    if osp.isfile(osp.join(root, 'index.json')) and all(
            osp.isdir(osp.join(root, d)) for d in ('images', 'masks')):
        return 'cutouts'
    if osp.isdir(osp.join(root, FRAME_DIR)):
        return '2seg'
    raise PrepareError(
        f'{root}: neither a cut-out set (index.json, images/, masks/ from '
        'tools/prepare_cutouts.py) nor a 2SEG root (frame/<split>/, '
        'mask/<split>/)')


def list_cutout_items(root: str) -> Dict[str, List[SourceFrame]]:
    """The items of a cut-out set, one "video" of one frame per item id.

    Raises :class:`PrepareError` naming ``index.json`` when it cannot be
    read or lists no items, and the file when an item's image or mask is
    missing.
    """
    index = osp.join(root, 'index.json')
    try:
        with open(index, encoding='utf-8') as f:
            items = json.load(f)['items']
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise PrepareError(f'cannot read the cut-out index {index}: {e} '
                           '(write it with tools/prepare_cutouts.py)')
    out: Dict[str, List[SourceFrame]] = {}
    for item in items:
        if not isinstance(item, dict) or 'id' not in item:
            raise PrepareError(f'{index}: an item without an "id": {item!r}')
        image = osp.join(root, 'images', item['id'] + '.jpg')
        mask = osp.join(root, 'masks', item['id'] + '.png')
        for path in (image, mask):
            if not osp.isfile(path):
                raise PrepareError(f'{index} lists {item["id"]}, but '
                                   f'{path} does not exist')
        out[item['id']] = [SourceFrame(item['id'], image, mask)]
    if not out:
        raise PrepareError(f'{index} lists no items')
    return out


@dataclass(frozen=True)
class SourceSpec:
    """A source folder: its ``root``, detected ``layout`` and, for 2SEG,
    the ``split`` read."""
    root: str
    layout: str
    split: str = 'train'

    @property
    def name(self) -> str:
        return (self.root if self.layout == 'cutouts' else
                f'{self.root} ({FRAME_DIR}/{self.split})')


def source_spec(root: str, split: str = 'train') -> SourceSpec:
    """The :class:`SourceSpec` of ``root`` (layout detected)."""
    return SourceSpec(root, detect_source_layout(root), split)


def list_items(spec: SourceSpec) -> Dict[str, List[SourceFrame]]:
    """Every item of ``spec``, by item (cut-out id or 2SEG video)."""
    if spec.layout == 'cutouts':
        return list_cutout_items(spec.root)
    return list_source_frames(spec.root, spec.split)


@dataclass
class SourceItems:
    """The items a video may draw from: objects and backgrounds, each by
    item name, each item remembering whether its object is to be inpainted
    away when it serves as a background (cut-out sets)."""
    objects: Dict[str, List[SourceFrame]]
    backgrounds: Dict[str, List[SourceFrame]]
    inpaint: Dict[str, bool]


def select_items(object_specs: Sequence[SourceSpec],
                 background_specs: Sequence[SourceSpec], holdout: float,
                 held_out: bool) -> SourceItems:
    """The objects and backgrounds of one part (held-out or not).

    Item names of different sources are prefixed with the source's index
    so two sources never share a name. Raises :class:`PrepareError` when a
    part is empty, naming the sources and ``holdout``.
    """
    def part(specs, role):
        chosen: Dict[str, List[SourceFrame]] = {}
        inpaint: Dict[str, bool] = {}
        for i, spec in enumerate(specs):
            for name, frames in list_items(spec).items():
                if is_held_out(name, holdout) == held_out:
                    key = f'{i}:{name}'
                    chosen[key] = frames
                    inpaint[key] = spec.layout == 'cutouts'
        if not chosen:
            which = 'held-out' if held_out else 'training'
            raise PrepareError(
                f'no {which} {role} in '
                f'{", ".join(s.name for s in specs)} with --holdout '
                f'{holdout} (held-out: items whose name hashes below it)')
        return chosen, inpaint

    objects, _ = part(object_specs, 'objects')
    backgrounds, inpaint = part(background_specs, 'backgrounds')
    return SourceItems(objects, backgrounds, inpaint)


def remove_object(image: np.ndarray, mask: np.ndarray,
                  max_side: int = 640) -> np.ndarray:
    """``image`` with the foreground of ``mask`` (dilated by 3 px) filled by
    inpainting (Telea), at most ``max_side`` px on the long side (the work
    grows with the area, and the frame is resampled anyway)."""
    scale = min(1.0, max_side / max(image.shape[:2]))
    if scale < 1.0:
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
    hole = cv2.dilate((mask > 0).astype(np.uint8), np.ones((7, 7), np.uint8))
    return cv2.inpaint(image, hole, 5, cv2.INPAINT_TELEA)


def _affine(m: np.ndarray) -> np.ndarray:
    return np.vstack([m, [0.0, 0.0, 1.0]])


def compose_affine(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """The 2x3 matrix of ``inner`` followed by ``outer``."""
    return (_affine(outer) @ _affine(inner))[:2]


def _region_shape(rng: np.random.Generator, height: int,
                  width: int) -> np.ndarray:
    """An ellipse or a rounded rectangle filling a (height, width) patch."""
    shape = np.zeros((height, width), np.uint8)
    if rng.random() < 0.5:
        cv2.ellipse(shape, (width // 2, height // 2),
                    (max(width // 2 - 1, 1), max(height // 2 - 1, 1)), 0, 0,
                    360, 1, -1)
    else:
        r = int(min(height, width) * rng.uniform(0, 0.25))
        shape[:] = 1
        if r > 0:
            corner = np.zeros((2 * r, 2 * r), np.uint8)
            cv2.circle(corner, (r, r), r, 1, -1)
            for ys, xs, cy, cx in ((slice(0, r), slice(0, r), 0, 0),
                                   (slice(0, r), slice(width - r, width), 0,
                                    r),
                                   (slice(height - r, height), slice(0, r), r,
                                    0),
                                   (slice(height - r, height),
                                    slice(width - r, width), r, r)):
                shape[ys, xs] = corner[cy:cy + r, cx:cx + r]
    return shape


def random_distractors(rng: np.random.Generator, cfg: DistractorConfig,
                       size: Tuple[int, int], cameras: Sequence[np.ndarray],
                       textures: Sequence[np.ndarray]) -> List[Distractor]:
    """Draw the distractors of one video on a ``size`` (h, w) screen whose
    per-frame camera maps are ``cameras``; ``textures`` are BGR images,
    one per distractor to draw at most (what shows through it)."""
    h, w = size
    num_frames = len(cameras)
    if rng.random() < cfg.no_distractor_prob or not textures:
        return []
    count = int(rng.integers(1, min(cfg.max_distractors, len(textures)) + 1))
    t = np.arange(num_frames, dtype=np.float64)
    out = []
    for texture in textures[:count]:
        rh = int(rng.uniform(*cfg.distractor_size) * h)
        rw = int(min(rh * rng.uniform(0.5, 2.0), 0.6 * w))
        rh, rw = max(rh, 4), max(rw, 4)
        shape = _region_shape(rng, rh, rw)
        speed = rng.uniform(0.3, 1.0) * cfg.max_distractor_speed * w
        velocity = speed * _unit(rng)
        centre = (rw / 2, rh / 2)
        # the texture is scaled to cover the region and its whole path
        need = (max(rh, rw) + speed * num_frames) * 1.2
        tex_scale = need / min(texture.shape[:2])
        tex_centre = (texture.shape[1] / 2, texture.shape[0] / 2)
        if rng.random() < cfg.window_prob:
            kind = 'window'
            # fixed in the scene: placed on screen at frame 0, then carried
            # by the camera
            start = np.array([rng.uniform(0.1, 0.9) * w,
                              rng.uniform(0.1, 0.9) * h])
            place = compose_affine(
                np.linalg.inv(_affine(cameras[0]))[:2],
                _similarity(centre, start, 1.0, 0.0))
            region = [compose_affine(cam, place) for cam in cameras]
            content = []
            for i in range(num_frames):
                at = region[i] @ np.array([centre[0], centre[1], 1.0])
                content.append(
                    _similarity(tex_centre, at + t[i] * velocity, tex_scale,
                                0.0))
        else:
            kind = 'mover'
            start = np.array([rng.uniform(0.1, 0.9) * w,
                              rng.uniform(0.1, 0.9) * h])
            angle = rng.uniform(-3, 3)
            region = [
                _similarity(centre, start + t[i] * velocity, 1.0,
                            angle * t[i]) for i in range(num_frames)
            ]
            # the texture travels with the blob: a crop of it, rigidly
            patch = cv2.resize(texture, (rw, rh), interpolation=cv2.INTER_AREA)
            texture = patch
            content = region
        out.append(Distractor(kind, shape, texture, region, content))
    return out


def compose_with_distractors(
        background: np.ndarray, patch: np.ndarray, patch_mask: np.ndarray,
        motion: Motion, distractors: Sequence[Distractor],
        size: Tuple[int, int]
) -> Tuple[List[np.ndarray], List[np.ndarray], List[np.ndarray]]:
    """Render frames, 0/255 object masks and 0/255 visible-distractor masks
    on a ``size`` (h, w) screen; no photometric changes.

    Per frame: the background through the camera, then each distractor's
    texture inside its region, then the object. The object mask is exactly
    the set of pixels whose colour comes from the object patch.
    """
    h, w = size
    frames, masks, distractor_masks = [], [], []
    for t, cam in enumerate(camera_matrices(motion, size)):
        frame = camera_view(background, cam, size)
        moving = np.zeros((h, w), bool)
        for d in distractors:
            region = cv2.warpAffine(d.shape, d.region[t], (w, h),
                                    flags=cv2.INTER_NEAREST) > 0
            colour = cv2.warpAffine(d.texture, d.content[t], (w, h),
                                    flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REFLECT_101)
            frame[region] = colour[region]
            moving |= region
        inside = paste_object(frame, patch, patch_mask, motion, t)
        frames.append(frame)
        masks.append(np.where(inside, 255, 0).astype(np.uint8))
        distractor_masks.append(
            np.where(moving & ~inside, 255, 0).astype(np.uint8))
    return frames, masks, distractor_masks


def _read_item(frame: SourceFrame) -> Tuple[np.ndarray, np.ndarray]:
    image = decode_frame(read_file(frame.image), frame.image)
    mask = read_binary_mask(frame.mask)
    if image.shape[:2] != mask.shape:
        raise PrepareError(f'the mask {frame.mask} ({mask.shape[0]}x'
                           f'{mask.shape[1]}) does not match the size of '
                           f'{frame.image} ({image.shape[0]}x'
                           f'{image.shape[1]})')
    return image, mask


def _draw(rng: np.random.Generator, items: Dict[str, List[SourceFrame]],
          exclude: Sequence[str] = ()) -> Tuple[str, SourceFrame]:
    names = [n for n in sorted(items) if n not in exclude] or sorted(items)
    name = names[rng.integers(len(names))]
    frames = items[name]
    return name, frames[rng.integers(len(frames))]


def _background(items: SourceItems, name: str,
                frame: SourceFrame) -> np.ndarray:
    image, mask = _read_item(frame)
    if items.inpaint[name] and mask.any():
        return remove_object(image, mask)
    return image


def render_distractor_video(seed: int, items: SourceItems,
                            cfg: DistractorConfig = DistractorConfig(),
                            size: Tuple[int, int] = DEFAULT_SIZE,
                            ) -> DistractorVideo:
    """Render one video with distractor motion (the object, background and
    textures drawn from ``items`` by ``seed``)."""
    rng = np.random.default_rng(seed)
    bg_name, bg_frame = _draw(rng, items.backgrounds)
    background = _background(items, bg_name, bg_frame)
    for _ in range(50):
        obj_name, obj_frame = _draw(rng, items.objects, [bg_name])
        obj_image, obj_mask = _read_item(obj_frame)
        if obj_mask.mean() / 255 >= cfg.composite.min_object_area:
            break
    else:
        raise PrepareError(
            f'no object covering {cfg.composite.min_object_area:.0%} of its '
            f'image found in 50 draws from {len(items.objects)} items')
    patch, patch_mask = cut_object(obj_image, obj_mask)
    if rng.random() < 0.5:
        patch, patch_mask = patch[:, ::-1].copy(), patch_mask[:, ::-1].copy()
    motion = random_motion(rng, cfg.composite, size, background.shape[:2],
                           patch.shape[:2])
    textures = []
    for _ in range(cfg.max_distractors):
        name, frame = _draw(rng, items.backgrounds, [bg_name])
        textures.append(_background(items, name, frame))
    distractors = random_distractors(rng, cfg, size,
                                     camera_matrices(motion, size), textures)
    frames, masks, moving = compose_with_distractors(
        background, patch, patch_mask, motion, distractors, size)
    out = photometric(rng, frames)
    return DistractorVideo(out, masks, int(rng.integers(80, 96)), moving)


def distractor_video_name(split: str, index: int) -> str:
    """``dst-<split>-<0000>``; no '_' so ``<video>_<00000>`` stays
    unambiguous."""
    return f'dst-{split}-{index:04d}'


@lru_cache(maxsize=4)
def _cached_items(object_specs: Tuple[SourceSpec, ...],
                  background_specs: Tuple[SourceSpec, ...], holdout: float,
                  held_out: bool) -> SourceItems:
    return select_items(object_specs, background_specs, holdout, held_out)


@dataclass
class DistractorTask:
    """One video to render and write into the 2SEG layout."""
    split: str
    index: int
    seed: int
    objects: Tuple[SourceSpec, ...]
    backgrounds: Tuple[SourceSpec, ...]
    holdout: float
    held_out: bool
    opts: WriteOptions
    cfg: DistractorConfig = field(default_factory=DistractorConfig)
    size: Tuple[int, int] = DEFAULT_SIZE

    @property
    def name(self) -> str:
        return distractor_video_name(self.split, self.index)

    def stems(self) -> List[str]:
        return [
            f'{self.name}_{t:05d}'
            for t in range(self.cfg.composite.num_frames)
        ]

    def done(self) -> bool:
        return all(
            osp.exists(p) for s in self.stems()
            for p in self.opts.paths(self.split, s).values())


def make_distractor_video(task: DistractorTask, estimator: Callable) -> int:
    """Render and write one video (skipped when complete); flows are
    computed by ``estimator`` on the decoded JPEGs. Returns files
    written."""
    if task.done():
        return 0
    items = _cached_items(task.objects, task.backgrounds, task.holdout,
                          task.held_out)
    video = render_distractor_video(task.seed, items, task.cfg, task.size)
    job = VideoJob(task.name, task.split, [
        FrameSpec(encode_jpeg(f, video.jpeg_quality), stem, m)
        for f, m, stem in zip(video.frames, video.masks, task.stems())
    ])
    return process_video(job, estimator, task.opts)


def distractor_tasks(objects: Sequence[SourceSpec],
                     backgrounds: Sequence[SourceSpec],
                     splits: Sequence[Tuple[str, int]], base_seed: int,
                     opts: WriteOptions, holdout: float,
                     held_out_splits: Sequence[str],
                     cfg: DistractorConfig = DistractorConfig(),
                     size: Tuple[int, int] = DEFAULT_SIZE
                     ) -> List[DistractorTask]:
    """The tasks of ``splits`` (``(name, count)`` pairs). The sources of
    every part used are listed here first, so a bad source tree or an empty
    part fails before any work."""
    objects, backgrounds = tuple(objects), tuple(backgrounds)
    for held_out in {s in held_out_splits for s, _ in splits}:
        _cached_items(objects, backgrounds, holdout, held_out)
    return [
        DistractorTask(split, i, composite_seed(base_seed, split, i),
                       objects, backgrounds, holdout, split
                       in held_out_splits, opts, cfg, size)
        for split, n in splits for i in range(n)
    ]
