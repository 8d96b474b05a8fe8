"""The bad-input matrix of the tools (issue 12): infer.py, the checkpoint
converter, training and test, the preparation resume, strict decoding in
every reader, and clean stdout.

One test per case. Each asserts the exit status, that the message names the
file / key / value, that there is no traceback, and that nothing partial is
left (no output folder, no half-written file, the input untouched). The
tools' ``main``/``cli`` run in-process where they allow it (fast); only the
stdout checks start interpreters. The evaluators' cases are in
tests/bad_input/test_evaluators.py.
"""
import csv
import io
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from testkit import ROOT, load_tool, write_run, write_vos_split

import infer
from hfan.cli.report import run_cli
from hfan.infer import SETTINGS_FILE
from hfan.preparation import (
    FrameSpec,
    PrepareError,
    VideoJob,
    WriteOptions,
    process_video,
    video_done,
)

pytestmark = pytest.mark.usefixtures('one_torch_thread')

TINY_TRAIN_CFG = osp.join(ROOT, 'tests', 'configs', 'hfan_tiny_resume.py')
NO_VAL = ['val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def truncate(path, keep=0.5):
    """Cut a file to ``keep`` of its bytes (a partial download / copy)."""
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:int(len(data) * keep)])


def tree(folder):
    """Every file under ``folder`` with its bytes (to show nothing
    changed)."""
    out = {}
    for base, _, files in os.walk(folder):
        for name in files:
            path = osp.join(base, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path, folder)] = f.read()
    return out


def error_lines(err, prog):
    """The reported error: 1-2 lines starting with ``<prog>: error:``; no
    traceback."""
    lines = [line for line in err.strip().splitlines()
             if 'Could not import OneDL' not in line]
    assert 'Traceback' not in err, err
    assert lines and lines[0].startswith(f'{prog}: error:'), err
    assert len(lines) <= 2, err
    return ' '.join(lines)


def make_root(tmp_path, name='data', seed=1, frames=2):
    """A 2SEG root with one 2-frame val video named ``video0``."""
    root = str(tmp_path / name)
    write_vos_split(root, 'val', videos=1, frames=frames, seed=seed)
    return root


def infer_args(tiny, inp, out, *extra):
    return ['--config', tiny[0], '--checkpoint', tiny[1], '--input',
            str(inp), '--output_dir', str(out), '--device', 'cpu',
            '--no-progress', '--workers', '0', *extra]


def assert_no_outputs(out):
    for folder in (out, f'{out}-DAVIS-16', f'{out}-overlay', f'{out}-prob'):
        assert not osp.exists(folder), folder


@pytest.fixture(scope='module')
def train_tool():
    return load_tool('train')


@pytest.fixture(scope='module')
def test_tool():
    return load_tool('test')


@pytest.fixture(scope='module')
def convert_tool():
    return load_tool('convert_checkpoint')


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / 'notes.pth'
    path.write_text('these are my notes, not weights\n')
    return str(path)


@pytest.fixture
def truncated_ckpt(tiny, tmp_path):
    path = tmp_path / 'half.pth'
    path.write_bytes(open(tiny[1], 'rb').read()[:4000])
    return str(path)


# ---------------------------------------------------------------------------
# infer.py: strict decoding of its inputs
# ---------------------------------------------------------------------------
def test_infer_truncated_frame_jpeg_in_folder(tiny, tmp_path, capsys):
    root = make_root(tmp_path)
    folder = osp.join(root, 'frame', 'val')
    bad = osp.join(folder, 'video0_00001.jpg')
    truncate(bad)
    out = tmp_path / 'out'
    assert infer.main(infer_args(tiny, folder, out)) == 1
    msg = error_lines(capsys.readouterr().err, 'infer.py')
    assert bad in msg and 'truncated' in msg
    assert_no_outputs(out)


def test_infer_truncated_flow_jpeg_in_2seg_root(tiny, tmp_path, capsys):
    root = make_root(tmp_path)
    bad = osp.join(root, 'flow', 'val', 'video0_00000.jpg')
    truncate(bad)
    out = tmp_path / 'out'
    assert infer.main(infer_args(tiny, root, out)) == 1
    msg = error_lines(capsys.readouterr().err, 'infer.py')
    assert bad in msg and 'truncated' in msg
    assert_no_outputs(out)


