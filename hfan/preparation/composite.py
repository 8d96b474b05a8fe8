"""Copy-paste videos from real footage: stage-1 training data with exact masks.

A composite video moves a real object, cut out of one frame of a video with
its annotation, over a real frame of *another* video seen through a moving
camera:

- background: one frame of a source video, warped per frame by a camera
  that pans, zooms and rolls smoothly (reflected borders); whatever object
  that frame shows moves exactly with the background, so it is a distractor
  that looks like an object but does not move on its own;
- object: the annotated object of a frame of a different source video
  (cropped to its mask's bounding box, flipped at random), scaled to
  25-80 % of the frame height and moved relative to the screen along its own
  trajectory (velocity, acceleration, growth, rotation); a share of the
  videos keep it nearly still on screen, as a camera following it would;
- the object is pasted with a hard edge, so the ground truth is exactly the
  set of pixels it covers;
- photometry: a per-video gain and offset, mild blur, JPEG compression.

Flow is computed afterwards on the decoded JPEGs by the same estimator as
for real data (:func:`hfan.preparation.two_seg.process_video`), so the model
sees the estimator's errors, not ideal motion. Everything is drawn from
``numpy.random.default_rng(seed)``: a seed gives the same video on every run.

Sources are read from a 2SEG split (``frame/<split>/<video>_<00000>.jpg``
and ``mask/<split>/<video>_<00000>.png``), e.g. DAVIS-16 train; nothing of
the evaluation split is used when the source split is ``train``.
"""
import os
import os.path as osp
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .sources import PrepareError, decode_frame, read_binary_mask, read_file
from .synthetic import SyntheticVideo, _unit, encode_jpeg
from .two_seg import (
    FRAME_DIR,
    MASK_DIR,
    FrameSpec,
    VideoJob,
    WriteOptions,
    process_video,
)


@dataclass(frozen=True)
class CompositeConfig:
    """What a composite video looks like.

    Attributes:
        num_frames: frames per video.
        min_object_area: a source frame's object must cover at least this
            fraction of its frame to be cut out.
        object_height: range of the pasted object's bounding-box height, as a
            fraction of the frame height.
        still_object_prob: probability that the object barely moves on
            screen (a camera following it); the background still moves.
        max_object_speed: object speed on screen, fraction of the frame width
            per frame.
        max_camera_speed: camera pan, fraction of the frame width per frame.
    """
    num_frames: int = 5
    min_object_area: float = 0.01
    object_height: Tuple[float, float] = (0.25, 0.8)
    still_object_prob: float = 0.25
    max_object_speed: float = 0.04
    max_camera_speed: float = 0.03


@dataclass(frozen=True)
class SourceFrame:
    """One annotated frame of a source video."""
    video: str
    image: str
    mask: str


def list_source_frames(root: str, split: str) -> Dict[str, List[SourceFrame]]:
    """The annotated frames of a 2SEG split, by video, in frame order.

    Raises :class:`PrepareError` naming the folder or file when the split
    has no frames, a frame has no mask, or fewer than two videos are found
    (object and background must come from different videos).
    """
    frame_dir = osp.join(root, FRAME_DIR, split)
    mask_dir = osp.join(root, MASK_DIR, split)
    for folder in (frame_dir, mask_dir):
        if not osp.isdir(folder):
            raise PrepareError(f'folder not found: {folder}')
    videos: Dict[str, List[SourceFrame]] = {}
    for name in sorted(os.listdir(frame_dir)):
        stem, ext = osp.splitext(name)
        if ext.lower() != '.jpg' or '_' not in stem:
            continue
        mask = osp.join(mask_dir, stem + '.png')
        if not osp.isfile(mask):
            raise PrepareError(f'missing mask: {mask} (for the frame '
                               f'{osp.join(frame_dir, name)})')
        video = stem.rsplit('_', 1)[0]
        videos.setdefault(video, []).append(
            SourceFrame(video, osp.join(frame_dir, name), mask))
    if len(videos) < 2:
        raise PrepareError(
            f'{frame_dir} holds {len(videos)} video(s); composites need at '
            'least two (object and background come from different videos)')
    return videos


