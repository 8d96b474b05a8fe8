"""Synthetic videos for unsupervised video object segmentation.

Each video shows one *primary* object moving over a moving textured scene,
with an exact mask of the primary object. The scene is built so that a model
must use both motion and appearance:

- the background is a large random texture (colour gradient, smoothed noise
  at several scales, random shapes, fine grain) seen through a camera that
  pans (smoothly varying velocity, bouncing off the texture's borders) and
  zooms slightly, so the background moves too;
- the primary object is a random blob, polygon or union of ellipses with its
  own texture, deformed non-rigidly by a smooth, time-varying warp, rotating,
  changing size, and moving *relative to the background* (velocity with
  random accelerations and sudden turns, bouncing to stay in view);
- 0-2 distractors are textured shapes painted into the background, so they
  share its motion exactly; often one of them has the object's colour
  statistics (same palette, same texture recipe), so appearance alone cannot
  tell which shape is the moving one;
- photometry: a per-video colour cast, gain and offset drifting over time,
  optical blur, sensor noise, and JPEG compression when written.

The object is composited with a hard edge, so its mask is exactly the set of
pixels it covers (the whole frame is blurred slightly afterwards, the object
and the background alike, so the edge is no give-away). Everything is drawn
from ``numpy.random.default_rng(seed)``: a seed gives the same video on
every run.
"""
import io
import math
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, List, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

from hfan.io.video import save_video
from hfan.utils.atomic_io import atomic_write_bytes

from .sources import decode_frame
from .two_seg import FrameSpec, VideoJob, WriteOptions, process_video

#: side of the square canvas on which object shapes and textures are drawn
_CANVAS = 128


@dataclass(frozen=True)
class SyntheticConfig:
    """Size and content of the generated videos.

    Attributes:
        height, width: frame size in pixels.
        num_frames: frames per video.
        max_distractors: at most this many static (background-attached)
            distractor shapes per video (0 to this, uniformly).
        lookalike_prob: probability that a video with distractors makes one
            of them look like the object (same palette).
    """
    height: int = 192
    width: int = 256
    num_frames: int = 20
    max_distractors: int = 2
    lookalike_prob: float = 0.5


@dataclass
class SyntheticVideo:
    """A rendered video: BGR uint8 frames (noise included, not yet JPEG
    compressed), 0/255 uint8 masks of the primary object, and the JPEG
    quality drawn for it."""
    frames: List[np.ndarray]
    masks: List[np.ndarray]
    jpeg_quality: int


