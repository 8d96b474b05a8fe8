"""ONNX export and the ONNX Runtime backend on a tiny planted model."""
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
import torch
from testkit import load_tool, synthetic_frame

import infer
from hfan.apis import VideoSegmenter
from hfan.deploy import (
    OnnxRuntimeLogits,
    export_onnx,
    onnxruntime_available,
    read_onnx_metadata,
)
from hfan.deploy.onnx_export import LogitsGraph, model_digest

pytestmark = pytest.mark.skipif(not onnxruntime_available(),
                                reason='onnxruntime is not installed')


@pytest.fixture(autouse=True)
def onnx_cache(tmp_path, monkeypatch):
    """Exports of the backend go to a temporary cache."""
    monkeypatch.setenv('HFAN_ONNX_CACHE', str(tmp_path / 'onnx-cache'))


@pytest.fixture(scope='module')
def torch_segmenter(tiny):
    return VideoSegmenter(*tiny, cpu_bf16=False)


@pytest.fixture(scope='module')
def exported(torch_segmenter, tmp_path_factory):
    folder = tmp_path_factory.mktemp('onnx')
    plain = str(folder / 'tiny.onnx')
    shared = str(folder / 'tiny_shared.onnx')
    export_onnx(torch_segmenter.model, plain, example_size=(64, 64))
    export_onnx(torch_segmenter.model, shared, example_size=(64, 64),
                shared_frames=True)
    return plain, shared


def normalised_inputs(batch=2, size=(96, 128), seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 6, *size, generator=g)


@pytest.mark.parametrize('which', [0, 1], ids=['6-channel', 'shared-frames'])
def test_onnx_runtime_gives_the_pytorch_logits(torch_segmenter, exported,
                                               which):
    """Dynamic batch and size: another size than the export's, and a
    repeated frame (both flow directions)."""
    model = torch_segmenter.model
    runtime = OnnxRuntimeLogits(exported[which], model_digest(model))
    assert runtime.shared_frames == bool(which)
    x = normalised_inputs(batch=3)
    x[1, :3] = x[0, :3]
    with torch.no_grad():
        expected = LogitsGraph(model)(x)
    got = runtime(x)
    assert got.shape == expected.shape == (3, 2, 24, 32)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-4)


def test_metadata_records_opset_and_weights(torch_segmenter, exported):
    meta = read_onnx_metadata(exported[0])
    assert meta['opset'] == '17'
    assert meta['model_sha256'] == model_digest(torch_segmenter.model)
    assert meta['num_classes'] == '2' and meta['output_stride'] == '4'
    assert np.allclose(eval(meta['mean']), [123.675, 116.28, 103.53] * 2)


def test_an_export_of_other_weights_is_refused(torch_segmenter, exported):
    model = torch_segmenter.model
    saved = {k: v.clone() for k, v in model.state_dict().items()}
    digest = model_digest(model)
    with torch.no_grad():
        model.decode_head.conv_seg.bias.add_(1)
    try:
        with pytest.raises(ValueError, match='exported from other weights'):
            OnnxRuntimeLogits(exported[0], model_digest(model))
    finally:
        model.load_state_dict(saved)
    assert model_digest(model) == digest


def test_a_foreign_graph_is_refused(tmp_path):
    path = str(tmp_path / 'linear.onnx')
    torch.onnx.export(torch.nn.Linear(4, 2), (torch.zeros(1, 4), ), path,
                      dynamo=False, input_names=['x'], output_names=['y'])
    with pytest.raises(ValueError, match='is not an HFAN logits graph'):
        OnnxRuntimeLogits(path)
    (tmp_path / 'junk.onnx').write_bytes(b'not a model')
    with pytest.raises(ValueError, match='junk.onnx is not an ONNX model'):
        OnnxRuntimeLogits(str(tmp_path / 'junk.onnx'))
    with pytest.raises(FileNotFoundError, match='missing.onnx'):
        OnnxRuntimeLogits(str(tmp_path / 'missing.onnx'))


def test_a_fixed_size_graph_refuses_other_sizes(torch_segmenter, tmp_path):
    path = str(tmp_path / 'fixed.onnx')
    torch.onnx.export(LogitsGraph(torch_segmenter.model).eval(),
                      (torch.zeros(1, 6, 64, 64), ), path, dynamo=False,
                      input_names=['inputs'], output_names=['logits'])
    runtime = OnnxRuntimeLogits(path)
    assert runtime(normalised_inputs(1, (64, 64))).shape == (1, 2, 16, 16)
    with pytest.raises(ValueError, match='exported for inputs of 64x64 but '
                       'the test pipeline gives 96x128'):
        runtime(normalised_inputs(1, (96, 128)))


def test_missing_onnxruntime_is_named(monkeypatch, exported):
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    assert not onnxruntime_available()
    with pytest.raises(ImportError, match='pip install onnxruntime==1.32.0'):
        OnnxRuntimeLogits(exported[0])


def frames(n=4):
    return [synthetic_frame(t) for t in range(n)]


@pytest.mark.parametrize('options', [
    {},
    {'model.test_cfg': dict(mode='slide', crop_size=(32, 32),
                            stride=(16, 16))},
], ids=['whole', 'slide'])
def test_backend_masks_equal_pytorch(tiny, options):
    """The same probabilities (to float32 rounding) through VideoSegmenter,
    in whole and sliding-window mode, with both flow directions."""
    kwargs = dict(cfg_options=options, cpu_bf16=False,
                  flow_directions='both')
    ref = list(VideoSegmenter(*tiny, **kwargs).segment_video(frames()))
    ort_seg = VideoSegmenter(*tiny, backend='onnxruntime', **kwargs)
    assert ort_seg.model.logits_runtime.shared_frames
    got = list(ort_seg.segment_video(frames()))
    for (t1, m1, p1), (t2, m2, p2) in zip(ref, got):
        assert t1 == t2
        np.testing.assert_allclose(p2, p1, rtol=0, atol=1e-4)
        assert (m1 == m2).mean() > 0.999