def test_infer_zero_byte_frame_in_2seg_root(tiny, tmp_path, capsys):
    root = make_root(tmp_path)
    bad = osp.join(root, 'frame', 'val', 'video0_00001.jpg')
    open(bad, 'wb').close()
    out = tmp_path / 'out'
    assert infer.main(infer_args(tiny, root, out)) == 1
    msg = error_lines(capsys.readouterr().err, 'infer.py')
    assert bad in msg and 'empty' in msg
    assert_no_outputs(out)


def test_infer_truncated_png_frame_in_folder(tiny, tmp_path, capsys):
    folder = tmp_path / 'frames'
    folder.mkdir()
    rng = np.random.default_rng(0)
    for t in range(2):
        cv2.imwrite(str(folder / f'{t}.png'),
                    rng.integers(0, 255, (64, 96, 3), dtype=np.uint8))
    truncate(folder / '1.png', keep=0.8)
    out = tmp_path / 'out'
    assert infer.main(infer_args(tiny, folder, out)) == 1
    msg = error_lines(capsys.readouterr().err, 'infer.py')
    assert str(folder / '1.png') in msg and 'truncated' in msg
    assert_no_outputs(out)


# ---------------------------------------------------------------------------
# infer.py: the run record and the output folder
# ---------------------------------------------------------------------------
def test_infer_another_input_of_the_same_name_is_refused(tiny, tmp_path,
                                                         capsys):
    out = tmp_path / 'out'
    first = make_root(tmp_path, 'first', seed=1)
    assert infer.main(infer_args(tiny, first, out)) == 0
    before = tree(out), tree(f'{out}-DAVIS-16')
    capsys.readouterr()
    # another video named video0: its frames differ
    second = make_root(tmp_path, 'second', seed=7)
    assert infer.main(infer_args(tiny, second, out)) == 1
    msg = error_lines(capsys.readouterr().err, 'infer.py')
    assert "'video0'" in msg and 'another input' in msg
    assert '--overwrite' in msg
    assert (tree(out), tree(f'{out}-DAVIS-16')) == before


def test_infer_same_input_copied_elsewhere_resumes(tiny, tmp_path, capsys):
    out = tmp_path / 'out'
    first = make_root(tmp_path, 'first', seed=1)
    assert infer.main(infer_args(tiny, first, out)) == 0
    masks = tree(f'{out}-DAVIS-16')
    copy = str(tmp_path / 'copy')
    import shutil
    shutil.copytree(first, copy)  # same files, new path and times
    capsys.readouterr()
    assert infer.main(infer_args(tiny, copy, out)) == 0
    assert '2 of 2 were already written' in capsys.readouterr().out
    assert tree(f'{out}-DAVIS-16') == masks


def test_infer_another_input_with_overwrite_recomputes(tiny, tmp_path,
                                                       capsys):
    out = tmp_path / 'out'
    assert infer.main(infer_args(tiny, make_root(tmp_path, 'a', 1), out)) \
        == 0
    second = make_root(tmp_path, 'b', seed=7)
    assert infer.main(infer_args(tiny, second, out, '--overwrite')) == 0
    assert '0 of 2 were already written' in capsys.readouterr().out
    record = json.load(open(out / SETTINGS_FILE))
    assert record['inputs']['video0']['source'] == osp.join(
        second, 'frame', 'val')
    # and the record now accepts the second input without --overwrite
    assert infer.main(infer_args(tiny, second, out)) == 0


def test_infer_corrupt_run_record(tiny, tmp_path, capsys):
    out = tmp_path / 'out'
    out.mkdir()
    (out / SETTINGS_FILE).write_text('{"config": "a.py", ')
    assert infer.main(infer_args(tiny, make_root(tmp_path), out)) == 1
    msg = error_lines(capsys.readouterr().err, 'infer.py')
    assert SETTINGS_FILE in msg and 'not a valid run record' in msg
    assert os.listdir(out) == [SETTINGS_FILE]
    assert not osp.exists(f'{out}-DAVIS-16')


def test_infer_output_root_under_a_file(tiny, tmp_path, capsys):
    blocker = tmp_path / 'results.txt'
    blocker.write_text('x')
    out = blocker / 'out'
    assert infer.main(infer_args(tiny, make_root(tmp_path), out)) == 1
    msg = error_lines(capsys.readouterr().err, 'infer.py')
    assert str(blocker) in msg and 'is a file' in msg
    assert blocker.read_text() == 'x'
    assert not osp.exists(f'{blocker}-DAVIS-16')


