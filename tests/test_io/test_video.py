"""Any video through infer.py and the API: a video file or a frame folder in,
per-frame masks, probabilities and an overlay video out; bad inputs refused
(CPU, tiny MiT-b0 model, 12-frame 96x64 clips)."""
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image
from testkit import ROOT, SIZE, N, synthetic_frame, write_test_video

import infer
from hfan.io.video import (
    FrameFolder,
    VideoFile,
    VideoIOError,
    count_frames,
    frame_id,
    gif_stride,
    open_video,
    save_video,
)
from hfan.utils.natural_sort import natural_key

# every test here runs tiny models: one torch thread (see conftest)
pytestmark = pytest.mark.usefixtures('one_torch_thread')

@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    """(mp4 path, frame folder made FROM the decoded mp4, decoded frames):
    the two inputs hold identical pixels."""
    folder = tmp_path_factory.mktemp('clip')
    mp4 = folder / 'moving.mp4'
    decoded = write_test_video(mp4)
    frames = folder / 'moving_frames'
    frames.mkdir()
    for t, frame in enumerate(decoded):
        cv2.imwrite(str(frames / f'f{t}.png'), frame)  # f10 after f9
    return str(mp4), str(frames), decoded


def run_infer(tiny, video, out, *extra):
    config, checkpoint = tiny
    return infer.main([
        '--config', config, '--checkpoint', checkpoint, '--video',
        str(video), '--output_dir', str(out), '--device', 'cpu',
        '--no-progress', '--workers', '1', *extra
    ])


def archive_masks(out, video):
    folder = osp.join(f'{out}-DAVIS-16', video)
    names = sorted(os.listdir(folder))
    assert names == [f'{frame_id(t)}.png' for t in range(N)]
    return [cv2.imread(osp.join(folder, n), cv2.IMREAD_UNCHANGED)
            for n in names]


def all_files(*folders):
    return [
        osp.join(p, n) for folder in folders if osp.isdir(folder)
        for p, _, names in os.walk(folder) for n in names
    ]


