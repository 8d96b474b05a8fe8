"""Overlays, panels and feature maps (hfan.visualization) and the two
visualisation tools (tools/visualize_ablation.py, visualize_features.py)."""
import cv2
import numpy as np
import pytest
from PIL import Image
from testkit import load_tool, synthetic_frame, write_test_video

from hfan.visualization import (
    FusionRecorder,
    add_label,
    feature_maps_to_images,
    grid,
    hstack_panels,
    overlay_mask,
    probability_heatmap,
)

# every test here runs tiny models: one torch thread (see conftest)
pytestmark = pytest.mark.usefixtures('one_torch_thread')



def test_overlay_tints_the_mask_and_outlines_it():
    frame = np.full((40, 50, 3), 100, np.uint8)
    mask = np.zeros((40, 50), np.uint8)
    mask[10:30, 15:35] = 1
    out = overlay_mask(frame, mask, alpha=0.5, contour=1)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert tuple(out[20, 25]) == (50, 50, 178)  # half way to red (BGR)
    b, g, r = out[10, 20]  # the outline (anti-aliased)
    assert r > 240 and b < 20 and g < 20
    np.testing.assert_array_equal(out[:5], frame[:5])  # outside untouched
    np.testing.assert_array_equal(overlay_mask(frame, mask * 0), frame)
    with pytest.raises(ValueError, match='50x40 but the mask is 10x10'):
        overlay_mask(frame, np.zeros((10, 10)))


def test_panels_labels_and_grid():
    """Every pixel where it belongs: panels at their offsets, black gaps,
    banners above, blank cells black."""
    a = np.zeros((40, 60, 3), np.uint8)
    a[:] = (10, 20, 30)
    b = np.full((20, 20), 255, np.uint8)  # grey: converted, resized to 40
    row = hstack_panels([a, b], gap=4)
    assert row.shape == (40, 60 + 4 + 40, 3)
    np.testing.assert_array_equal(row[:, :60], a)
    assert not row[:, 60:64].any()  # the gap is black
    assert (row[:, 64:] == 255).all()  # the grey panel, at a's height

    labelled = hstack_panels([a, b], ['a', 'b'], gap=4)
    banner = max(16, round(0.07 * 40))  # 16
    assert labelled.shape == (40 + banner, 104, 3)
    np.testing.assert_array_equal(labelled[banner:], row)  # under banners
    text = labelled[:banner, :60]
    assert set(np.unique(text[..., 0])) > {0}  # some text drawn
    assert (text == text[..., :1]).all()  # white text on black: grey only
    assert not labelled[:, 60:64].any()
    assert add_label(a, 'x').shape == (40 + banner, 60, 3)

    cells = grid([a] * 5, cols=2, gap=2)
    assert cells.shape == (3 * 40 + 2 * 2, 2 * 60 + 2, 3)
    for r, c in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]:
        y, x = r * 42, c * 62
        np.testing.assert_array_equal(cells[y:y + 40, x:x + 60], a)
    assert not cells[40:42].any() and not cells[:, 60:62].any()  # gaps
    assert not cells[84:, 62:].any()  # the sixth cell is blank


def test_heatmap_is_opencvs_inferno():
    """0 and 1 are the ends of OpenCV's INFERNO map, p the entry
    round(255 p); out-of-range values are clipped."""
    lut = cv2.applyColorMap(np.arange(256, dtype=np.uint8)[None],
                            cv2.COLORMAP_INFERNO)[0]
    heat = probability_heatmap(np.array([[0.0, 1.0, 0.2, -0.5, 1.5]]))
    np.testing.assert_array_equal(heat[0], lut[[0, 255, 51, 0, 255]])
    assert tuple(lut[0]) != tuple(lut[255])


@pytest.mark.parametrize('mode', ['mean', 'norm'])
def test_feature_map_scaling_by_hand(mode):
    """mean / norm: the channel mean or L2 norm, scaled from its 1st to its
    99th percentile over all maps to 0..255, then OpenCV's VIRIDIS.

    Channels (3k, 4k), k = 0..100 along x: the mean is 3.5k (percentiles
    3.5 and 346.5), the norm 5k (percentiles 5 and 495).
    """
    k = np.arange(101, dtype=np.float32)
    feat = np.stack([3 * k, 4 * k])[:, None, :]  # (C=2, h=1, w=101)
    (image, ) = feature_maps_to_images([feat], mode)
    lut = cv2.applyColorMap(np.arange(256, dtype=np.uint8)[None],
                            cv2.COLORMAP_VIRIDIS)[0]
    # k -> colour index: 0 and 1 at the low end, 50 in the middle
    # ((50 - 1) / 98 = 0.5 -> 127.5 -> 128), 25 -> 24 / 98 * 255 = 62.4,
    # 99 and 100 at the high end.
    for k_, index in [(0, 0), (1, 0), (25, 62), (50, 128), (99, 255),
                      (100, 255)]:
        np.testing.assert_array_equal(image[0, k_], lut[index])
    # A second, weaker map on the shared scale: half of every value.
    weak, strong = feature_maps_to_images([feat / 2, feat], mode)
    np.testing.assert_array_equal(weak[0, 100], strong[0, 50])