def test_infer_text_file_as_checkpoint(tiny, tmp_path, text_file, capsys):
    out = tmp_path / 'out'
    args = infer_args((tiny[0], text_file), make_root(tmp_path), out)
    assert infer.main(args) == 1
    msg = error_lines(capsys.readouterr().err, 'infer.py')
    assert text_file in msg and 'not a PyTorch checkpoint' in msg
    assert_no_outputs(out)


def test_infer_truncated_checkpoint(tiny, tmp_path, truncated_ckpt, capsys):
    out = tmp_path / 'out'
    args = infer_args((tiny[0], truncated_ckpt), make_root(tmp_path), out)
    assert infer.main(args) == 1
    msg = error_lines(capsys.readouterr().err, 'infer.py')
    assert truncated_ckpt in msg and 'truncated' in msg
    assert_no_outputs(out)


def test_infer_misspelt_options_key(tiny, tmp_path, capsys):
    out = tmp_path / 'out'
    args = infer_args(tiny, make_root(tmp_path), out, '--options',
                      'model.decode_head.selct_method=im')
    assert infer.main(args) == 1
    msg = error_lines(capsys.readouterr().err, 'infer.py')
    assert 'selct_method' in msg and "did you mean 'select_method'" in msg
    assert_no_outputs(out)


def test_infer_options_without_equals(tiny, tmp_path, capsys):
    out = tmp_path / 'out'
    with pytest.raises(SystemExit) as info:
        infer.main(infer_args(tiny, make_root(tmp_path), out, '--options',
                              'model.test_cfg.mode'))
    assert info.value.code == 2
    msg = error_lines(capsys.readouterr().err, 'infer.py')
    assert "'model.test_cfg.mode'" in msg and 'KEY=VALUE' in msg
    assert_no_outputs(out)


def test_infer_missing_config(tiny, tmp_path, capsys):
    out = tmp_path / 'out'
    missing = str(tmp_path / 'nope.py')
    args = infer_args((missing, tiny[1]), make_root(tmp_path), out)
    assert infer.main(args) == 1
    msg = error_lines(capsys.readouterr().err, 'infer.py')
    assert missing in msg and 'does not exist' in msg
    assert_no_outputs(out)


# ---------------------------------------------------------------------------
# tools/convert_checkpoint.py
# ---------------------------------------------------------------------------
@pytest.fixture
def src_copy(tiny, tmp_path):
    """A writable copy of the tiny checkpoint, with its bytes."""
    path = tmp_path / 'model.pth'
    data = open(tiny[1], 'rb').read()
    path.write_bytes(data)
    return str(path), data


@pytest.mark.parametrize('spelling', ['same', 'dotted', 'symlink'])
def test_convert_refuses_dst_equal_to_src(convert_tool, src_copy, tmp_path,
                                          capsys, spelling):
    src, data = src_copy
    if spelling == 'same':
        dst = src
    elif spelling == 'dotted':
        dst = osp.join(str(tmp_path), '.', '..', tmp_path.name, 'model.pth')
    else:
        dst = str(tmp_path / 'link.pth')
        os.symlink(src, dst)
    assert convert_tool.main([src, dst, '--fp16']) == 1
    msg = error_lines(capsys.readouterr().err, 'convert_checkpoint.py')
    assert 'is the source file' in msg and dst in msg
    assert open(src, 'rb').read() == data  # the float32 source is intact
    assert sorted(os.listdir(tmp_path)) == sorted(
        ['model.pth'] + (['link.pth'] if spelling == 'symlink' else []))


def test_convert_refuses_a_dict_without_tensors(convert_tool, tmp_path,
                                                capsys):
    src = str(tmp_path / 'state.pth')
    torch.save({'epoch': 3, 'config': 'x.py'}, src)
    dst = tmp_path / 'out.pth'
    assert convert_tool.main([src, str(dst)]) == 1
    msg = error_lines(capsys.readouterr().err, 'convert_checkpoint.py')
    assert src in msg and 'not a model checkpoint' in msg
    assert not dst.exists()


def test_convert_refuses_tensors_of_no_hfan_model(convert_tool, tmp_path,
                                                  capsys):
    src = str(tmp_path / 'stats.pth')
    torch.save({'mean': torch.zeros(3), 'std': torch.ones(3)}, src)
    dst = tmp_path / 'out.pth'
    assert convert_tool.main([src, str(dst)]) == 1
    msg = error_lines(capsys.readouterr().err, 'convert_checkpoint.py')
    assert src in msg and 'not an HFAN checkpoint' in msg
    assert not dst.exists()
    assert capsys.readouterr().out == ''