# make_composite_video lists the sources once per worker process
_cached_sources = lru_cache(maxsize=4)(list_source_frames)


@dataclass
class Motion:
    """The per-frame geometry of one composite video (pixels, degrees).

    The camera maps background pixel ``p`` to the screen by a similarity of
    scale ``cam_zoom[t]``, rotation ``cam_angle[t]`` about ``cam_centre[t]``
    (the background point shown at the screen centre). The object patch is
    placed with its centre at ``obj_centre[t]``, scaled by ``obj_scale[t]``
    and rotated by ``obj_angle[t]``.
    """
    cam_centre: np.ndarray  # (T, 2) x, y in background pixels
    cam_zoom: np.ndarray  # (T,)
    cam_angle: np.ndarray  # (T,)
    obj_centre: np.ndarray  # (T, 2) x, y on screen
    obj_scale: np.ndarray  # (T,)
    obj_angle: np.ndarray  # (T,)


def _similarity(centre_from, centre_to, scale, angle) -> np.ndarray:
    """The 2x3 matrix rotating by ``angle`` degrees and scaling by
    ``scale`` about ``centre_from``, then moving it to ``centre_to``."""
    m = cv2.getRotationMatrix2D((float(centre_from[0]),
                                 float(centre_from[1])), float(angle),
                                float(scale))
    m[:, 2] += np.asarray(centre_to, np.float64) - np.asarray(
        centre_from, np.float64)
    return m


def random_motion(rng: np.random.Generator, cfg: CompositeConfig,
                  size: Tuple[int, int], bg_size: Tuple[int, int],
                  obj_size: Tuple[int, int]) -> Motion:
    """Draw a camera and object trajectory for a ``size`` (h, w) screen,
    a ``bg_size`` background and an ``obj_size`` object patch."""
    h, w = size
    bh, bw = bg_size
    oh, ow = obj_size
    t = np.arange(cfg.num_frames, dtype=np.float64)
    # camera: zoom >= the factor that fills the screen, smooth pan and roll
    fill = max(h / bh, w / bw)
    zoom0 = fill * rng.uniform(1.0, 1.4)
    cam_zoom = zoom0 * (1 + rng.uniform(-0.02, 0.02))**t
    pan = rng.uniform(0, cfg.max_camera_speed * w) / zoom0 * _unit(rng)
    cam_centre = np.array([bw / 2, bh / 2]) + rng.uniform(
        -0.15, 0.15, 2) * [bw, bh] + t[:, None] * pan
    cam_angle = rng.uniform(-1, 1) * t
    # object: size, a start in the middle part of the screen, own motion
    scale0 = min(rng.uniform(*cfg.object_height) * h / oh, 0.9 * w / ow)
    obj_scale = scale0 * (1 + rng.uniform(-0.03, 0.03))**t
    start = np.array([rng.uniform(0.3, 0.7) * w, rng.uniform(0.35, 0.65) * h])
    if rng.random() < cfg.still_object_prob:
        speed = rng.uniform(0, 0.003 * w)
    else:
        speed = rng.uniform(0.005, cfg.max_object_speed) * w
    velocity = speed * _unit(rng)
    accel = rng.uniform(-0.1, 0.1, 2) * speed
    obj_centre = start + t[:, None] * velocity + 0.5 * t[:, None]**2 * accel
    obj_angle = rng.uniform(-2, 2) * t
    return Motion(cam_centre, cam_zoom, cam_angle, obj_centre, obj_scale,
                  obj_angle)


def cut_object(image: np.ndarray, mask: np.ndarray,
               margin: int = 2) -> Tuple[np.ndarray, np.ndarray]:
    """The bounding-box crop (plus ``margin`` px) of ``mask``'s foreground:
    ``(patch BGR, patch mask 0/1 uint8)``."""
    ys, xs = np.nonzero(mask)
    y0, y1 = max(ys.min() - margin, 0), min(ys.max() + margin + 1,
                                            mask.shape[0])
    x0, x1 = max(xs.min() - margin, 0), min(xs.max() + margin + 1,
                                            mask.shape[1])
    return (image[y0:y1, x0:x1].copy(),
            (mask[y0:y1, x0:x1] > 0).astype(np.uint8))


