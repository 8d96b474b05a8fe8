"""VideoSegmenter.segment_videos: several videos as one stream."""
import threading

import numpy as np

from hfan.apis import VideoSegmenter, VideoStream


def _video(seed, frames, height=48, width=64):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            for _ in range(frames)]


def test_same_masks_as_one_call_per_video(tiny):
    """Videos of two sizes, batches of two frames, two forwards at once:
    a batch may hold the end of one video and the start of the next, and
    the results are those of segment_video called per video."""
    videos = [_video(0, 3), _video(1, 4, 40, 56), _video(2, 2)]
    skips = [lambda t: False, lambda t: t == 1, lambda t: False]
    streamed = VideoSegmenter(*tiny, flow_directions='both',
                              model_workers=2)
    got = list(streamed.segment_videos(
        [VideoStream(frames, skip=skip)
         for frames, skip in zip(videos, skips)], batch_size=2))
    assert [(v, t) for v, t, _, _ in got] == [
        (0, 0), (0, 1), (0, 2), (1, 0), (1, 2), (1, 3), (2, 0), (2, 1)]
    alone = VideoSegmenter(*tiny, flow_directions='both', model_workers=1)
    expected = [(v, t, mask, prob)
                for v, (frames, skip) in enumerate(zip(videos, skips))
                for t, mask, prob in alone.segment_video(frames, skip=skip)]
    for (v, t, mask, prob), (v2, t2, mask2, prob2) in zip(got, expected):
        assert (v, t) == (v2, t2)
        assert mask.shape == videos[v][0].shape[:2]
        np.testing.assert_array_equal(mask, mask2)
        np.testing.assert_allclose(prob, prob2, atol=1e-5)


def test_next_video_is_read_while_the_last_frames_are_segmented(tiny):
    """The first frame of video 1 is read before the last mask of video 0
    comes out (with a call per video it was read after), and a video is
    taken from ``videos`` only when the one before has been read."""
    first = _video(0, 3)
    second = _video(1, 3)
    read_second = threading.Event()
    pulled = []

    def load(item):
        video, t = item
        if video == 1:
            read_second.set()
        return (first if video == 0 else second)[t]

    def streams():
        for video in (0, 1):
            pulled.append(video)
            yield VideoStream([(video, t) for t in range(3)], load=load)

    segmenter = VideoSegmenter(*tiny, flow_directions='both',
                               model_workers=1)
    seen = []
    for video, t, _, _ in segmenter.segment_videos(streams()):
        if (video, t) == (0, 0):
            # the reading thread runs ahead through the end of video 0
            assert read_second.wait(timeout=30)
        seen.append((video, t))
    assert seen == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert pulled == [0, 1]


def test_stopping_early_opens_no_further_video(tiny):
    pulled = []

    def streams():
        for video in range(5):
            pulled.append(video)
            yield VideoStream(_video(video, 2))

    segmenter = VideoSegmenter(*tiny, prefetch=False, model_workers=1)
    stream = segmenter.segment_videos(streams())
    assert next(stream)[:2] == (0, 0)
    stream.close()
    assert pulled == [0]