def test_backend_with_the_multi_scale_test(tiny):
    frame, other = frames(2)
    flow = np.zeros(frame.shape[:2] + (2, ), np.float32)
    flow[..., 0] = 2
    ref = VideoSegmenter(*tiny, aug_test=True, cpu_bf16=False)
    got = VideoSegmenter(*tiny, aug_test=True, backend='onnxruntime')
    np.testing.assert_allclose(
        got.segment_pair(frame, flow)[1], ref.segment_pair(frame, flow)[1],
        rtol=0, atol=1e-4)


def test_backend_refuses_what_it_cannot_run(tiny, exported):
    with pytest.raises(ValueError, match='fp16 runs the PyTorch forward'):
        VideoSegmenter(*tiny, backend='onnxruntime', fp16=True,
                       device='cpu')
    with pytest.raises(ValueError, match="unknown backend 'tensorrt'"):
        VideoSegmenter(*tiny, backend='tensorrt')
    with pytest.raises(ValueError, match="backend='onnxruntime'"):
        VideoSegmenter(*tiny, onnx_file=exported[0])


@pytest.fixture(scope='module')
def frame_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp('ort_clip') / 'walk'
    folder.mkdir()
    for t, frame in enumerate(frames(5)):
        cv2.imwrite(str(folder / f'{t:03d}.png'), frame)
    return str(folder)


def run(tiny, folder, out, *extra):
    return infer.main([
        '--config', tiny[0], '--checkpoint', tiny[1], '--input', folder,
        '--output_dir', str(out), '--device', 'cpu', '--no-progress',
        '--workers', '1', '--overlay', 'none', *extra
    ])


def test_infer_backend_onnxruntime(tiny, frame_folder, tmp_path, capsys):
    assert run(tiny, frame_folder, tmp_path / 'torch') == 0
    assert run(tiny, frame_folder, tmp_path / 'ort', '--backend',
               'onnxruntime') == 0
    assert 'model: onnxruntime fp32' in capsys.readouterr().out
    for t in range(5):
        a = cv2.imread(str(tmp_path / f'torch-DAVIS-16/walk/{t:05d}.png'), 0)
        b = cv2.imread(str(tmp_path / f'ort-DAVIS-16/walk/{t:05d}.png'), 0)
        assert (a == b).mean() > 0.999


def test_infer_refuses_bad_backend_options(tiny, frame_folder, exported,
                                           tmp_path, capsys):
    with pytest.raises(SystemExit):
        run(tiny, frame_folder, tmp_path / 'a', '--onnx', exported[0])
    assert '--onnx is read by --backend onnxruntime only' in \
        capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(tiny, frame_folder, tmp_path / 'b', '--backend', 'onnxruntime',
            '--cpu-bf16', 'on')
    assert 'runs the float32 graph' in capsys.readouterr().err
    other = tmp_path / 'other.pth'
    state = torch.load(tiny[1], weights_only=True)
    sd = state['state_dict'] if 'state_dict' in state else state
    for key, value in sd.items():
        if value.is_floating_point():
            sd[key] = value * 0.5
    torch.save(state, other)
    assert run((tiny[0], str(other)), frame_folder, tmp_path / 'c',
               '--backend', 'onnxruntime', '--onnx', exported[0]) == 1
    assert 'exported from other weights' in capsys.readouterr().err
    assert not (tmp_path / 'a').exists() and not (tmp_path / 'c').exists()


def test_export_tool_checks_against_pytorch(tiny, frame_folder, tmp_path,
                                            capsys):
    tool = load_tool('export_onnx')
    out = str(tmp_path / 'exported' / 'tiny.onnx')
    assert tool.main([tiny[0], tiny[1], out, '--check-frames',
                      frame_folder]) == 0
    printed = capsys.readouterr().out
    assert f'Wrote {out} (opset 17' in printed
    assert 'Checked on 3 frames' in printed
    assert osp.isfile(out)
    assert read_onnx_metadata(out)['checkpoint'] == osp.basename(tiny[1])
    with pytest.raises(SystemExit):
        tool.main([tiny[0], tiny[1], str(tmp_path / 'tiny.txt')])
    assert 'must end in .onnx' in capsys.readouterr().err


def test_export_and_check_reports_the_comparison(tiny, frame_folder,
                                                 tmp_path):
    from hfan.deploy.check import CHECK_FRAMES, export_and_check
    from hfan.utils.digests import file_sha256
    out = str(tmp_path / 'tiny.onnx')
    check = export_and_check(*tiny, out, frames_dir=frame_folder,
                             shared_frames=True)
    assert check.out == out and check.frames_dir == frame_folder
    assert check.inputs == CHECK_FRAMES
    assert check.input_shape[:2] == [1, 6]
    assert check.max_abs_diff <= 1e-4 * max(1.0, check.max_abs_logit)
    assert check.class_agreement > 0.99
    meta = read_onnx_metadata(out)
    assert meta['checkpoint_sha256'] == file_sha256(tiny[1])
    assert meta['config'] == osp.basename(tiny[0])
    # relative to the largest |logit| above 1, absolute below
    check.max_abs_logit = 0.5
    assert check.allowed_difference(1e-3) == pytest.approx(1e-3)
    check.max_abs_logit = 20.0
    assert check.allowed_difference(1e-3) == pytest.approx(2e-2)
