"""tools/compare_masks.py: pixel agreement of two mask folders, counted by
hand on planted differences; missing frames and odd sizes named."""
import json

import cv2
import numpy as np
import pytest

from hfan.cli.compare_masks import main
from hfan.evaluation.mask_agreement import mask_agreement


def write_masks(root, masks, flat=False):
    """``masks``: {video: [(H, W) {0, 1} array per frame]} as 0/255 PNGs."""
    for video, frames in masks.items():
        for t, mask in enumerate(frames):
            name = (f'{video}_{t:05d}.png' if flat else
                    f'{video}/{t:05d}.png')
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), mask.astype(np.uint8) * 255)


@pytest.fixture
def planted(tmp_path):
    """A reference of two videos (3 and 2 frames of 20x30) and a copy with
    7 pixels flipped in frame 1 of 'cows' and 3 in frame 0 of 'dog'."""
    rng = np.random.default_rng(0)
    reference = {
        'cows': [rng.integers(0, 2, (20, 30)) for _ in range(3)],
        'dog': [rng.integers(0, 2, (20, 30)) for _ in range(2)],
    }
    changed = {v: [m.copy() for m in frames]
               for v, frames in reference.items()}
    changed['cows'][1][0, :7] ^= 1
    changed['dog'][0][5, 10:13] ^= 1
    write_masks(tmp_path / 'reference', reference)
    write_masks(tmp_path / 'new', changed, flat=True)
    return tmp_path / 'new', tmp_path / 'reference'


def test_agreement_counts_the_flipped_pixels(planted):
    new, reference = planted
    result = mask_agreement(str(new), str(reference))
    assert result['frames'] == 5
    assert result['pixels'] == 5 * 600
    assert result['agreeing'] == 5 * 600 - 10
    assert result['agreement'] == pytest.approx(1 - 10 / 3000)
    assert result['identical_frames'] == 3
    cows, dog = result['videos']['cows'], result['videos']['dog']
    assert cows['agreement'] == pytest.approx(1 - 7 / 1800)
    assert dog['agreement'] == pytest.approx(1 - 3 / 1200)
    assert (cows['identical_frames'], dog['identical_frames']) == (2, 1)


def test_command_prints_json_and_checks_the_minimum(planted, tmp_path,
                                                    capsys):
    new, reference = planted
    out = tmp_path / 'agreement.json'
    assert main([str(new), str(reference), '--no-progress', '--json',
                 str(out), '--min-agreement', '0.99']) == 0
    printed = capsys.readouterr().out
    assert '99.6667%' in printed  # 1 - 10 / 3000
    assert json.loads(out.read_text())['agreeing'] == 2990
    assert main([str(new), str(reference), '--no-progress',
                 '--min-agreement', '0.999']) == 1
    assert 'below 99.9000%' in capsys.readouterr().out


def test_a_missing_frame_and_a_size_mismatch_are_named(planted, capsys):
    new, reference = planted
    (new / 'dog_00001.png').unlink()
    assert main([str(new), str(reference), '--no-progress']) == 1
    err = capsys.readouterr().err
    # named as the command names its folders, not as an evaluation's
    assert '1 mask file(s) missing' in err and 'dog_00001.png' in err
    assert 'for reference ' in err and 'GT' not in err
    (new / 'dog_00001.png').write_bytes(b'')
    cv2.imwrite(str(new / 'cat_00000.png'), np.zeros((20, 30), np.uint8))
    with pytest.raises(ValueError, match=r'mask folder .* has 1 video\(s\) '
                       r'that reference folder .* does not have: .*cat'):
        mask_agreement(str(new), str(reference))
    (new / 'cat_00000.png').unlink()
    cv2.imwrite(str(new / 'dog_00001.png'), np.zeros((10, 30), np.uint8))
    with pytest.raises(ValueError, match=r'dog_00001.png is 30x10 but '
                       r'.*dog/00001.png is 30x20'):
        mask_agreement(str(new), str(reference))


def test_min_agreement_outside_0_1_is_a_usage_error(planted):
    new, reference = planted
    with pytest.raises(SystemExit) as exit_info:
        main([str(new), str(reference), '--min-agreement', '99.9'])
    assert exit_info.value.code == 2