def compose(background: np.ndarray, patch: np.ndarray,
            patch_mask: np.ndarray, motion: Motion,
            size: Tuple[int, int]) -> Tuple[List[np.ndarray],
                                            List[np.ndarray]]:
    """Render the frames and 0/255 masks of ``motion`` on a ``size`` (h, w)
    screen; no photometric changes. The mask is exactly the set of pixels
    whose colour comes from the object patch."""
    frames, masks = [], []
    for t, cam in enumerate(camera_matrices(motion, size)):
        frame = camera_view(background, cam, size)
        inside = paste_object(frame, patch, patch_mask, motion, t)
        frames.append(frame)
        masks.append(np.where(inside, 255, 0).astype(np.uint8))
    return frames, masks


def camera_matrices(motion: Motion, size: Tuple[int, int]
                    ) -> List[np.ndarray]:
    """Per frame, the 2x3 map from background to screen pixels on a
    ``size`` (h, w) screen."""
    h, w = size
    return [
        _similarity(motion.cam_centre[t], (w / 2, h / 2), motion.cam_zoom[t],
                    motion.cam_angle[t])
        for t in range(len(motion.cam_zoom))
    ]


def camera_view(background: np.ndarray, camera: np.ndarray,
                size: Tuple[int, int]) -> np.ndarray:
    """The background as ``camera`` (2x3) shows it on a ``size`` screen,
    borders reflected."""
    return cv2.warpAffine(background, camera, (size[1], size[0]),
                          flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT_101)


