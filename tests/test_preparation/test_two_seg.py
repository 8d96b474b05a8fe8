"""The 2SEG writer (hfan/preparation/two_seg.py): frames copied, masks
0/255, flows per frame, resumable."""
import cv2
import numpy as np

from hfan.flow.dis import DISFlow
from hfan.preparation.two_seg import (
    FrameSpec,
    VideoJob,
    WriteOptions,
    frame_stem,
    process_video,
    video_done,
)

H, W = 40, 56


def jpeg(i):
    rng = np.random.default_rng(i)
    img = cv2.GaussianBlur(
        rng.uniform(0, 255, (H, W, 3)).astype(np.float32), (0, 0), 1.2)
    return cv2.imencode('.jpg', img.astype(np.uint8))[1].tobytes()


def test_single_frame_video_gets_white_zero_flow(tmp_path):
    job = VideoJob('one', 'val', [
        FrameSpec(jpeg(0), 'one_00000', np.ones((H, W), np.uint8))
    ])
    opts = WriteOptions(str(tmp_path))
    assert process_video(job, DISFlow(), opts) == 3
    flow = cv2.imread(str(tmp_path / 'flow/val/one_00000.jpg'))
    assert flow.min() >= 250  # white, up to JPEG noise


def test_frames_copied_masks_binarised_unnamed_frames_not_written(tmp_path):
    mask = np.zeros((H, W), np.uint8)
    mask[5:9, 7:20] = 3  # any nonzero value is the object
    job = VideoJob('clip', 'train', [
        FrameSpec(jpeg(0), 'clip_00000', mask),
        FrameSpec(jpeg(1)),  # a flow target only
    ])
    pairs = []

    def estimator(a, b):
        pairs.append((a.shape, b.shape))
        return np.zeros((H, W, 2), np.float32)

    opts = WriteOptions(str(tmp_path), raw_flow='npy')
    assert process_video(job, estimator, opts) == 4
    paths = opts.paths('train', 'clip_00000')
    assert open(paths['frame'], 'rb').read() == jpeg(0)
    written = cv2.imread(paths['mask'], cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(written, np.where(mask > 0, 255, 0))
    assert np.load(paths['raw_flow']).shape == (H, W, 2)
    assert pairs == [((H, W, 3), (H, W, 3))]  # t -> t+1 only
    assert sorted(p.name for p in (tmp_path / 'frame/train').iterdir()) \
        == ['clip_00000.jpg']
    assert video_done(job, opts)
    assert process_video(job, estimator, opts) == 0 and len(pairs) == 1


def test_frame_stem_pads_numbers_only():
    assert frame_stem('bear', '7.jpg') == 'bear_00007'
    assert frame_stem('bear', 'img_a.jpg') == 'bear_img_a'
