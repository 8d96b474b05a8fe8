"""Both flow directions at test time: each frame segmented with the flow
t -> t+1 and with the reversed backward flow -(t -> t-1), probabilities
averaged (VideoSegmenter, infer.py, the config's test_flow_directions).

CPU, the tiny MiT-b0 model of conftest, a 5-frame synthetic clip."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
from testkit import synthetic_frame

import infer
from hfan.apis.inference import VideoSegmenter
from hfan.flow import DISFlow, flow_to_bgr

pytestmark = pytest.mark.usefixtures('one_torch_thread')

FRAMES = 5


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    """A frame folder of FRAMES frames and the frames themselves."""
    folder = tmp_path_factory.mktemp('two_way') / 'walk'
    folder.mkdir()
    frames = [synthetic_frame(t) for t in range(FRAMES)]
    for t, frame in enumerate(frames):
        cv2.imwrite(str(folder / f'{t:03d}.png'), frame)
    return str(folder), frames


@pytest.fixture(scope='module')
def both_config(tiny, tmp_path_factory):
    """The tiny config with test_flow_directions = 'both'."""
    path = tmp_path_factory.mktemp('cfg') / 'tiny_both.py'
    path.write_text(f"_base_ = [{tiny[0]!r}]\n"
                    "test_flow_directions = 'both'\n")
    return str(path), tiny[1]


def expected_probability(segmenter, frames, t):
    """The mean of the foreground probabilities of frame t with each flow
    that exists: t -> t+1, and the flow t -> t-1 with its sign reversed;
    every flow computed here by DIS on the frames."""
    dis = DISFlow()
    views = []
    if t + 1 < len(frames):
        views.append(flow_to_bgr(dis(frames[t], frames[t + 1])))
    if t > 0:
        views.append(flow_to_bgr(-dis(frames[t], frames[t - 1])))
    probs = [segmenter.segment_pair(frames[t], view)[1] for view in views]
    return sum(probs) / len(probs)


def test_segment_video_averages_the_two_directions(tiny, clip):
    _, frames = clip
    segmenter = VideoSegmenter(*tiny, flow_directions='both')
    assert segmenter.flow_directions == 'both'
    results = list(segmenter.segment_video(frames, batch_size=2))
    assert [t for t, _, _ in results] == list(range(FRAMES))
    forward = dict((t, p) for t, _, p in segmenter.segment_video(
        frames, flow_directions='forward'))
    moved = 0
    for t, mask, prob in results:
        expected = expected_probability(segmenter, frames, t)
        np.testing.assert_allclose(prob, expected, atol=1e-5)
        # two classes: the argmax of the mean is the mean above one half
        np.testing.assert_array_equal(mask, (prob > 0.5).astype(np.uint8))
        moved += np.abs(prob - forward[t]).max() > 1e-3
    # the inner frames and the last one differ from the forward rule
    # (the first frame has only its forward flow, so it is the same)
    np.testing.assert_allclose(forward[0], results[0][2], atol=1e-6)
    assert moved == FRAMES - 1


def test_config_sets_the_default_and_bad_values_are_named(
        tiny, both_config, clip, tmp_path, capsys):
    assert VideoSegmenter(*tiny).flow_directions == 'forward'
    assert VideoSegmenter(*both_config).flow_directions == 'both'
    assert VideoSegmenter(
        *both_config, flow_directions='forward').flow_directions == 'forward'
    bad = tmp_path / 'bad.py'
    bad.write_text(f"_base_ = [{tiny[0]!r}]\n"
                   "test_flow_directions = 'backward'\n")
    with pytest.raises(ValueError,
                       match="test_flow_directions is 'backward'; "
                       'accepted: forward, both'):
        VideoSegmenter(str(bad), tiny[1])
    # infer.py refuses it before loading anything, naming the file
    capsys.readouterr()
    assert run((str(bad), tiny[1]), clip[0], tmp_path / 'out') == 1
    err = capsys.readouterr().err
    assert f"{bad}: the config's test_flow_directions is 'backward'" in err
    assert not (tmp_path / 'out').exists()


def test_given_flows_need_the_forward_rule(tiny, clip):
    _, frames = clip
    segmenter = VideoSegmenter(*tiny, flow_directions='both')
    flows = [np.zeros(f.shape[:2] + (2, ), np.float32) for f in frames]
    with pytest.raises(ValueError, match='given flows are one per frame'):
        list(segmenter.segment_video(frames, flows))
    # with the forward rule asked for, the given flows are used
    assert len(list(segmenter.segment_video(
        frames, flows, flow_directions='forward'))) == FRAMES


def run(config, video, out, *extra):
    return infer.main([
        '--config', config[0], '--checkpoint', config[1], '--input',
        str(video), '--output_dir', str(out), '--device', 'cpu',
        '--no-progress', '--workers', '1', '--overlay', 'none', *extra
    ])


def test_infer_follows_the_config_and_records_it(both_config, tiny, clip,
                                                  tmp_path, capsys):
    folder, frames = clip
    out = tmp_path / 'both'
    assert run(both_config, folder, out, '--save-prob') == 0
    printed = capsys.readouterr().out
    assert 'frames/s, flow in both directions, model: torch ' in printed
    record = json.loads((out / '.hfan_infer.json').read_text())
    assert record['flow_directions'] == 'both'
    segmenter = VideoSegmenter(*tiny)  # forward by default
    for t in range(FRAMES):
        prob = cv2.imread(osp.join(f'{out}-prob', 'walk', f'{t:05d}.png'),
                          cv2.IMREAD_UNCHANGED)
        expected = expected_probability(segmenter, frames, t)
        assert np.abs(prob / 255.0 - expected).max() <= 1 / 255 + 1e-6

    # resuming the same output with the forward rule would mix masks
    capsys.readouterr()
    assert run(both_config, folder, out, '--flow-directions',
               'forward') == 1
    err = capsys.readouterr().err
    assert "flow_directions: 'both' -> None" in err

    # the tiny config (forward) with --flow-directions both: same masks
    out2 = tmp_path / 'asked'
    assert run(tiny, folder, out2, '--flow-directions', 'both') == 0
    for t in range(FRAMES):
        name = osp.join('walk', f'{t:05d}.png')
        np.testing.assert_array_equal(
            cv2.imread(osp.join(f'{out}-DAVIS-16', name)),
            cv2.imread(osp.join(f'{out2}-DAVIS-16', name)))
    # and without: the published rule, nothing recorded
    out3 = tmp_path / 'forward'
    assert run(tiny, folder, out3) == 0
    assert 'flow_directions' not in json.loads(
        (out3 / '.hfan_infer.json').read_text())


def test_2seg_root_uses_its_forward_flows(both_config, vos_root, tmp_path,
                                          capsys):
    # the config asks for both, but a 2SEG root holds forward flows only
    assert run(both_config, vos_root, tmp_path / 'a') == 0
    assert run(both_config, vos_root, tmp_path / 'b', '--flow-directions',
               'both') == 1
    err = capsys.readouterr().err
    assert '--flow-directions both needs the flows computed' in err
    assert not (tmp_path / 'b').exists()
