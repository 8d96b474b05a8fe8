"""hfan.utils.prefetch: order, errors where they happened, clean stops."""
import threading
import time

import numpy as np
import pytest

from hfan.utils.prefetch import prefetch


def prefetch_threads():
    return [t for t in threading.enumerate() if t.name == 'hfan-prefetch']


def test_items_in_order_and_ahead():
    produced = []

    def items():
        for i in range(20):
            produced.append(i)
            yield i

    stream = prefetch(items(), depth=3)
    assert next(stream) == 0
    time.sleep(0.2)  # the thread runs ahead by the queue's depth
    assert 3 <= len(produced) <= 5
    assert list(stream) == list(range(1, 20))
    assert not prefetch_threads()


def test_error_is_raised_at_its_position_with_its_message():
    def frames():
        yield 'frame 0'
        yield 'frame 1'
        raise ValueError('frame 2 /videos/a/00002.jpg could not be read')

    got = []
    with pytest.raises(ValueError, match='frame 2 /videos/a/00002.jpg'):
        for item in prefetch(frames()):
            got.append(item)
    assert got == ['frame 0', 'frame 1']
    assert not prefetch_threads()


def test_closing_early_stops_the_thread():
    """A consumer that stops (break, or an error downstream) leaves no
    thread behind and no producer blocked on a full queue."""
    def endless():
        i = 0
        while True:
            yield i
            i += 1

    stream = prefetch(endless(), depth=2)
    assert [next(stream) for _ in range(5)] == [0, 1, 2, 3, 4]
    start = time.perf_counter()
    stream.close()
    assert time.perf_counter() - start < 2
    assert not prefetch_threads()


def test_depth_must_be_positive():
    with pytest.raises(ValueError, match='at least 1, got 0'):
        next(prefetch([1], depth=0))


def test_segment_video_prefetches_and_resumes_like_before(tiny):
    """VideoSegmenter with and without the thread: the same masks, in
    order, with the same frames skipped (how infer.py resumes)."""
    from hfan.apis import VideoSegmenter
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
              for _ in range(5)]
    results = {}
    for ahead in (True, False):
        segmenter = VideoSegmenter(*tiny, prefetch=ahead,
                                   flow_directions='both')
        results[ahead] = list(segmenter.segment_video(
            frames, skip=lambda t: t in (0, 3)))
    assert [t for t, _, _ in results[True]] == [1, 2, 4]
    for (t1, m1, p1), (t2, m2, p2) in zip(results[True], results[False]):
        assert t1 == t2
        np.testing.assert_array_equal(m1, m2)
        np.testing.assert_array_equal(p1, p2)


def test_segment_video_names_an_unreadable_frame(tiny):
    from hfan.apis import VideoSegmenter
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
              for _ in range(4)]
    segmenter = VideoSegmenter(*tiny)
    items = ['a.jpg', 'b.jpg', 'broken.jpg', 'd.jpg']
    images = dict(zip(items, frames))
    images['broken.jpg'] = None  # what cv2.imread gives for a bad file
    got = []
    with pytest.raises(ValueError, match='frame 2 broken.jpg could not be '
                       'read'):
        for t, _, _ in segmenter.segment_video(items, load=images.get):
            got.append(t)
    assert got == [0]  # frame 1 needs frame 2 for its flow
    assert not prefetch_threads()
