"""hfan.infer.run with keyword arguments / InferenceOptions: the same masks
as the infer.py command line, and the options' checks."""
import dataclasses
import os
import os.path as osp

import cv2
import pytest
from testkit import write_test_video

import infer
from hfan.cli.infer import parse_options
from hfan.infer import InferenceOptions, run

pytestmark = pytest.mark.usefixtures('one_torch_thread')

FRAMES = 5


def output_files(out):
    """``{(suffix, relative path): bytes}`` of the masks (suffix ''),
    archives ('-DAVIS-16') and probabilities ('-prob') written for ``out``,
    the run record included."""
    files = {}
    for suffix in ('', '-DAVIS-16', '-prob'):
        folder = f'{out}{suffix}'
        for parent, _, names in os.walk(folder):
            for name in names:
                path = osp.join(parent, name)
                with open(path, 'rb') as f:
                    files[suffix, osp.relpath(path, folder)] = f.read()
    return files


def test_run_with_keywords_writes_the_masks_of_the_command_line(
        tiny, tmp_path, capsys):
    video = tmp_path / 'clip.mp4'
    write_test_video(video, frames=FRAMES)
    config, checkpoint = tiny
    cli_out, api_out = tmp_path / 'cli', tmp_path / 'api'
    assert infer.main([
        '--config', config, '--checkpoint', checkpoint, '--input',
        str(video), '--output_dir', str(cli_out), '--device', 'cpu',
        '--overlay', 'none', '--save-prob', '--workers', '1',
        '--no-progress'
    ]) == 0
    assert f'Segmented {FRAMES} frames' in capsys.readouterr().out
    stats = run(config=config, checkpoint=checkpoint, input=str(video),
                output_dir=str(api_out), device='cpu', overlay='none',
                save_prob=True, workers=1, progress=False)
    assert capsys.readouterr().out == ''  # the library prints nothing
    assert stats['frames'] == stats['total'] == FRAMES
    assert stats['videos'] == ['clip']
    assert stats['archive_dir'] == f'{api_out}-DAVIS-16'
    cli, api = output_files(cli_out), output_files(api_out)
    # masks, archives, probabilities and the run record (same settings)
    assert len(cli) == 3 * FRAMES + 1
    assert cli.keys() == api.keys()
    for name in cli:
        assert cli[name] == api[name], name
    archive = cv2.imread(osp.join(f'{api_out}-DAVIS-16', 'clip', '00002.png'),
                         cv2.IMREAD_UNCHANGED)
    assert 0 < (archive == 255).sum() < archive.size  # not a trivial mask
    # the run record of one is the other's: the command resumes the
    # library's output with nothing left to do
    assert infer.main([
        '--config', config, '--checkpoint', checkpoint, '--input',
        str(video), '--output_dir', str(api_out), '--device', 'cpu',
        '--overlay', 'none', '--save-prob', '--no-progress'
    ]) == 0
    assert (f'{FRAMES} of {FRAMES} were already written'
            in capsys.readouterr().out)


def test_options_and_keywords_together(tiny, tmp_path):
    """Keywords replace the options' fields; the options are not changed."""
    video = tmp_path / 'clip.mp4'
    write_test_video(video, frames=3)
    options = InferenceOptions(*tiny, output_dir=str(tmp_path / 'out'),
                               input=str(video), device='cpu',
                               overlay='none', max_frames=1)
    stats = run(options, max_frames=2, workers=0, progress=False)
    assert stats['frames'] == 2 and options.max_frames == 1
    assert sorted(os.listdir(tmp_path / 'out-DAVIS-16' / 'clip')) == [
        '00000.png', '00001.png']


def test_unknown_and_missing_keywords_are_type_errors(tmp_path):
    with pytest.raises(TypeError) as info:
        run(config='c.py', checkpoint='w.pth', output_dir=str(tmp_path),
            output='x')
    message = str(info.value)
    assert "'output'" in message
    for field in dataclasses.fields(InferenceOptions):
        assert field.name in message
    with pytest.raises(TypeError, match='checkpoint, output_dir'):
        run(config='c.py')
    with pytest.raises(TypeError, match='InferenceOptions'):
        run({'config': 'c.py'})


def test_defaults_are_those_of_the_command_line():
    options, args = parse_options(['--config', 'c.py', '--checkpoint',
                                   'w.pth', '--output_dir', 'out'])
    assert options == InferenceOptions('c.py', 'w.pth', 'out')
    assert not args.no_progress
    # one field per option, --no-progress aside (run's progress)
    names = {f.name for f in dataclasses.fields(InferenceOptions)}
    assert names == set(vars(args)) - {'no_progress'}


@pytest.mark.parametrize('values, message', [
    (dict(batch_size=0), 'batch_size must be >= 1'),
    (dict(model_workers=0), 'model_workers must be >= 1 (leave it out for '
     'the default), got 0'),
    (dict(max_frames=-1), 'max_frames must be >= 1'),
    (dict(max_frames=0), 'max_frames must be >= 1 (leave it out for no'),
    (dict(fps=0), 'fps must be a finite number > 0, got 0'),
    (dict(fps=float('nan')), 'fps must be a finite number > 0, got nan'),
    (dict(fps=float('inf')), 'fps must be a finite number > 0, got inf'),
    (dict(fps=-5.0), 'fps must be a finite number > 0, got -5.0'),
    (dict(gif_max_frames=0), 'gif_max_frames must be >= 1'),
    (dict(flow='farneback'), "flow must be one of ['dis', 'raft']"),
    (dict(overlay='avi'),
     "overlay must be one of [None, 'mp4', 'webm', 'gif', 'none']"),
    (dict(cpu_bf16=True), "cpu_bf16 must be one of ['auto', 'on', 'off']"),
    (dict(backend='tensorrt'), "backend must be one of ['torch', "),
    (dict(onnx='m.onnx'), "onnx is read by backend='onnxruntime' only"),
    (dict(backend='onnxruntime', fp16=True),
     "use backend='torch' with fp16=True"),
    (dict(backend='onnxruntime', cpu_bf16='on'),
     "cpu_bf16='on' runs the PyTorch forward under autocast"),
])
def test_values_a_run_cannot_use_are_refused(values, message):
    with pytest.raises(ValueError) as info:
        InferenceOptions('c.py', 'w.pth', 'out', **values)
    assert message in str(info.value)
    options = InferenceOptions('c.py', 'w.pth', 'out')
    with pytest.raises(ValueError):  # replace checks again
        dataclasses.replace(options, **values)


def test_command_line_names_its_options_in_the_same_checks(capsys):
    with pytest.raises(SystemExit) as info:
        parse_options(['--config', 'c.py', '--checkpoint', 'w.pth',
                       '--output_dir', 'out', '--backend', 'onnxruntime',
                       '--fp16'])
    assert info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        'infer.py: error: --fp16 runs the PyTorch forward under CUDA '
        'autocast; --backend onnxruntime runs the float32 graph: use '
        '--backend torch with --fp16')


def test_one_input_path_is_a_list_of_one():
    assert InferenceOptions('c.py', 'w.pth', 'out',
                            input='clip.mp4').input == ['clip.mp4']
