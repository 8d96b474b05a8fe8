"""Reading the inputs of the preparation (hfan/preparation/sources.py):
errors name the file, masks take every nonzero value."""
import cv2
import numpy as np
import pytest
from PIL import Image

from hfan.preparation.sources import (
    PrepareError,
    decode_frame,
    frame_size,
    list_frames,
    read_binary_mask,
    read_video_list,
)


def test_masks_take_every_nonzero_index_even_a_black_one(tmp_path):
    lab = np.zeros((4, 4), np.uint8)
    lab[0, 0], lab[1, 1] = 1, 3
    im = Image.frombytes('P', (4, 4), lab.tobytes())
    im.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 0])  # id 3 is black
    im.save(tmp_path / 'a.png')
    mask = read_binary_mask(str(tmp_path / 'a.png'))
    np.testing.assert_array_equal(mask, np.where(lab > 0, 255, 0))
    cv2.imwrite(str(tmp_path / 'b.png'), (lab > 0).astype(np.uint8))  # 0/1
    np.testing.assert_array_equal(
        read_binary_mask(str(tmp_path / 'b.png')), mask)


def test_errors_name_the_file(tmp_path):
    missing = str(tmp_path / 'none.png')
    with pytest.raises(PrepareError, match=f'cannot read {missing}'):
        read_binary_mask(missing)
    (tmp_path / 'text.png').write_text('not an image')
    with pytest.raises(PrepareError, match='the annotation .*text.png: '
                       'not an image file'):
        read_binary_mask(str(tmp_path / 'text.png'))
    jpeg = cv2.imencode('.jpg', np.full((8, 12, 3), 90, np.uint8))[1]
    assert frame_size(jpeg.tobytes(), 'x.jpg') == (8, 12)
    assert decode_frame(jpeg.tobytes(), 'x.jpg').shape == (8, 12, 3)
    with pytest.raises(PrepareError, match='the image x.jpg: truncated'):
        frame_size(jpeg.tobytes()[:50], 'x.jpg')
    with pytest.raises(PrepareError, match='folder not found'):
        list_frames(str(tmp_path / 'nowhere'), '.jpg')
    (tmp_path / 'list.txt').write_text('\n\n')
    with pytest.raises(PrepareError, match='empty split.*list.txt'):
        read_video_list(str(tmp_path / 'list.txt'))


def test_frames_in_natural_order(tmp_path):
    for name in ('10.jpg', '2.jpg', '1.JPG', '.hidden.jpg', 'a.png'):
        (tmp_path / name).write_bytes(b'')
    assert list_frames(str(tmp_path), '.jpg') == ['1.JPG', '2.jpg', '10.jpg']