def encode_jpeg(frame: np.ndarray, quality: int) -> bytes:
    """JPEG bytes of a BGR frame."""
    ok, buf = cv2.imencode('.jpg', frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError('JPEG encoding failed')
    return buf.tobytes()


# --------------------------------------------------------------------------
# textures and shapes


def random_palette(rng: np.random.Generator, n: int = 3) -> np.ndarray:
    """``n`` random BGR colours (float)."""
    return rng.uniform(0, 255, (n, 3))


def _smooth_noise(rng: np.random.Generator, h: int, w: int,
                  cell: float) -> np.ndarray:
    """Noise in [0, 1] varying over about ``cell`` pixels."""
    small = rng.standard_normal(
        (max(2, math.ceil(h / cell)) + 1, max(2, math.ceil(w / cell)) + 1))
    big = cv2.resize(small.astype(np.float32), (w, h),
                     interpolation=cv2.INTER_CUBIC)
    lo, hi = big.min(), big.max()
    return (big - lo) / max(hi - lo, 1e-6)


def random_texture(rng: np.random.Generator, h: int, w: int,
                   palette: np.ndarray, num_shapes: int = 0) -> np.ndarray:
    """A ``h x w`` BGR uint8 texture in the colours of ``palette``.

    A gradient between two palette colours, blotches of a third over
    smoothed noise, ``num_shapes`` random shapes in palette colours, then,
    over all of it, a fine multiplicative luminance pattern (noise, and a
    grating in some textures), per-channel colour noise and grain, so every
    region has texture for the flow to follow.
    """
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.uniform(0, 2 * math.pi)
    ramp = xx * math.cos(a) + yy * math.sin(a)
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
    i, j, k = rng.integers(len(palette), size=3)
    img = (palette[i] * (1 - ramp[..., None]) +
           palette[j] * ramp[..., None]).astype(np.float32)
    blotch = _smooth_noise(rng, h, w, rng.uniform(8, 48))
    blotch = rng.uniform(0.4, 0.9) * np.clip(2 * blotch - 0.5, 0, 1)
    img = img * (1 - blotch[..., None]) + \
        palette[k].astype(np.float32) * blotch[..., None]
    for _ in range(num_shapes):
        colour = tuple(
            float(c) for c in np.clip(
                palette[rng.integers(len(palette))] +
                rng.normal(0, 30, 3), 0, 255))
        _draw_random_shape(rng, img, colour)
    pattern = _smooth_noise(rng, h, w, rng.uniform(1.5, 6)) - 0.5
    pattern *= rng.uniform(0.2, 0.6)
    if rng.random() < 0.3:  # stripes
        b = rng.uniform(0, 2 * math.pi)
        period = rng.uniform(4, 16)
        pattern += rng.uniform(0.05, 0.2) * np.sin(
            (xx * math.cos(b) + yy * math.sin(b)) * (2 * math.pi / period))
    img *= 1 + pattern[..., None]
    for c in range(3):
        img[..., c] += rng.uniform(5, 25) * (
            _smooth_noise(rng, h, w, rng.uniform(4, 16)) - 0.5)
    img += rng.uniform(6, 16) * (rng.random((h, w, 1), np.float32) - 0.5)
    return np.clip(img, 0, 255).astype(np.uint8)


def _draw_random_shape(rng, img, colour) -> None:
    h, w = img.shape[:2]
    c = (int(rng.integers(w)), int(rng.integers(h)))
    size = int(rng.uniform(0.02, 0.12) * min(h, w)) + 2
    kind = rng.integers(4)
    if kind == 0:
        cv2.circle(img, c, size, colour, -1, cv2.LINE_AA)
    elif kind == 1:
        axes = (size, int(size * rng.uniform(0.3, 1)) + 1)
        cv2.ellipse(img, c, axes, float(rng.uniform(0, 180)), 0, 360, colour,
                    -1, cv2.LINE_AA)
    elif kind == 2:
        pts = np.array(c) + rng.integers(-size, size + 1, (
            int(rng.integers(3, 7)), 2))
        cv2.fillPoly(img, [pts.astype(np.int32)], colour, cv2.LINE_AA)
    else:
        end = np.array(c) + rng.integers(-3 * size, 3 * size + 1, 2)
        cv2.line(img, c, tuple(int(v) for v in end), colour,
                 int(rng.integers(1, 5)), cv2.LINE_AA)


def random_shape(rng: np.random.Generator,
                 size: int = _CANVAS) -> np.ndarray:
    """A random solid shape on a ``size x size`` canvas, uint8 0/1, centred,
    of radius about 0.38 ``size``: a Fourier blob, a star polygon or a union
    of ellipses, covering at least a third of its disc (thin slivers are
    drawn again)."""
    c, r = size / 2, 0.38 * size
    while True:
        mask = np.zeros((size, size), np.uint8)
        kind = rng.integers(3)
        if kind == 0:  # blob: radius = sum of a few low harmonics
            theta = np.linspace(0, 2 * math.pi, 180, endpoint=False)
            rad = np.ones_like(theta)
            for k in range(2, 6):
                rad += rng.uniform(0, 0.6 / k) * np.cos(
                    k * theta + rng.uniform(0, 2 * math.pi))
            rad = r * rad / rad.max()
            pts = np.stack(
                [c + rad * np.cos(theta), c + rad * np.sin(theta)], 1)
            cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
        elif kind == 1:  # star-shaped polygon
            n = int(rng.integers(4, 9))
            theta = np.sort(rng.uniform(0, 2 * math.pi, n))
            rad = r * rng.uniform(0.55, 1.0, n)
            pts = np.stack(
                [c + rad * np.cos(theta), c + rad * np.sin(theta)], 1)
            cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
        else:  # union of ellipses, like a body with limbs
            for e in range(int(rng.integers(2, 4))):
                off = rng.uniform(-0.35, 0.35, 2) * r if e else np.zeros(2)
                axes = (int(r * rng.uniform(0.45, 0.8)),
                        int(r * rng.uniform(0.25, 0.55)))
                cv2.ellipse(mask, (int(c + off[0]), int(c + off[1])), axes,
                            float(rng.uniform(0, 180)), 0, 360, 1, -1)
        if mask.sum() >= math.pi * r * r / 3:
            return mask


# --------------------------------------------------------------------------
# the moving primary object


class _SmoothWarp:
    """A smooth non-rigid warp of the object canvas: a sum of three sine
    waves per axis whose phases drift over time."""

    def __init__(self, rng: np.random.Generator, strength: float):
        self.amp = rng.uniform(0.3, 1.0, (2, 3)) * strength * _CANVAS
        self.freq = rng.uniform(0.4, 1.6, (2, 3, 2)) * 2 * math.pi / _CANVAS
        self.speed = rng.uniform(-0.25, 0.25, (2, 3))
        self.phase = rng.uniform(0, 2 * math.pi, (2, 3))

    def __call__(self, u: np.ndarray, v: np.ndarray, t: int):
        out = []
        for axis in range(2):
            d = np.zeros_like(u)
            for k in range(3):
                fu, fv = self.freq[axis, k]
                d += self.amp[axis, k] * np.sin(
                    fu * u + fv * v + self.phase[axis, k] +
                    self.speed[axis, k] * t)
            out.append(d)
        return u + out[0], v + out[1]


def _render_object(frame: np.ndarray, texture: np.ndarray, shape: np.ndarray,
                   warp: _SmoothWarp, t: int, centre: Tuple[float, float],
                   scale: float, angle: float) -> np.ndarray:
    """Paint the object into ``frame`` (in place); returns its bool mask.

    ``scale`` is frame pixels per canvas pixel; the canvas centre lands on
    ``centre``. Each frame pixel looks up the canvas point it shows (inverse
    rotation and scale, then the warp): the shape by nearest neighbour (the
    mask is exactly the painted pixels), the texture bilinearly.
    """
    h, w = frame.shape[:2]
    reach = 0.75 * _CANVAS * scale  # beyond the warped shape's extent
    x0, x1 = max(0, int(centre[0] - reach)), min(w, int(centre[0] + reach) + 1)
    y0, y1 = max(0, int(centre[1] - reach)), min(h, int(centre[1] + reach) + 1)
    mask = np.zeros((h, w), bool)
    if x0 >= x1 or y0 >= y1:
        return mask
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    dx, dy = xx - centre[0], yy - centre[1]
    cos, sin = math.cos(angle), math.sin(angle)
    u = (cos * dx + sin * dy) / scale + _CANVAS / 2
    v = (-sin * dx + cos * dy) / scale + _CANVAS / 2
    u, v = warp(u, v, t)
    u, v = u.astype(np.float32), v.astype(np.float32)
    inside = cv2.remap(shape, u, v, cv2.INTER_NEAREST,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=0) > 0
    colour = cv2.remap(texture, u, v, cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REFLECT)
    region = frame[y0:y1, x0:x1]
    region[inside] = colour[inside]
    mask[y0:y1, x0:x1] = inside
    return mask


# --------------------------------------------------------------------------
# the video


def render_video(seed: int,
                 cfg: SyntheticConfig = SyntheticConfig(),
                 *,
                 draw_object: bool = True,
                 photometric: bool = True) -> SyntheticVideo:
    """Render one video from ``seed`` (deterministic).

    ``draw_object=False`` renders the same video without its primary object
    (same camera, distractors and noise: a video with nothing to segment);
    ``photometric=False`` leaves out the colour cast, blur and noise. The
    random draws do not depend on either flag.
    """
    rng = np.random.default_rng(seed)
    H, W, T = cfg.height, cfg.width, cfg.num_frames
    side = min(H, W)

    # background: twice the frame, seen through a panning, zooming camera
    BH, BW = 2 * H, 2 * W
    bg = random_texture(rng, BH, BW, random_palette(rng, 4),
                        num_shapes=int(rng.integers(20, 60)))
    zoom = 1.0
    zoom_rate = rng.uniform(-0.004, 0.004)
    cam = np.array([BW / 2, BH / 2]) + rng.uniform(-0.2, 0.2, 2) * [W, H]
    cam_speed = 0.0 if rng.random() < 0.15 else rng.uniform(0.5, 3.0)
    heading = rng.uniform(0, 2 * math.pi)
    cam_vel = cam_speed * np.array([math.cos(heading), math.sin(heading)])

    # primary object, in world (background) coordinates
    obj_palette = random_palette(rng, 3)
    obj_texture = random_texture(rng, _CANVAS, _CANVAS, obj_palette,
                                 num_shapes=int(rng.integers(2, 8)))
    obj_shape = random_shape(rng)
    warp = _SmoothWarp(rng, strength=rng.uniform(0.02, 0.07))
    radius0 = rng.uniform(0.18, 0.34) * side  # on-screen radius at zoom 1
    scale0 = radius0 / (0.38 * _CANVAS)
    size_amp = rng.uniform(0.05, 0.25)
    size_freq = rng.uniform(0.05, 0.25)
    size_phase = rng.uniform(0, 2 * math.pi)
    angle = rng.uniform(0, 2 * math.pi)
    spin = rng.uniform(-0.06, 0.06)
    # the object's centre stays this far inside the view: mostly visible
    margin = np.minimum(np.maximum(0.15, 0.7 * radius0 / np.array([W, H])),
                        0.45) * [W, H]
    start = rng.uniform(margin, [W, H] - margin)
    obj = cam + (start - [W / 2, H / 2]) / zoom
    speed_lo, speed_hi = 1.5, max(2.5, 0.03 * side)
    vel = rng.uniform(speed_lo, speed_hi) * _unit(rng)

    # distractors painted into the background: they move with it
    n_distractors = int(rng.integers(0, cfg.max_distractors + 1))
    lookalike = n_distractors > 0 and rng.random() < cfg.lookalike_prob
    for d in range(n_distractors):
        same = lookalike and d == 0
        palette = obj_palette if same else random_palette(rng, 3)
        tex = random_texture(rng, _CANVAS, _CANVAS, palette,
                             num_shapes=int(rng.integers(2, 8)))
        where = cam + (rng.uniform(margin, [W, H] - margin) -
                       [W / 2, H / 2]) / zoom
        r = radius0 * rng.uniform(0.7, 1.3) if same else \
            rng.uniform(0.08, 0.2) * side
        _paint(bg, tex, random_shape(rng), where, r / (0.38 * _CANVAS),
               rng.uniform(0, 2 * math.pi))

    # photometry
    gain = rng.uniform(0.8, 1.2) * rng.uniform(0.9, 1.1, 3)
    offset = rng.uniform(-20, 20)
    flicker = rng.uniform(0, 0.03)
    blur = rng.uniform(0.4, 1.0)
    noise_sigma = rng.uniform(1.0, 5.0)
    quality = int(rng.integers(70, 96))

    frames, masks = [], []
    for t in range(T):
        # camera: frame point p shows world point cam + (p - centre) / zoom
        half = np.array([W, H]) / (2 * zoom)
        for a in range(2):  # keep the view inside the background
            lo, hi = half[a] + 1, (BW, BH)[a] - half[a] - 1
            if not lo <= cam[a] <= hi:
                cam[a] = min(max(cam[a], lo), hi)
                cam_vel[a] = -cam_vel[a]
        m = np.array([[1 / zoom, 0, cam[0] - W / 2 / zoom],
                      [0, 1 / zoom, cam[1] - H / 2 / zoom]])
        frame = cv2.warpAffine(bg, m, (W, H),
                               flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REFLECT)

        # object: bounce off the margins of the view
        pos = (obj - cam) * zoom + [W / 2, H / 2]
        for a in range(2):
            lo, hi = margin[a], (W, H)[a] - margin[a]
            if not lo <= pos[a] <= hi:
                pos[a] = min(max(pos[a], lo), hi)
                vel[a] = abs(vel[a]) if pos[a] <= lo else -abs(vel[a])
        obj = cam + (pos - [W / 2, H / 2]) / zoom
        scale = scale0 * zoom * math.exp(
            size_amp * math.sin(size_freq * t + size_phase))
        if draw_object:
            mask = _render_object(frame, obj_texture, obj_shape, warp, t,
                                  (pos[0], pos[1]), scale, angle)
        else:
            mask = np.zeros((H, W), bool)
        masks.append(mask.astype(np.uint8) * 255)

        # drawn with or without photometry: the random stream stays the same
        noise = rng.normal(0, noise_sigma, frame.shape).astype(np.float32)
        if photometric:
            light = gain * (1 + flicker * math.sin(0.7 * t))
            img = frame.astype(np.float32) * light.astype(np.float32) + offset
            img = cv2.GaussianBlur(img, (0, 0), blur) + noise
            frame = np.clip(img + 0.5, 0, 255).astype(np.uint8)
        frames.append(frame)

        # motion to the next frame
        if rng.random() < 0.08:  # sudden turn
            vel = rng.uniform(speed_lo, speed_hi) * _unit(rng)
        vel = vel + rng.normal(0, 0.3, 2)
        speed = np.linalg.norm(vel)
        vel = vel * np.clip(speed, speed_lo, speed_hi) / max(speed, 1e-6)
        obj = obj + vel / zoom
        angle += spin
        cam_vel = cam_vel + rng.normal(0, 0.15, 2)
        cam = cam + cam_vel
        zoom = float(np.clip(zoom * (1 + zoom_rate), 0.9, 1.15))
    return SyntheticVideo(frames, masks, quality)


def _unit(rng: np.random.Generator) -> np.ndarray:
    a = rng.uniform(0, 2 * math.pi)
    return np.array([math.cos(a), math.sin(a)])


def _paint(canvas: np.ndarray, texture: np.ndarray, shape: np.ndarray,
           centre, scale: float, angle: float) -> None:
    """Paint a textured shape into ``canvas`` (in place), hard-edged."""
    c = _CANVAS / 2
    m = cv2.getRotationMatrix2D((c, c), math.degrees(angle), scale)
    m[:, 2] += np.asarray(centre) - c
    h, w = canvas.shape[:2]
    inside = cv2.warpAffine(shape, m, (w, h), flags=cv2.INTER_NEAREST) > 0
    colour = cv2.warpAffine(texture, m, (w, h), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REFLECT)
    canvas[inside] = colour[inside]


def video_seed(base_seed: int, split: str, index: int) -> int:
    """The seed of video ``index`` of ``split``: stable across runs and
    machines, different for every (base seed, split, index)."""
    ss = np.random.SeedSequence([base_seed, *split.encode(), index])
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def video_name(split: str, index: int) -> str:
    """``syn-<split>-<0000>``; no '_' so ``<video>_<00000>`` stays
    unambiguous."""
    return f'syn-{split}-{index:04d}'


# --------------------------------------------------------------------------
# writing videos to disk

#: the layouts :func:`make_synthetic_video` writes
LAYOUTS = ('2seg', 'davis')


@dataclass
class SyntheticTask:
    """One video to generate and write.

    Attributes:
        split, index, base_seed: identify the video (its name and seed).
        cfg: sizes and content.
        layout: ``'2seg'`` (frame/flow/mask as HFAN reads them, flows
            computed) or ``'davis'`` (a DAVIS download's layout:
            ``JPEGImages/480p/<video>/00000.jpg`` and palette
            ``Annotations/480p/<video>/00000.png``, no flow).
        opts: where and how to write (``opts.out_root`` is the root).
        mp4: also write ``<root>/preview/<split>/<video>.mp4`` (frames with
            the mask outline).
        fps: frame rate of the preview.
    """
    split: str
    index: int
    base_seed: int
    opts: WriteOptions
    cfg: SyntheticConfig = field(default_factory=SyntheticConfig)
    layout: str = '2seg'
    mp4: bool = False
    fps: float = 10.0

    @property
    def name(self) -> str:
        return video_name(self.split, self.index)

    def outputs(self) -> List[str]:
        """Every file this task writes."""
        root, name, out = self.opts.out_root, self.name, []
        for t in range(self.cfg.num_frames):
            if self.layout == '2seg':
                out += self.opts.paths(self.split, f'{name}_{t:05d}').values()
            else:
                out += [
                    osp.join(root, 'JPEGImages', '480p', name, f'{t:05d}.jpg'),
                    osp.join(root, 'Annotations', '480p', name,
                             f'{t:05d}.png')
                ]
        if self.mp4:
            out.append(osp.join(root, 'preview', self.split, name + '.mp4'))
        return out

    def done(self) -> bool:
        return all(osp.exists(p) for p in self.outputs())


def make_synthetic_video(task: SyntheticTask, estimator: Callable) -> int:
    """Render and write one video (skipped when all its files exist);
    returns the number of files written. Frames are JPEG-compressed at the
    video's quality; in the 2SEG layout flows are computed by ``estimator``
    on the decoded JPEGs, as for real data."""
    if task.done():
        return 0
    video = render_video(video_seed(task.base_seed, task.split, task.index),
                         task.cfg)
    jpegs = [encode_jpeg(f, video.jpeg_quality) for f in video.frames]
    name, root, written = task.name, task.opts.out_root, 0
    if task.layout == '2seg':
        job = VideoJob(name, task.split, [
            FrameSpec(j, f'{name}_{t:05d}', m)
            for t, (j, m) in enumerate(zip(jpegs, video.masks))
        ])
        written += process_video(job, estimator, task.opts)
    elif task.layout == 'davis':
        for t, (jpeg, mask) in enumerate(zip(jpegs, video.masks)):
            img = osp.join(root, 'JPEGImages', '480p', name, f'{t:05d}.jpg')
            ann = osp.join(root, 'Annotations', '480p', name, f'{t:05d}.png')
            if not osp.exists(img):
                atomic_write_bytes(img, jpeg)
                written += 1
            if not osp.exists(ann):
                atomic_write_bytes(ann, palette_png(mask > 0))
                written += 1
    else:
        raise ValueError(f'unknown layout {task.layout!r}; use one of '
                         f'{LAYOUTS}')
    if task.mp4:
        path = osp.join(root, 'preview', task.split, name + '.mp4')
        if not osp.exists(path):
            save_video((_outline(decode_frame(j, name), m)
                        for j, m in zip(jpegs, video.masks)), path,
                       task.fps)
            written += 1
    return written


def write_davis_image_sets(out_root: str,
                           splits: Sequence[Tuple[str, int]]) -> None:
    """Write ``OUT/ImageSets/2016/<split>.txt`` (the video names, one a
    line) for the ``(split, count)`` pairs of a ``'davis'`` layout run; a
    list that already holds the same text is left alone."""
    for split, n in splits:
        path = osp.join(out_root, 'ImageSets', '2016', f'{split}.txt')
        text = ''.join(video_name(split, i) + '\n' for i in range(n))
        if not (osp.exists(path) and _read_text(path) == text):
            atomic_write_bytes(path, text.encode())


def _read_text(path: str) -> str:
    with open(path) as f:
        return f.read()


def palette_png(labels: np.ndarray) -> bytes:
    """PNG bytes of an object-id map (0 = background) as a palette image,
    like DAVIS annotations (colour of id 1: (128, 0, 0))."""
    labels = np.ascontiguousarray(labels, dtype=np.uint8)
    im = Image.frombytes('P', labels.shape[::-1], labels.tobytes())
    palette = np.zeros((256, 3), np.uint8)
    for i in range(1, 256):  # the PASCAL VOC / DAVIS colour map
        c, r, g, b = i, 0, 0, 0
        for bit in range(8):
            r |= ((c >> 0) & 1) << (7 - bit)
            g |= ((c >> 1) & 1) << (7 - bit)
            b |= ((c >> 2) & 1) << (7 - bit)
            c >>= 3
        palette[i] = (r, g, b)
    im.putpalette(palette.ravel().tolist())
    buf = io.BytesIO()
    im.save(buf, format='PNG')
    return buf.getvalue()


def _outline(frame: np.ndarray, mask: np.ndarray) -> np.ndarray:
    contours, _ = cv2.findContours((mask > 0).astype(np.uint8),
                                   cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return cv2.drawContours(frame, contours, -1, (0, 255, 0), 1)
