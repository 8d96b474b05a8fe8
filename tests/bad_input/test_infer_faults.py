"""infer.py on bad input and on resume (issue 30, reliability).

One test per case, on tiny generated data and the tiny model. Each refusal
checks the exit status, that the one-line message names the file / key /
value, and that nothing was written or changed: the md5 digests of every
input file and of the outputs of earlier runs are the same before and
after, and no output folder or run record is left behind.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
from testkit import ROOT, save_tiny_checkpoint, synthetic_frame

import infer
from hfan.apis import load_config
from hfan.apis.config import ConfigFileError
from hfan.infer import SETTINGS_FILE
from hfan.utils.image_io import ImageDecodeError, decode_image_bgr

pytestmark = pytest.mark.usefixtures('one_torch_thread')

SUFFIXES = ('', '-DAVIS-16', '-prob', '-overlay')


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def md5s(*folders):
    """``{path: md5}`` of every file under ``folders`` (missing: none)."""
    digests = {}
    for folder in folders:
        for base, _, names in os.walk(str(folder)):
            for name in names:
                path = osp.join(base, name)
                with open(path, 'rb') as f:
                    digests[path] = hashlib.md5(f.read()).hexdigest()
    return digests


def outputs_of(out):
    return [f'{out}{suffix}' for suffix in SUFFIXES]


def error_line(err):
    """The reported error: one ``infer.py: error:`` message (a resume
    refusal lists the changed settings on the lines after it), no
    traceback."""
    assert 'Traceback' not in err, err
    lines = [x for x in err.strip().splitlines()
             if x.startswith('infer.py: error:') or x.startswith('  ')
             or x.startswith('Use another')]
    assert lines and lines[0].startswith('infer.py: error:'), err
    return '\n'.join(lines)


def args(tiny, inp, out, *extra):
    return ['--config', str(tiny[0]), '--checkpoint', str(tiny[1]),
            '--input', str(inp), '--output_dir', str(out), '--device',
            'cpu', '--no-progress', '--workers', '0', '--overlay', 'none',
            *extra]


def frame_folder(folder, frames=3, ext='.jpg', name='{t:05d}',
                 size=None):
    """A folder of synthetic frames (the tiny model's kind of picture)."""
    os.makedirs(folder, exist_ok=True)
    for t in range(frames):
        image = synthetic_frame(t) if size is None else \
            cv2.resize(synthetic_frame(t), size[::-1])
        cv2.imwrite(osp.join(str(folder), name.format(t=t) + ext), image)
    return str(folder)


def refused(tiny, inp, out, capsys, *extra, watched=()):
    """Run infer.py expecting a refusal; check that nothing changed and
    nothing was written; return the message."""
    before = md5s(inp, *watched)
    existed = {p: osp.exists(p) for p in outputs_of(out)}
    capsys.readouterr()
    assert infer.main(args(tiny, inp, out, *extra)) == 1
    message = error_line(capsys.readouterr().err)
    assert md5s(inp, *watched) == before
    for path, was in existed.items():
        if not was:
            assert not osp.exists(path), path
    return message


def damage_jpeg(path):
    """Overwrite bytes in the middle of a JPEG's entropy-coded data with
    0xFF (a marker where none belongs, as a damaged disk block or a broken
    copy leaves it); the end-of-image marker stays."""
    data = bytearray(open(path, 'rb').read())
    sos = data.index(b'\xff\xda')
    start = sos + 2 + int.from_bytes(data[sos + 2:sos + 4], 'big')
    mid = start + (len(data) - 2 - start) // 2
    # The byte after the run must make FF xx a marker (not a stuffed 00
    # or a restart marker), else libjpeg reads on as if nothing happened.
    while data[mid + 16] == 0 or 0xd0 <= data[mid + 16] <= 0xd7 or \
            data[mid + 16] == 0xff:
        mid += 1
    data[mid:mid + 16] = b'\xff' * 16
    assert data.endswith(b'\xff\xd9')
    with open(path, 'wb') as f:
        f.write(bytes(data))


# ---------------------------------------------------------------------------
# 1. outputs never overwrite inputs
# ---------------------------------------------------------------------------
@pytest.mark.parametrize('where', ['same', 'inside', 'contains', 'sibling'])
def test_output_folder_overlapping_the_input_is_refused(tiny, tmp_path,
                                                        capsys, where):
    # PNG frames named as the masks of their folder would be: <video>_<t>
    folder = frame_folder(tmp_path / 'clip', ext='.png', name='clip_{t:05d}')
    out = {'same': folder, 'inside': osp.join(folder, 'masks'),
           'contains': str(tmp_path),
           # <out>-DAVIS-16 is the input folder
           'sibling': folder[:-len('clip')] + 'clip'}[where]
    if where == 'sibling':
        os.rename(folder, folder + '-DAVIS-16')
        folder = folder + '-DAVIS-16'
    message = refused(tiny, folder, out, capsys)
    assert folder in message and 'the output folder' in message
    assert {'same': 'is the input', 'inside': 'is inside the input',
            'contains': 'contains the input',
            'sibling': 'is the input'}[where] in message
    assert sorted(os.listdir(folder)) == [f'clip_{t:05d}.png'
                                          for t in range(3)]


def test_output_folder_inside_a_2seg_root_is_refused(tiny, vos_root,
                                                      tmp_path, capsys):
    out = osp.join(vos_root, 'results')
    message = refused(tiny, vos_root, out, capsys)
    assert f'the output folder {out} is inside the input {vos_root}' \
        in message


def test_masks_of_an_earlier_run_in_a_frame_folder_are_left_out(
        tiny, tmp_path, capsys):
    """A frame folder that an earlier run (before the check above) filled
    with its masks and record: the masks are not read as frames."""
    folder = frame_folder(tmp_path / 'walk')
    clean = tmp_path / 'clean'
    assert infer.main(args(tiny, folder, clean)) == 0
    # what `--output_dir walk` wrote before: walk_0000t.png + the record
    for name in os.listdir(clean):
        shutil.copy(osp.join(clean, name), folder)
    assert len(os.listdir(folder)) == 3 + 3 + 1
    again = tmp_path / 'again'
    capsys.readouterr()
    with pytest.warns(UserWarning, match=r'left out 3 file\(s\) that are '
                      'masks of an earlier infer.py run'):
        assert infer.main(args(tiny, folder, again)) == 0
    assert 'Segmented 3 frames' in capsys.readouterr().out
    assert md5s(f'{again}-DAVIS-16').values() and sorted(
        md5s(f'{again}-DAVIS-16').values()) == sorted(
            md5s(f'{clean}-DAVIS-16').values())


# ---------------------------------------------------------------------------
# 2. resume compares contents
# ---------------------------------------------------------------------------
@pytest.fixture
def own_model(tiny, tmp_path):
    """A copy of the tiny config and checkpoint that a test may edit."""
    folder = tmp_path / 'model'
    folder.mkdir()
    config = shutil.copy(tiny[0], folder / 'tiny.py')
    checkpoint = shutil.copy(tiny[1], folder / 'tiny.pth')
    return str(config), str(checkpoint)


def test_checkpoint_edited_in_place_is_refused_on_resume(own_model, tmp_path,
                                                         capsys):
    folder = frame_folder(tmp_path / 'walk')
    out = tmp_path / 'out'
    assert infer.main(args(own_model, folder, out, '--max-frames', '1')) \
        == 0
    # the same path, other weights (retrained, or copied over)
    save_tiny_checkpoint(own_model[0], own_model[1], seed=1)
    message = refused(own_model, folder, out, capsys,
                      watched=outputs_of(out))
    assert "masks of video 'walk' written with other settings" in message
    assert 'checkpoint_sha256' in message
    assert 'contents of the checkpoint file changed' in message
    assert '--overwrite' in message and '--output_dir' in message


def test_config_edited_in_place_is_refused_on_resume(own_model, tmp_path,
                                                     capsys):
    folder = frame_folder(tmp_path / 'walk')
    out = tmp_path / 'out'
    assert infer.main(args(own_model, folder, out, '--max-frames', '1')) \
        == 0
    config = open(own_model[0]).read()
    # an edit that changes no mask resumes
    with open(own_model[0], 'a') as f:
        f.write("\nlog_level = 'WARNING'\n")
    assert infer.main(args(own_model, folder, out, '--max-frames', '1')) \
        == 0
    # another test scale does not
    assert 'scale=(120, 80)' in config
    with open(own_model[0], 'w') as f:
        f.write(config.replace('scale=(120, 80)', 'scale=(96, 64)'))
    message = refused(own_model, folder, out, capsys,
                      watched=outputs_of(out))
    assert 'config_sha256' in message and 'test pipeline' in message


def test_overwrite_of_one_video_keeps_the_others_stale(own_model, tmp_path,
                                                       capsys):
    """Video a with weights X; then video b with weights Y and --overwrite
    into the same folder: a's masks stay marked as X's, so resuming a with
    Y is refused, and b resumes."""
    a = frame_folder(tmp_path / 'a', frames=2)
    b = frame_folder(tmp_path / 'b', frames=2)
    out = tmp_path / 'out'
    assert infer.main(args(own_model, a, out, '--max-frames', '1')) == 0
    other = save_tiny_checkpoint(own_model[0], tmp_path / 'other.pth',
                                 seed=1)
    model_y = (own_model[0], other)
    assert infer.main(args(model_y, b, out, '--overwrite')) == 0
    message = refused(model_y, a, out, capsys, watched=outputs_of(out))
    assert "masks of video 'a'" in message and 'checkpoint_sha256' in message
    capsys.readouterr()
    assert infer.main(args(model_y, b, out)) == 0
    assert '2 of 2 were already written' in capsys.readouterr().out
    record = json.load(open(out / SETTINGS_FILE))
    assert record['inputs']['a']['settings'] != \
        record['inputs']['b']['settings']


def test_overwrite_stopped_half_way_resumes_to_the_clean_result(
        own_model, tmp_path):
    """--overwrite with other weights, stopped after one frame (as a kill
    between two frames leaves it), then resumed: every mask is the new
    weights', byte for byte those of a clean run -- none of the old
    weights' masks passes as written."""
    folder = frame_folder(tmp_path / 'walk', frames=3)
    out, clean = tmp_path / 'out', tmp_path / 'clean'
    assert infer.main(args(own_model, folder, out)) == 0
    old = md5s(f'{out}-DAVIS-16')
    other = save_tiny_checkpoint(own_model[0], tmp_path / 'other.pth',
                                 seed=1)
    model_y = (own_model[0], other)
    assert infer.main(args(model_y, folder, out, '--overwrite',
                           '--max-frames', '1')) == 0
    assert len(md5s(f'{out}-DAVIS-16')) == 1  # the others were removed
    assert infer.main(args(model_y, folder, out)) == 0
    assert infer.main(args(model_y, folder, clean)) == 0
    resumed = {osp.relpath(p, f'{out}-DAVIS-16'): d
               for p, d in md5s(f'{out}-DAVIS-16').items()}
    fresh = {osp.relpath(p, f'{clean}-DAVIS-16'): d
             for p, d in md5s(f'{clean}-DAVIS-16').items()}
    assert resumed == fresh and len(fresh) == 3
    assert set(resumed.values()) != set(old.values())


def test_kill_9_then_resume_is_byte_identical_to_a_clean_run(tiny,
                                                             tmp_path):
    """infer.py killed outright (SIGKILL) while writing masks, then the
    same command again: the masks are byte for byte a clean run's."""
    frames = 40
    folder = frame_folder(tmp_path / 'walk', frames=frames)
    out, clean = tmp_path / 'out', tmp_path / 'clean'
    archive = osp.join(f'{out}-DAVIS-16', 'walk')
    child = subprocess.Popen(
        [sys.executable, osp.join(ROOT, 'infer.py'),
         *args(tiny, folder, out)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    deadline = time.monotonic() + 120
    while child.poll() is None and time.monotonic() < deadline:
        if osp.isdir(archive) and len(os.listdir(archive)) >= 3:
            break
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    written = len(os.listdir(archive))
    assert 3 <= written < frames, 'not stopped half-way'
    assert infer.main(args(tiny, folder, out)) == 0
    assert infer.main(args(tiny, folder, clean)) == 0

    def pngs(root):
        return {(suffix, osp.relpath(p, f'{root}{suffix}')): d
                for suffix in ('', '-DAVIS-16')
                for p, d in md5s(f'{root}{suffix}').items()
                if p.endswith('.png')}

    assert pngs(out) == pngs(clean) and len(pngs(clean)) == 2 * frames


def test_record_of_an_earlier_version_is_refused(tiny, tmp_path, capsys):
    """A record keeping paths, not contents (infer.py before issue 30):
    whether the checkpoint changed cannot be told."""
    folder = frame_folder(tmp_path / 'walk', frames=2)
    out = tmp_path / 'out'
    assert infer.main(args(tiny, folder, out, '--max-frames', '1')) == 0
    record = json.load(open(out / SETTINGS_FILE))
    for key in ('checkpoint_sha256', 'config_sha256', 'settings_of_videos'):
        del record[key]
    for entry in record['inputs'].values():
        del entry['settings']
    (out / SETTINGS_FILE).write_text(json.dumps(record))
    message = refused(tiny, folder, out, capsys, watched=outputs_of(out))
    assert 'written by an earlier infer.py' in message
    assert 'not digests of their contents' in message
    assert '--overwrite' in message


# ---------------------------------------------------------------------------
# 3. damaged frames
# ---------------------------------------------------------------------------
def test_jpeg_damaged_in_the_middle_is_refused(tiny, tmp_path, capsys):
    folder = frame_folder(tmp_path / 'walk')
    damaged = osp.join(folder, '00001.jpg')
    damage_jpeg(damaged)
    data = open(damaged, 'rb').read()
    # what happened before: OpenCV decodes it, partly flat grey
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and (image == 128).all(axis=2).mean() > 0.1
    with pytest.raises(ImageDecodeError, match='Corrupt JPEG data'):
        decode_image_bgr(data, damaged)
    # frame 0 needs frame 1 for its flow: the run stops before any mask
    message = refused(tiny, folder, tmp_path / 'out', capsys)
    assert damaged in message and 'damaged JPEG' in message
    assert 'Corrupt JPEG data' in message and 'replace it' in message


def test_jpeg_left_over_bytes_are_refused_and_whole_frames_decode():
    """libjpeg's other damage warning (a desynchronised stream ends before
    its data: "extraneous bytes"); an intact frame decodes as OpenCV
    decodes it."""
    ok, encoded = cv2.imencode('.jpg', synthetic_frame(0))
    data = encoded.tobytes()
    np.testing.assert_array_equal(
        decode_image_bgr(data, 'intact.jpg'),
        cv2.imdecode(encoded, cv2.IMREAD_COLOR))
    # bytes inserted before the end marker
    padded = data[:-2] + bytes(range(1, 81)) + data[-2:]
    with pytest.raises(ImageDecodeError, match='extraneous bytes'):
        decode_image_bgr(padded, 'padded.jpg')


# ---------------------------------------------------------------------------
# 4. one frame, --max-frames 0
# ---------------------------------------------------------------------------
def test_one_frame_folder_is_refused(tiny, tmp_path, capsys):
    folder = frame_folder(tmp_path / 'still', frames=1)
    message = refused(tiny, folder, tmp_path / 'out', capsys)
    assert folder in message and 'has one frame' in message
    assert 'at least 2 frames' in message


def test_video_segmenter_warns_on_one_frame(tiny):
    """The library API does not refuse (a caller may want the frame's
    mask anyway) but says why it is likely empty."""
    from hfan.apis import VideoSegmenter
    segmenter = VideoSegmenter(*tiny)
    with pytest.warns(UserWarning, match='a video of one frame: it has no '
                      'motion'):
        (result, ) = segmenter.segment_video([synthetic_frame(0)])
    assert result[0] == 0


@pytest.mark.parametrize('option, value, says', [
    ('--max-frames', '0',
     '--max-frames must be >= 1 (leave it out for no limit), got 0'),
    ('--fps', 'nan', '--fps must be a finite number > 0, got nan'),
    ('--fps', 'inf', '--fps must be a finite number > 0, got inf'),
    ('--fps', '-1', '--fps must be a finite number > 0, got -1.0'),
])
def test_values_refused_before_any_work(tiny, tmp_path, capsys, option,
                                        value, says):
    folder = frame_folder(tmp_path / 'walk', frames=2)
    before = md5s(folder)
    with pytest.raises(SystemExit) as info:
        infer.main(args(tiny, folder, tmp_path / 'out', option, value))
    assert info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == \
        f'infer.py: error: {says}'
    assert md5s(folder) == before
    assert not any(osp.exists(p) for p in outputs_of(tmp_path / 'out'))


# ---------------------------------------------------------------------------
# 5. clear errors before work
# ---------------------------------------------------------------------------
def test_frames_too_small_for_dis_are_refused(tiny, tmp_path, capsys):
    folder = frame_folder(tmp_path / 'tiny_frames', frames=2, size=(10, 10))
    message = refused(tiny, folder, tmp_path / 'out', capsys)
    assert folder in message and '10x10 pixels' in message
    assert 'at least 8 pixels on each side and 12 on one' in message


def test_config_syntax_and_name_errors_name_file_and_line(tiny, tmp_path,
                                                          capsys):
    broken = tmp_path / 'broken.py'
    broken.write_text("_base_ = ['./base.py']\nmodel = dict(\n")
    (tmp_path / 'base.py').write_text('a = 1\n')
    folder = frame_folder(tmp_path / 'walk', frames=2)
    message = refused((broken, tiny[1]), folder, tmp_path / 'out', capsys)
    assert f'config {broken}, line 2: syntax error' in message
    assert "'(' was never closed" in message
    # an undefined name in a base: the base and its line
    (tmp_path / 'base.py').write_text('a = 1\nb = undefined_name + 1\n')
    child = tmp_path / 'child.py'
    child.write_text("_base_ = ['./base.py']\nc = 2\n")
    with pytest.raises(ConfigFileError) as info:
        load_config(str(child))
    assert str(info.value).startswith(
        f'config {tmp_path / "base.py"} (inherited by {child} through '
        "_base_), line 2: NameError: name 'undefined_name' is not defined")


def test_slide_mode_without_windows_names_the_keys(tiny, tmp_path, capsys):
    config = tmp_path / 'slide.py'
    config.write_text(f"_base_ = [{str(tiny[0])!r}]\n"
                      "model = dict(test_cfg=dict(_delete_=True, "
                      "mode='whole'))\n")
    folder = frame_folder(tmp_path / 'walk', frames=2)
    message = refused((config, tiny[1]), folder, tmp_path / 'out', capsys,
                      '--cfg-options', 'model.test_cfg.mode=slide')
    assert str(config) in message
    assert ("model.test_cfg.mode='slide' (sliding windows) needs "
            'model.test_cfg.crop_size and model.test_cfg.stride') in message
    assert '+model.test_cfg.crop_size=(512,512)' in message