def test_convert_refuses_a_text_file(convert_tool, text_file, tmp_path,
                                     capsys):
    dst = tmp_path / 'out.pth'
    assert convert_tool.main([text_file, str(dst)]) == 1
    msg = error_lines(capsys.readouterr().err, 'convert_checkpoint.py')
    assert text_file in msg and 'not a PyTorch checkpoint' in msg
    assert not dst.exists()


def test_convert_refuses_a_folder_as_dst(convert_tool, src_copy, tmp_path,
                                         capsys):
    folder = tmp_path / 'converted'
    folder.mkdir()
    assert convert_tool.main([src_copy[0], str(folder)]) == 1
    msg = error_lines(capsys.readouterr().err, 'convert_checkpoint.py')
    assert str(folder) in msg and 'is a folder' in msg
    assert os.listdir(folder) == []


# ---------------------------------------------------------------------------
# tools/train.py: refused before the Runner is built (no banner, no work dir)
# ---------------------------------------------------------------------------
@pytest.fixture
def data_root(tmp_path):
    root = str(tmp_path / 'synthetic')
    write_vos_split(root, 'train', videos=1, frames=2, seed=0)
    return root


def train(train_tool, work_dir, data_root, *extra):
    return train_tool.main([
        TINY_TRAIN_CFG, '--work-dir', str(work_dir), *extra,
        '--cfg-options', f'synthetic_root={data_root}', *NO_VAL
    ])


def test_train_resume_with_nothing_to_resume(train_tool, data_root, tmp_path,
                                             capsys):
    work = tmp_path / 'work'
    assert train(train_tool, work, data_root, '--resume') == 1
    captured = capsys.readouterr()
    msg = error_lines(captured.err, 'train.py')
    assert 'nothing to resume' in msg and str(work) in msg
    assert '--auto-resume' in msg
    assert captured.out == ''  # stopped before any banner
    assert not work.exists()


def test_train_resume_missing_file(train_tool, data_root, tmp_path, capsys):
    missing = str(tmp_path / 'iter_9.pth')
    work = tmp_path / 'work'
    assert train(train_tool, work, data_root, '--resume', missing) == 1
    msg = error_lines(capsys.readouterr().err, 'train.py')
    assert missing in msg and 'not found' in msg
    assert not work.exists()


def test_train_resume_text_file(train_tool, data_root, tmp_path, text_file,
                                capsys):
    work = tmp_path / 'work'
    assert train(train_tool, work, data_root, '--resume', text_file) == 1
    msg = error_lines(capsys.readouterr().err, 'train.py')
    assert text_file in msg and 'not a PyTorch checkpoint' in msg
    assert not work.exists()


def test_train_resume_latest_checkpoint_truncated(train_tool, data_root,
                                                  tmp_path, truncated_ckpt,
                                                  capsys):
    work = tmp_path / 'work'
    work.mkdir()
    (work / 'last_checkpoint').write_text(truncated_ckpt)
    assert train(train_tool, work, data_root, '--resume') == 1
    msg = error_lines(capsys.readouterr().err, 'train.py')
    assert truncated_ckpt in msg and 'truncated' in msg
    assert os.listdir(work) == ['last_checkpoint']


def test_train_load_from_truncated(train_tool, data_root, tmp_path,
                                   truncated_ckpt, capsys):
    work = tmp_path / 'work'
    assert train(train_tool, work, data_root, '--load-from',
                 truncated_ckpt) == 1
    msg = error_lines(capsys.readouterr().err, 'train.py')
    assert truncated_ckpt in msg and 'truncated' in msg
    assert not work.exists()


def test_train_load_from_missing(train_tool, data_root, tmp_path, capsys):
    missing = str(tmp_path / 'stage1.pth')
    work = tmp_path / 'work'
    assert train(train_tool, work, data_root, '--load-from', missing) == 1
    msg = error_lines(capsys.readouterr().err, 'train.py')
    assert missing in msg and 'does not exist' in msg
    assert not work.exists()


def test_train_misspelt_options_key(train_tool, data_root, tmp_path, capsys):
    work = tmp_path / 'work'
    assert train(train_tool, work, data_root, '--options',
                 'model.decode_head.selct_method=im') == 1
    msg = error_lines(capsys.readouterr().err, 'train.py')
    assert 'selct_method' in msg and "did you mean 'select_method'" in msg
    assert not work.exists()