@pytest.mark.parametrize('mode', ['pca', 'mean', 'norm'])
def test_feature_maps_share_one_scale(mode):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(8, 6, 7)).astype(np.float32)
    images = feature_maps_to_images([a, a.copy(), 3 * a], mode,
                                    size=(12, 14))
    assert [im.shape for im in images] == [(12, 14, 3)] * 3
    np.testing.assert_array_equal(images[0], images[1])
    # A stronger map looks different on the shared scale.
    assert not np.array_equal(images[0], images[2])
    with pytest.raises(ValueError, match='one C'):
        feature_maps_to_images([a, a[:4]], mode)


def test_visualize_features_hooks_fam_and_fat(tiny, tmp_path):
    tool = load_tool('visualize_features')
    frame = synthetic_frame(0)
    flow = np.full_like(frame, 255)
    flow[16:32, 8:24] = (60, 60, 255)
    cv2.imwrite(str(tmp_path / 'frame.png'), frame)
    cv2.imwrite(str(tmp_path / 'flow.png'), flow)
    out = tmp_path / 'features.png'
    assert tool.main([*tiny, '--pair', str(tmp_path / 'frame.png'),
                      str(tmp_path / 'flow.png'), '--out', str(out)]) == 0
    with Image.open(out) as im:
        assert im.format == 'PNG' and im.size[0] > 6 * 100

    # What the hooks record: every level, both streams before and after
    # FAM, FAT's gate and the fused map, at the level's resolution; and the
    # model is left as it was.
    from hfan.apis.inference import VideoSegmenter
    seg = VideoSegmenter(*tiny,
                         cfg_options={'model.test_cfg': dict(mode='whole')})
    head = seg.model.decode_head
    recorder = FusionRecorder(head)
    seg.segment_pair(frame, flow)
    recorder.remove()
    assert sorted(recorder.maps) == [0, 1, 2, 3]
    for level, channels in enumerate([32, 64, 160, 256]):
        record = recorder.maps[level]
        assert sorted(record) == sorted(['frame_in', 'flow_in', 'frame_fam',
                                         'flow_fam', 'gate', 'fused'])
        assert {v.shape[0] for v in record.values()} == {channels}
        assert 0 <= record['gate'].min() and record['gate'].max() <= 1
    fusion = head.fusions[0]
    assert 'align' not in vars(fusion.alignment)  # unwrapped
    assert 'gate' not in vars(fusion.adaptation)
    assert not fusion._forward_hooks
    before = recorder.maps[0]['fused']
    seg.segment_pair(frame, flow)
    assert recorder.maps[0]['fused'] is before  # nothing records any more


def test_visualize_ablation_side_by_side(tiny, tmp_path, capsys):
    tool = load_tool('visualize_ablation')
    video = tmp_path / 'clip.mp4'
    write_test_video(video, frames=6)
    gt = tmp_path / 'gt'
    gt.mkdir()
    for t in range(6):
        mask = np.zeros((64, 96), np.uint8)
        mask[16:32, 8 + 4 * t:24 + 4 * t] = 255
        cv2.imwrite(str(gt / f'{t:05d}.png'), mask)
    out = tmp_path / 'ablation.gif'
    config, checkpoint = tiny
    assert tool.main([
        str(video), '--variant', 'hfan', config, checkpoint, '--variant',
        'im (random)', config, 'none', 'model.decode_head.select_method=im',
        '--gt', str(gt), '--show-flow', '--height', '64', '--out', str(out)
    ]) == 0
    assert '6 frames of 2 variants' in capsys.readouterr().out
    with Image.open(out) as im:
        assert im.n_frames == 6
        # input, flow, GT, two variants: 5 panels of 96 px, 4 gaps
        assert im.size[0] == 5 * 96 + 4 * 4
    mp4 = tmp_path / 'ablation.mp4'
    assert tool.main([str(video), '--variant', 'hfan', config, checkpoint,
                      '--max-frames', '4', '--out', str(mp4)]) == 0
    from hfan.io import count_frames
    assert count_frames(str(mp4)) == 4
    assert tool.main([str(video), '--variant', 'x', config,
                      str(tmp_path / 'missing.pth'), '--out',
                      str(tmp_path / 'x.gif')]) == 1
    assert 'missing.pth does not exist' in capsys.readouterr().err
    assert not (tmp_path / 'x.gif').exists()
