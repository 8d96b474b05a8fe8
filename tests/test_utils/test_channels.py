"""concat_channels: numpy's channel concatenation, through cv2.merge."""
import numpy as np
import pytest

from hfan.utils.channels import concat_channels


@pytest.mark.parametrize('dtype', [np.uint8, np.uint16, np.int32,
                                   np.float32, np.float64])
@pytest.mark.parametrize('channels', [(3, 3), (1, 2), (3, 1, 4)])
def test_equals_numpy_concatenate(dtype, channels):
    rng = np.random.default_rng(0)
    images = [(rng.random((17, 23, c)) * 200).astype(dtype)
              for c in channels]
    out = concat_channels(images)
    assert out.dtype == np.dtype(dtype)
    assert out.shape == (17, 23, sum(channels))
    # channel k of the result is channel k - offset of its image
    offset = 0
    for image in images:
        np.testing.assert_array_equal(
            out[..., offset:offset + image.shape[2]], image)
        offset += image.shape[2]


def test_views_and_other_dtypes():
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    # strided views (a crop, every other column, reversed channels)
    views = [frame[5:30, ::2], frame[5:30, 1::2, ::-1]]
    np.testing.assert_array_equal(concat_channels(views),
                                  np.concatenate(views, axis=2))
    # dtypes OpenCV has no depth for go through numpy
    wide = [rng.integers(0, 9, (4, 5, 2)), rng.integers(0, 9, (4, 5, 1))]
    assert concat_channels(wide).dtype == np.int64
    np.testing.assert_array_equal(concat_channels(wide),
                                  np.concatenate(wide, axis=2))


def test_bad_input_is_refused_like_numpy():
    a = np.zeros((4, 5, 3), np.uint8)
    with pytest.raises(ValueError):
        concat_channels([a, np.zeros((4, 6, 3), np.uint8)])
    with pytest.raises(ValueError):
        concat_channels([])
    # mixed dtypes: numpy's promotion
    out = concat_channels([a, np.ones((4, 5, 1), np.float32)])
    assert out.dtype == np.float32 and out[..., 3].min() == 1