def test_video_file_and_frame_folder_give_the_same_masks(
        tiny, clip, tmp_path, capsys):
    mp4, frames, decoded = clip
    out_v = tmp_path / 'from_video'
    assert run_infer(tiny, mp4, out_v, '--save-prob') == 0
    printed = capsys.readouterr().out
    assert 'frames/s' in printed
    overlay = f'{out_v}-overlay{os.sep}moving.mp4'
    assert f'Overlay of moving: {overlay}' in printed
    assert osp.join(f'{out_v}-DAVIS-16', 'moving') in printed

    masks = archive_masks(out_v, 'moving')
    for mask in masks:
        assert mask.shape == SIZE and mask.dtype == np.uint8
        assert set(np.unique(mask)) <= {0, 255}
    fg = sum(int(m.sum() // 255) for m in masks)
    assert 0 < fg < N * SIZE[0] * SIZE[1]  # masks worth comparing
    for t in range(N):  # the published flat palette masks too
        flat = Image.open(out_v / f'moving_{frame_id(t)}.png')
        assert flat.mode == 'P' and flat.size == SIZE[::-1]
    assert len(os.listdir(f'{out_v}-prob{os.sep}moving')) == N
    # The overlay: complete, the video's size, the red tint where masked.
    assert count_frames(overlay) == N
    cap = cv2.VideoCapture(overlay)
    ok, first = cap.read()
    cap.release()
    assert ok and first.shape[:2] == SIZE
    inside = masks[0] > 0
    assert (first[inside][:, 2].astype(int) - decoded[0][inside][:, 2]).mean(
    ) > 20  # redder than the frame

    # The frame folder (the decoded mp4's frames): same masks, GIF overlay.
    out_f = tmp_path / 'from_frames'
    assert run_infer(tiny, frames, out_f, '--overlay', 'gif') == 0
    for a, b in zip(masks, archive_masks(out_f, 'moving_frames')):
        np.testing.assert_array_equal(a, b)
    with Image.open(f'{out_f}-overlay{os.sep}moving_frames.gif') as gif:
        assert gif.n_frames == N and gif.size == SIZE[::-1]

    # The API, streaming the file: the same masks again.
    from hfan import VideoSegmenter
    segmenter = VideoSegmenter(*tiny)
    results = list(segmenter.segment_video(open_video(mp4)))
    assert [t for t, _, _ in results] == list(range(N))
    for (_, mask, prob), saved in zip(results, masks):
        np.testing.assert_array_equal(mask * 255, saved)
        assert prob.shape == SIZE


def test_several_inputs_in_one_run_equal_separate_runs(tiny, clip,
                                                       tmp_path):
    mp4, frames, _ = clip
    assert run_infer(tiny, mp4, tmp_path / 'one_mp4') == 0
    assert run_infer(tiny, frames, tmp_path / 'one_frames') == 0
    config, checkpoint = tiny
    both = tmp_path / 'both'
    assert infer.main([
        '--config', config, '--checkpoint', checkpoint, '--input', mp4,
        frames, '--output_dir', str(both), '--device', 'cpu',
        '--no-progress', '--workers', '1', '--overlay', 'none'
    ]) == 0
    for video, single in (('moving', 'one_mp4'),
                          ('moving_frames', 'one_frames')):
        for a, b in zip(archive_masks(tmp_path / single, video),
                        archive_masks(both, video)):
            np.testing.assert_array_equal(a, b)


def test_several_inputs_with_one_name_are_refused(tiny, clip, tmp_path,
                                                  capsys):
    _, frames, _ = clip
    twin = tmp_path / 'elsewhere' / 'moving_frames'
    twin.parent.mkdir()
    os.symlink(frames, twin)
    config, checkpoint = tiny
    out = tmp_path / 'out'
    assert infer.main([
        '--config', config, '--checkpoint', checkpoint, '--input', frames,
        str(twin), '--output_dir', str(out), '--device', 'cpu',
        '--no-progress'
    ]) == 1
    err = capsys.readouterr().err
    assert "'moving_frames'" in err and '--output_dir' in err
    assert not out.exists()


def test_resume_writes_the_overlay_last(tiny, clip, tmp_path, capsys):
    mp4 = clip[0]
    out = tmp_path / 'out'
    overlay = tmp_path / 'out-overlay' / 'moving.mp4'
    assert run_infer(tiny, mp4, out, '--max-frames', '5') == 0
    assert 'No overlay yet for 1 video(s)' in capsys.readouterr().out
    assert len(os.listdir(tmp_path / 'out-DAVIS-16' / 'moving')) == 5
    assert not overlay.exists()  # not before every frame has its mask
    kept = os.stat(out / 'moving_00000.png').st_mtime_ns

    assert run_infer(tiny, mp4, out) == 0
    assert '5 of 12 were already written' in capsys.readouterr().out
    assert count_frames(str(overlay)) == N
    assert os.stat(out / 'moving_00000.png').st_mtime_ns == kept
    made = os.stat(overlay).st_mtime_ns

    assert run_infer(tiny, mp4, out) == 0  # finished: nothing to do
    printed = capsys.readouterr().out
    assert '12 of 12 were already written' in printed
    assert '(already written)' in printed
    assert os.stat(overlay).st_mtime_ns == made
    leftovers = [f for f in all_files(out, f'{out}-DAVIS-16',
                                      f'{out}-overlay')
                 if f.endswith('.tmp') or '.hfantmp' in f]
    assert not leftovers
    # Another flow estimator would mix masks: refused.
    assert run_infer(tiny, mp4, out, '--flow', 'raft') == 1
    assert "flow: 'dis' -> 'raft'" in capsys.readouterr().err


def test_2seg_root_gets_overlays_only_on_request(tiny, vos_root, tmp_path):
    config, checkpoint = tiny
    common = ['--config', config, '--checkpoint', checkpoint, '--input',
              vos_root, '--device', 'cpu', '--no-progress', '--workers', '0']
    assert infer.main(common + ['--output_dir', str(tmp_path / 'a')]) == 0
    assert not (tmp_path / 'a-overlay').exists()  # as before: masks only
    assert infer.main(common + ['--output_dir', str(tmp_path / 'b'),
                                '--overlay', 'gif', '--fps', '5']) == 0
    for video in ('video0', 'video1'):  # conftest's 2 videos of 4 frames
        with Image.open(tmp_path / 'b-overlay' / f'{video}.gif') as gif:
            assert gif.n_frames == 4 and gif.info['duration'] == 200


def _header_only_mp4(path):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 10,
                             (96, 64))
    writer.release()  # no frame written
    if not osp.exists(path):
        with open(path, 'wb') as f:
            f.write(b'\x00\x00\x00\x18ftypmp42')


def _mixed_sizes(path):
    os.makedirs(path)
    cv2.imwrite(osp.join(path, '00000.png'), np.zeros((64, 96, 3), np.uint8))
    cv2.imwrite(osp.join(path, '00001.png'), np.zeros((64, 80, 3), np.uint8))
    return osp.join(path, '00001.png')


BAD_INPUTS = {
    'garbage video': ('garbage.mp4',
                      lambda p: p.write_bytes(os.urandom(4000)),
                      'cannot read video file'),
    'zero-length video': ('empty.mp4', lambda p: p.write_bytes(b''),
                          'is empty (0 bytes)'),
    'video without frames': ('noframes.mp4', _header_only_mp4, 'noframes'),
    'not a video': ('notes.txt', lambda p: p.write_text('hello'),
                    'not a video file extension'),
    'no images': ('nothing', lambda p: (p.mkdir(), (p / 'a.txt').write_text(
        'x')), 'holds no images'),
    'corrupt image': ('corrupt', lambda p: (p.mkdir(), (
        p / '00000.png').write_bytes(b'\x89PNG not really')),
                      'is not a readable image'),
    'mixed frame sizes': ('mixed', _mixed_sizes,
                          'all frames of a folder must have the same size'),
}


@pytest.mark.parametrize('case', sorted(BAD_INPUTS))
def test_bad_input_is_refused_naming_the_file(case, tiny, tmp_path, capsys):
    name, make, message = BAD_INPUTS[case]
    path = tmp_path / name
    named = make(path)
    out = tmp_path / 'out'
    assert run_infer(tiny, path, out) == 1
    err = capsys.readouterr().err
    assert message in err
    assert str(named if isinstance(named, str) else path) in err
    assert not [p for p in os.listdir(tmp_path) if p.startswith('out')]


def test_unwritable_output_is_refused(tiny, clip, tmp_path, capsys):
    blocker = tmp_path / 'a_file'
    blocker.write_text('not a folder')
    assert run_infer(tiny, clip[0], blocker / 'out') == 1
    err = capsys.readouterr().err
    assert f'{blocker} is a file, not a folder' in err


def test_bad_video_exit_status_of_the_script(tiny, tmp_path):
    bad = tmp_path / 'broken.mov'
    bad.write_bytes(os.urandom(2000))
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'infer.py'), '--config', tiny[0],
         '--checkpoint', tiny[1], '--video', str(bad), '--output_dir',
         str(tmp_path / 'out')],
        capture_output=True, text=True, cwd=ROOT,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 1
    assert f'infer.py: error: cannot read video file {bad}' in proc.stderr
    assert 'Traceback' not in proc.stderr
    assert not (tmp_path / 'out').exists()


