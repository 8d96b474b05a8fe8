"""Tiny data on disk: a DAVIS2SEG-style tree and an mp4 of synthetic
frames, both showing a bright square that moves right over dark noise."""
import os
import os.path as osp

import cv2
import numpy as np

SIZE = (64, 96)  # (H, W) of every frame written here
N = 12  # frames of write_test_video: more than 10, so name order != natural
# the samples of write_vos_split(root, 'val') with its defaults
NAMES = [f'video{v}_{t:05d}' for v in range(2) for t in range(4)]


def write_vos_split(root, split, videos=2, frames=4, size=SIZE,
                    seed=0, square=16):
    """Write frame/flow/mask folders of one split; a square moves right.

    Frames are noise with a bright square at x = 8 + 4 t, the flow image is
    a constant colour inside the square and white (zero flow) outside, the
    mask is 255 on the square. Returns the sample names.
    """
    rng = np.random.default_rng(seed)
    h, w = size
    names = []
    for sub in ('frame', 'flow', 'mask'):
        os.makedirs(osp.join(root, sub, split), exist_ok=True)
    for v in range(videos):
        for t in range(frames):
            name = f'video{v}_{t:05d}'
            frame = rng.integers(0, 120, (h, w, 3), dtype=np.uint8)
            mask = np.zeros((h, w), np.uint8)
            x0, y0 = 8 + 4 * t, 8 + 4 * v
            mask[y0:y0 + square, x0:x0 + square] = 255
            frame[mask > 0] = (40, 200, 240)
            flow = np.full((h, w, 3), 255, np.uint8)
            flow[mask > 0] = (60, 60, 255)
            cv2.imwrite(osp.join(root, 'frame', split, name + '.jpg'), frame)
            cv2.imwrite(osp.join(root, 'flow', split, name + '.jpg'), flow)
            cv2.imwrite(osp.join(root, 'mask', split, name + '.png'), mask)
            names.append(name)
    return names




def read_pair(root, name):
    frame = cv2.imread(osp.join(root, 'frame', 'val', name + '.jpg'))
    flow = cv2.imread(osp.join(root, 'flow', 'val', name + '.jpg'))
    return frame, flow


def archive_path(out, name):
    video, frame = name.rsplit('_', 1)
    return osp.join(f'{out}-DAVIS-16', video, frame + '.png')


def synthetic_frame(t, size=SIZE, seed=0):
    """write_vos_split's kind of frame (dark noise, a bright square moving
    right), which the tiny checkpoint is calibrated on: its masks are neither
    empty nor full."""
    rng = np.random.default_rng(seed + t)
    h, w = size
    frame = rng.integers(0, 120, (h, w, 3), dtype=np.uint8)
    x0 = 8 + 4 * t
    frame[16:32, x0:x0 + 16] = (40, 200, 240)
    return frame


def write_test_video(path, frames=N, size=SIZE, fps=10.0):
    """An mp4 (mp4v) of synthetic frames; returns the decoded frames, what
    every reader of the file gets (mp4 compression changes the pixels)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (size[1], size[0]))
    assert writer.isOpened()
    for t in range(frames):
        writer.write(synthetic_frame(t, size))
    writer.release()
    cap = cv2.VideoCapture(str(path))
    decoded = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        decoded.append(frame)
    cap.release()
    assert len(decoded) == frames
    return decoded
