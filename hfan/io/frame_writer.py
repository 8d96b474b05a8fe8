"""HFAN's per-frame outputs: palette masks, 0/255 archives, probabilities.

The published ``infer.py`` writes, for a frame ``<video>_<00000>``:

* ``<out>/<video>_<00000>.png``: the prediction as a palette PNG, background
  black and foreground red ``[255, 0, 0]`` (what MMSeg's visualiser paints);
* ``<out>-DAVIS-16/<video>/<00000>.png``: the archive the DAVIS tools read,
  ``0``/``255`` (the red channel of the painted output thresholded at 127,
  which is exactly the foreground of the mask).

``--save-prob`` adds ``<out>-prob/<video>/<00000>.png``: the foreground
probability as an 8-bit grey image (``round(255 * p)``), the saliency maps
VSOD measures need.

Every file is written atomically (temporary name beside it, then
``os.replace``), so a run killed at any moment never leaves a truncated PNG;
:meth:`FrameWriter.remove_stale_temporaries` clears the temporary files such a
run leaves behind.
"""
import io
import os.path as osp
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Dict, List, Optional

import cv2
import numpy as np
from PIL import Image

from hfan.utils.atomic_io import atomic_write_bytes, remove_stale_tmp

#: Colours of the palette PNG, index 0 = background, 1 = foreground (RGB).
PALETTE = ((0, 0, 0), (255, 0, 0))



def archive_dir(output_dir: str) -> str:
    """``<out>-DAVIS-16``: the per-video 0/255 archive beside the masks."""
    return osp.normpath(output_dir) + '-DAVIS-16'


def prob_dir(output_dir: str) -> str:
    """``<out>-prob``: the per-video probability maps beside ``output_dir``."""
    return osp.normpath(output_dir) + '-prob'


def encode_palette_png(mask: np.ndarray) -> bytes:
    """(H, W) {0, 1} mask -> palette PNG bytes (index 0 black, 1 red)."""
    image = Image.fromarray(_check_mask(mask), mode='P')
    image.putpalette([c for colour in PALETTE for c in colour])
    buffer = io.BytesIO()
    image.save(buffer, format='PNG')
    return buffer.getvalue()


def encode_binary_png(mask: np.ndarray) -> bytes:
    """(H, W) {0, 1} mask -> 8-bit grey PNG bytes with values 0 / 255."""
    return _encode_png(_check_mask(mask) * np.uint8(255))


def probability_to_uint8(prob: np.ndarray) -> np.ndarray:
    """(H, W) float probabilities in [0, 1] -> uint8 ``round(255 * p)``."""
    prob = np.asarray(prob, dtype=np.float32)
    return np.rint(np.clip(prob, 0.0, 1.0) * 255).astype(np.uint8)


def encode_probability_png(prob: np.ndarray) -> bytes:
    """(H, W) float probabilities -> 8-bit grey PNG bytes."""
    return _encode_png(probability_to_uint8(prob))


def _check_mask(mask: np.ndarray) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f'expected an (H, W) mask, got shape {mask.shape}')
    return (mask != 0).astype(np.uint8)


def _encode_png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode('.png', image)
    if not ok:
        raise RuntimeError('OpenCV could not encode a PNG')
    return data.tobytes()


class FrameWriter:
    """Writes the outputs of each frame, optionally on worker threads.

    PNG encoding and file writes release the GIL, so a few threads keep the
    model from waiting on the disk. Errors raised on a worker surface at the
    next :meth:`write` or at :meth:`close`.

    Args:
        output_dir: folder of the flat ``<video>_<frame>.png`` palette masks;
            the archive and probability folders go beside it.
        save_prob: also write the probability maps.
        workers: writer threads; 0 writes on the calling thread.
        max_pending: frames queued before :meth:`write` waits (bounds the
            memory held by queued masks).
    """

    def __init__(self, output_dir: str, save_prob: bool = False,
                 workers: int = 2, max_pending: int = 32):
        self.output_dir = osp.normpath(output_dir)
        self.archive_dir = archive_dir(output_dir)
        self.prob_dir = prob_dir(output_dir)
        self.save_prob = save_prob
        self._pool = (ThreadPoolExecutor(workers, 'hfan-writer')
                      if workers > 0 else None)
        self._slots = threading.BoundedSemaphore(max(1, max_pending))
        self._pending: List[Future] = []

    # -- paths ---------------------------------------------------------------
    def paths(self, video: str, frame_id: str) -> Dict[str, str]:
        """Output files of one frame: ``{'mask', 'archive'[, 'prob']}``."""
        paths = dict(
            mask=osp.join(self.output_dir, f'{video}_{frame_id}.png'),
            archive=osp.join(self.archive_dir, video, f'{frame_id}.png'))
        if self.save_prob:
            paths['prob'] = osp.join(self.prob_dir, video, f'{frame_id}.png')
        return paths

    def is_done(self, video: str, frame_id: str) -> bool:
        """True when every output of the frame exists (a finished frame)."""
        return all(osp.isfile(p) for p in self.paths(video, frame_id).values())

    def folders(self) -> List[str]:
        folders = [self.output_dir, self.archive_dir]
        return folders + [self.prob_dir] if self.save_prob else folders

    def remove_stale_temporaries(self) -> int:
        """Delete temporary PNGs an interrupted run left; returns how many."""
        return sum(
            remove_stale_tmp(folder) for folder in self.folders()
            if osp.isdir(folder))

    # -- writing -------------------------------------------------------------
    def write(self, video: str, frame_id: str, mask: np.ndarray,
              prob: Optional[np.ndarray] = None) -> None:
        """Queue (or write) the outputs of one frame.

        Args:
            mask: (H, W) {0, 1} uint8.
            prob: (H, W) float32 foreground probability; needed when
                ``save_prob`` is set.
        """
        if self.save_prob and prob is None:
            raise ValueError('save_prob needs the probability map')
        self._raise_failures()
        if self._pool is None:
            self._write_now(video, frame_id, mask, prob)
            return
        self._slots.acquire()
        future = self._pool.submit(self._write_now, video, frame_id, mask,
                                   prob)
        future.add_done_callback(lambda _: self._slots.release())
        self._pending.append(future)

    def _write_now(self, video, frame_id, mask, prob) -> None:
        paths = self.paths(video, frame_id)
        # The flat mask goes last: resuming checks every file, but writing
        # it last keeps "flat mask present" a useful sign of a whole frame.
        if self.save_prob:
            atomic_write_bytes(paths['prob'], encode_probability_png(prob))
        atomic_write_bytes(paths['archive'], encode_binary_png(mask))
        atomic_write_bytes(paths['mask'], encode_palette_png(mask))

    def _raise_failures(self, wait: bool = False) -> None:
        still = []
        for future in self._pending:
            if wait or future.done():
                future.result()  # re-raises a worker's error
            else:
                still.append(future)
        self._pending = still

    def close(self) -> None:
        """Wait for queued writes; raise the first error of any of them."""
        try:
            self._raise_failures(wait=True)
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
            return
        # Already failing: finish what is queued, keep the original error.
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass
