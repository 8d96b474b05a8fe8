"""Overlays, panels and feature maps (hfan.apis.visualization) and the two
visualisation tools (tools/visualize_ablation.py, visualize_features.py)."""
import cv2
import numpy as np
import pytest
from conftest import load_tool
from PIL import Image
from test_video import synthetic_frame, write_test_video

from hfan.apis.visualization import (add_label, feature_maps_to_images, grid,
                                     hstack_panels, overlay_mask,
                                     probability_heatmap)

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
    a = np.zeros((40, 60, 3), np.uint8)
    b = np.full((20, 20), 255, np.uint8)  # grey: converted, resized
    row = hstack_panels([a, b], ['a', 'b'], gap=4)
    banner = max(16, round(0.07 * 40))
    assert row.shape == (40 + banner, 60 + 4 + 40, 3)
    assert add_label(a, 'x').shape[1] == 60
    cells = grid([a] * 5, cols=2, gap=2)
    assert cells.shape == (3 * 40 + 2 * 2, 2 * 60 + 2, 3)
    heat = probability_heatmap(np.linspace(0, 1, 30).reshape(5, 6))
    assert heat.shape == (5, 6, 3)


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
    recorder = tool.FusionRecorder(head)
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
    from hfan.apis.video_io import count_frames
    assert count_frames(str(mp4)) == 4
    assert tool.main([str(video), '--variant', 'x', config,
                      str(tmp_path / 'missing.pth'), '--out',
                      str(tmp_path / 'x.gif')]) == 1
    assert 'missing.pth does not exist' in capsys.readouterr().err
    assert not (tmp_path / 'x.gif').exists()