def test_train_options_without_equals(train_tool, data_root, tmp_path,
                                      capsys):
    work = tmp_path / 'work'
    with pytest.raises(SystemExit) as info:
        train(train_tool, work, data_root, '--options',
              'model.decode_head.select_method')
    assert info.value.code == 2
    msg = error_lines(capsys.readouterr().err, 'train.py')
    assert "'model.decode_head.select_method'" in msg and 'KEY=VALUE' in msg
    assert not work.exists()


def test_train_missing_data_root(train_tool, tmp_path, capsys):
    work = tmp_path / 'work'
    nowhere = str(tmp_path / 'nowhere')
    assert train(train_tool, work, nowhere) == 1
    captured = capsys.readouterr()
    msg = error_lines(captured.err, 'train.py')
    assert nowhere in msg and 'synthetic_root=PATH' in msg
    assert captured.out == ''
    assert not work.exists()


# ---------------------------------------------------------------------------
# tools/test.py
# ---------------------------------------------------------------------------
def test_test_tool_text_file_as_checkpoint(test_tool, tiny, vos_root,
                                           tmp_path, text_file, capsys):
    work = tmp_path / 'work'
    assert test_tool.main([tiny[0], text_file, '--work-dir', str(work),
                          '--cfg-options', f'davis_root={vos_root}']) == 1
    msg = error_lines(capsys.readouterr().err, 'test.py')
    assert text_file in msg and 'not a PyTorch checkpoint' in msg
    assert not work.exists()


def test_test_tool_missing_checkpoint(test_tool, tiny, vos_root, tmp_path,
                                      capsys):
    work = tmp_path / 'work'
    missing = str(tmp_path / 'nope.pth')
    assert test_tool.main([tiny[0], missing, '--work-dir', str(work),
                          '--cfg-options', f'davis_root={vos_root}']) == 1
    msg = error_lines(capsys.readouterr().err, 'test.py')
    assert missing in msg and 'not found' in msg
    assert not work.exists()


def test_test_tool_missing_data_root(test_tool, tiny, tmp_path, capsys):
    work = tmp_path / 'work'
    nowhere = str(tmp_path / 'DAVIS2SEG')
    assert test_tool.main([tiny[0], tiny[1], '--work-dir', str(work),
                          '--cfg-options', f'davis_root={nowhere}']) == 1
    msg = error_lines(capsys.readouterr().err, 'test.py')
    assert nowhere in msg and 'davis_root=PATH' in msg
    assert not work.exists()


# ---------------------------------------------------------------------------
# Preparation: decoding, and what a resume counts as complete
# ---------------------------------------------------------------------------
def _jpeg(i):
    rng = np.random.default_rng(i)
    img = cv2.GaussianBlur(rng.uniform(0, 255, (40, 56, 3)).astype(
        np.float32), (0, 0), 1.5).astype(np.uint8)
    return cv2.imencode('.jpg', img)[1].tobytes()


def _job(n=2):
    frames = []
    for i in range(n):
        mask = np.zeros((40, 56), np.uint8)
        mask[10:20, 10 + i:30 + i] = 255
        frames.append(FrameSpec(_jpeg(i), f'clip_{i:05d}', mask))
    return VideoJob('clip', 'train', frames)


def _estimator(a, b):
    return np.zeros(a.shape[:2] + (2, ), np.float32) + 0.5


@pytest.mark.parametrize('kind,damage', [('frame', 'empty'),
                                         ('flow', 'truncated'),
                                         ('mask', 'truncated'),
                                         ('raw_flow', 'truncated')])
def test_prepare_resume_rewrites_incomplete_output(tmp_path, kind, damage):
    opts = WriteOptions(str(tmp_path / 'OUT'), raw_flow='npy')
    job = _job()
    assert process_video(job, _estimator, opts) > 0
    path = opts.paths('train', 'clip_00001')[kind]
    complete = open(path, 'rb').read()
    if damage == 'empty':
        open(path, 'wb').close()
    else:
        truncate(path, keep=0.6)
    assert not video_done(job, opts)  # not counted as complete
    assert process_video(job, _estimator, opts) >= 1
    assert open(path, 'rb').read() == complete
    assert video_done(job, opts)


