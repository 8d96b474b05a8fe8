"""hfan.utils.image_io: damaged JPEGs (libjpeg's "Corrupt JPEG data") are
refused in every thread and in forked workers, intact ones decode as
OpenCV decodes them."""
import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

from hfan.utils.image_io import ImageDecodeError, decode_image_bgr


def jpeg_pair():
    """An intact JPEG and the same with bytes left over before its end
    marker (what a desynchronised entropy-coded segment looks like to
    libjpeg)."""
    rng = np.random.default_rng(0)
    ok, encoded = cv2.imencode(
        '.jpg', rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    assert ok
    data = encoded.tobytes()
    return data, data[:-2] + bytes(range(1, 81)) + data[-2:]


def refusals(items):
    """How many of ``(data, name)`` are refused as damaged."""
    count = 0
    for data, name in items:
        try:
            decode_image_bgr(data, name)
        except ImageDecodeError as err:
            assert name in str(err) and 'Corrupt JPEG data' in str(err)
            count += 1
    return count


def test_threads_each_get_their_own_verdict():
    good, bad = jpeg_pair()
    expected = cv2.imdecode(np.frombuffer(good, np.uint8), cv2.IMREAD_COLOR)
    np.testing.assert_array_equal(decode_image_bgr(good, 'good.jpg'),
                                  expected)
    jobs = [[(good, f'good{t}.jpg')] * 50 if t % 2 else
            [(bad, f'bad{t}.jpg')] * 50 for t in range(4)]
    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(refusals, jobs))
    assert counts == [50, 0, 50, 0]


@pytest.mark.skipif('fork' not in multiprocessing.get_all_start_methods(),
                    reason='fork start method only')
def test_forked_workers_do_not_share_the_capture():
    good, bad = jpeg_pair()
    refusals([(good, 'parent.jpg')])  # the parent's capture file exists
    jobs = [[(bad, 'bad.jpg')] * 100, [(good, 'good.jpg')] * 100] * 2
    with multiprocessing.get_context('fork').Pool(4) as pool:
        assert pool.map(refusals, jobs) == [100, 0, 100, 0]