# ---------------------------------------------------------------------------
# video_io on its own
# ---------------------------------------------------------------------------
def test_readers_stream_and_know_their_length(clip):
    mp4, frames, decoded = clip
    video = open_video(mp4)
    assert isinstance(video, VideoFile)
    assert (len(video), video.size, video.name) == (N, SIZE, 'moving')
    assert video.fps == pytest.approx(10.0)
    first = list(video)
    again = list(video)  # re-iterable: decoded again from the start
    for a, b, c in zip(first, again, decoded):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    folder = open_video(frames)
    assert isinstance(folder, FrameFolder)
    assert [osp.basename(p) for p in folder.paths] == [
        f'f{t}.png' for t in range(N)]  # natural order: f2 < f10
    for a, b in zip(folder, decoded):
        np.testing.assert_array_equal(a, b)
    assert sorted(['x10', 'x9', 'x100'], key=natural_key) == [
        'x9', 'x10', 'x100']
    with pytest.raises(VideoIOError, match='does not exist'):
        open_video(osp.join(frames, 'nowhere.mp4'))


def _frames(n, size=SIZE):
    for t in range(n):
        yield synthetic_frame(t, size)


def test_save_video_formats_and_gif_limits(tmp_path):
    for ext in ('mp4', 'webm'):
        path = tmp_path / f'v.{ext}'
        assert save_video(_frames(7), str(path), fps=5) == 7
        assert count_frames(str(path)) == 7
    gif = tmp_path / 'v.gif'
    # 50 frames, at most 10 kept (every 5th), downscaled to 48 px wide.
    assert save_video(_frames(50), str(gif), total=50, gif_max_frames=10,
                      gif_max_side=48) == 10
    with Image.open(gif) as im:
        assert im.n_frames == 10 and im.size == (48, 32)
    assert gif_stride(50, 10) == 5 and gif_stride(8, 10) == 1
    with pytest.raises(VideoIOError, match='extension'):
        save_video(_frames(2), str(tmp_path / 'v.avi'))


def test_save_video_leaves_nothing_on_failure(tmp_path):
    def failing():
        yield from _frames(3)
        raise RuntimeError('decoder died')

    for ext in ('mp4', 'gif'):
        path = tmp_path / f'broken.{ext}'
        with pytest.raises(RuntimeError, match='decoder died'):
            save_video(failing(), str(path))
        assert not path.exists()
    mixed = [synthetic_frame(0), synthetic_frame(1, (32, 48))]
    with pytest.raises(VideoIOError, match='frame 1'):
        save_video(iter(mixed), str(tmp_path / 'mixed.mp4'))
    with pytest.raises(VideoIOError, match='no frames'):
        save_video(iter([]), str(tmp_path / 'none.mp4'))
    assert os.listdir(tmp_path) == []  # no temporary file left either