def test_prepare_truncated_source_frame(tmp_path):
    job = _job()
    job.frames[1].image = job.frames[1].image[:300]
    opts = WriteOptions(str(tmp_path / 'OUT'))
    with pytest.raises(PrepareError, match='truncated JPEG'):
        process_video(job, _estimator, opts)
    # the damaged frame (and what follows) was not written
    assert not osp.exists(opts.paths('train', 'clip_00001')['frame'])


def test_prepare_truncated_source_annotation(tmp_path):
    ann = tmp_path / 'ann.png'
    mask = np.zeros((40, 56), np.uint8)
    mask[5:9, 5:9] = 1
    ann.write_bytes(cv2.imencode('.png', mask)[1].tobytes()[:40])
    job = _job(1)
    job.frames[0].mask = str(ann)
    opts = WriteOptions(str(tmp_path / 'OUT'))
    with pytest.raises(PrepareError, match='ann.png: truncated PNG'):
        process_video(job, _estimator, opts)
    assert not osp.exists(opts.paths('train', 'clip_00000')['mask'])


# ---------------------------------------------------------------------------
# The training pipeline and the video API read strictly too
# ---------------------------------------------------------------------------
def test_training_loader_truncated_frame(tmp_path):
    from hfan.datasets.transforms import LoadFrameAndFlow
    root = make_root(tmp_path)
    frame = osp.join(root, 'frame', 'val', 'video0_00000.jpg')
    flow = osp.join(root, 'flow', 'val', 'video0_00000.jpg')
    truncate(frame)
    with pytest.raises(ValueError, match='truncated JPEG') as info:
        LoadFrameAndFlow().transform(dict(img_path=frame, flow_path=flow))
    assert frame in str(info.value)


def test_training_loader_truncated_mask(tmp_path):
    from hfan.datasets.transforms import LoadBinaryAnnotations
    root = make_root(tmp_path)
    mask = osp.join(root, 'mask', 'val', 'video0_00000.png')
    truncate(mask)
    with pytest.raises(ValueError, match='truncated PNG') as info:
        LoadBinaryAnnotations().transform(
            dict(seg_map_path=mask, reduce_zero_label=False, seg_fields=[]))
    assert mask in str(info.value)


def test_video_api_frame_folder_truncated_frame(tmp_path):
    from hfan.io import VideoIOError, open_video
    folder = osp.join(make_root(tmp_path), 'frame', 'val')
    bad = osp.join(folder, 'video0_00001.jpg')
    truncate(bad)
    with pytest.raises(VideoIOError, match='truncated') as info:
        open_video(folder)
    assert bad in str(info.value)


# ---------------------------------------------------------------------------
# The shared reporter, and stdout kept for results
# ---------------------------------------------------------------------------
def test_debug_env_shows_the_traceback(monkeypatch, capsys):
    def main(argv):
        raise FileNotFoundError('config file x.py does not exist')

    assert run_cli(main, [], 'tool.py') == 1
    assert capsys.readouterr().err == \
        'tool.py: error: config file x.py does not exist\n'
    monkeypatch.setenv('HFAN_DEBUG', '1')
    with pytest.raises(FileNotFoundError):
        run_cli(main, [], 'tool.py')


def test_unexpected_error_is_one_line_naming_its_type(capsys):
    def main(argv):
        raise ZeroDivisionError('division by zero')

    assert run_cli(main, [], 'tool.py') == 1
    msg = error_lines(capsys.readouterr().err, 'tool.py')
    assert 'ZeroDivisionError: division by zero' in msg
    assert 'HFAN_DEBUG=1' in msg


def _script(*args, **kwargs):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join(
        [ROOT, osp.join(ROOT, 'tests'), env.get('PYTHONPATH', '')])
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300,
                          **kwargs)


def test_summarize_runs_csv_stdout_is_only_csv(tmp_path):
    write_run(tmp_path / 'abl-im', '20261124_120000', 'im', {3000: 0.7},
              ['2026/11/24 12:00:00', '2026/11/24 12:06:00'])
    proc = _script('tools/summarize_runs.py', str(tmp_path / 'abl-im'),
                   '--format', 'csv')
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert len(rows) == 2 and len(rows[0]) == len(rows[1]) > 3
    assert 'OneDL' not in proc.stdout


@pytest.mark.parametrize('tool', [
    'infer.py', 'tools/train.py', 'tools/test.py',
    'tools/convert_checkpoint.py', 'tools/prepare_davis.py'
])
def test_help_stdout_has_no_library_banner(tool):
    proc = _script(tool, '--help')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith('usage:'), proc.stdout[:200]
    assert 'OneDL' not in proc.stdout