def paste_object(frame: np.ndarray, patch: np.ndarray,
                 patch_mask: np.ndarray, motion: Motion,
                 t: int) -> np.ndarray:
    """Paste the object patch into ``frame`` (in place) where ``motion``
    puts it at frame ``t``, with a hard edge; returns the (h, w) bool mask
    of the pixels whose colour now comes from the patch."""
    h, w = frame.shape[:2]
    patch_centre = ((patch.shape[1] - 1) / 2, (patch.shape[0] - 1) / 2)
    obj = _similarity(patch_centre, motion.obj_centre[t],
                      motion.obj_scale[t], motion.obj_angle[t])
    inside = cv2.warpAffine(patch_mask, obj, (w, h),
                            flags=cv2.INTER_NEAREST) > 0
    colour = cv2.warpAffine(patch, obj, (w, h), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    frame[inside] = colour[inside]
    return inside


def photometric(rng: np.random.Generator,
                frames: Sequence[np.ndarray]) -> List[np.ndarray]:
    """A per-video gain (0.8-1.2) and offset (+-20), and a mild Gaussian
    blur (sigma up to 0.8, applied above 0.3) drawn from ``rng``."""
    gain, offset = rng.uniform(0.8, 1.2), rng.uniform(-20, 20)
    sigma = rng.uniform(0, 0.8)
    out = []
    for frame in frames:
        f = frame.astype(np.float32) * gain + offset
        if sigma > 0.3:
            f = cv2.GaussianBlur(f, (0, 0), sigma)
        out.append(f.clip(0, 255).astype(np.uint8))
    return out


def _pick_object(rng, videos, exclude, cfg):
    """A (video, frame, mask) whose object covers enough of its frame."""
    names = [v for v in videos if v != exclude]
    for _ in range(50):
        src = videos[names[rng.integers(len(names))]]
        frame = src[rng.integers(len(src))]
        mask = read_binary_mask(frame.mask)
        if mask.mean() / 255 >= cfg.min_object_area:
            return frame, mask
    raise PrepareError(
        f'no object covering {cfg.min_object_area:.0%} of its frame found '
        f'in 50 draws from {len(names)} videos (masks under '
        f'{osp.dirname(frame.mask)})')


def render_composite(seed: int, videos: Dict[str, List[SourceFrame]],
                     cfg: CompositeConfig = CompositeConfig(),
                     size: Optional[Tuple[int, int]] = None,
                     motion: Optional[Motion] = None) -> SyntheticVideo:
    """Render one composite video.

    Args:
        seed: draws the sources, the motion and the photometry.
        videos: source frames by video (:func:`list_source_frames`).
        size: (h, w) of the output; default: the background frame's size.
        motion: use this geometry instead of a random one (tests).
    """
    rng = np.random.default_rng(seed)
    names = sorted(videos)
    bg_video = names[rng.integers(len(names))]
    bg = videos[bg_video][rng.integers(len(videos[bg_video]))]
    background = decode_frame(read_file(bg.image), bg.image)
    obj_frame, obj_mask = _pick_object(rng, videos, bg_video, cfg)
    obj_image = decode_frame(read_file(obj_frame.image), obj_frame.image)
    if obj_image.shape[:2] != obj_mask.shape:
        raise PrepareError(f'the mask {obj_frame.mask} does not match the '
                           f'size of its frame {obj_frame.image}')
    patch, patch_mask = cut_object(obj_image, obj_mask)
    if rng.random() < 0.5:
        patch, patch_mask = patch[:, ::-1].copy(), patch_mask[:, ::-1].copy()
    size = size or background.shape[:2]
    if motion is None:
        motion = random_motion(rng, cfg, size, background.shape[:2],
                               patch.shape[:2])
    frames, masks = compose(background, patch, patch_mask, motion, size)
    out = photometric(rng, frames)
    return SyntheticVideo(out, masks, int(rng.integers(80, 96)))


def composite_name(split: str, index: int) -> str:
    """``cmp-<split>-<0000>``; no '_' so ``<video>_<00000>`` stays
    unambiguous."""
    return f'cmp-{split}-{index:04d}'


@dataclass
class CompositeTask:
    """One composite video to render and write into the 2SEG layout, from
    the source frames of ``source_root``'s ``source_split`` (listed once
    per process)."""
    split: str
    index: int
    seed: int
    source_root: str
    source_split: str
    opts: WriteOptions
    cfg: CompositeConfig = field(default_factory=CompositeConfig)
    size: Optional[Tuple[int, int]] = None

    @property
    def name(self) -> str:
        return composite_name(self.split, self.index)

    def stems(self) -> List[str]:
        return [f'{self.name}_{t:05d}' for t in range(self.cfg.num_frames)]

    def done(self) -> bool:
        return all(
            osp.exists(p) for s in self.stems()
            for p in self.opts.paths(self.split, s).values())


def make_composite_video(task: CompositeTask, estimator: Callable) -> int:
    """Render and write one composite (skipped when complete); flows are
    computed by ``estimator`` on the decoded JPEGs. Returns files written."""
    if task.done():
        return 0
    videos = _cached_sources(task.source_root, task.source_split)
    video = render_composite(task.seed, videos, task.cfg, task.size)
    job = VideoJob(task.name, task.split, [
        FrameSpec(encode_jpeg(f, video.jpeg_quality), stem, m)
        for f, m, stem in zip(video.frames, video.masks, task.stems())
    ])
    return process_video(job, estimator, task.opts)


def composite_seed(base_seed: int, split: str, index: int) -> int:
    """The seed of composite ``index`` of ``split`` (stable across runs)."""
    ss = np.random.SeedSequence([base_seed, 17, *split.encode(), index])
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def composite_tasks(source_root: str, source_split: str,
                    splits: Sequence[Tuple[str, int]], base_seed: int,
                    opts: WriteOptions,
                    cfg: CompositeConfig = CompositeConfig(),
                    size: Optional[Tuple[int, int]] = None
                    ) -> List[CompositeTask]:
    """The tasks of ``splits`` (``(name, count)`` pairs); the sources are
    listed here first, so a bad source tree fails before any work."""
    list_source_frames(source_root, source_split)
    return [
        CompositeTask(split, i, composite_seed(base_seed, split, i),
                      source_root, source_split, opts, cfg, size)
        for split, n in splits for i in range(n)
    ]
