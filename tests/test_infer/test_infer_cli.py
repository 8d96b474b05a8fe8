"""infer.py and VideoSegmenter on tiny synthetic videos (CPU, MiT-b0)."""
import argparse
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmseg.registry import MODELS
from PIL import Image
from testkit import (
    NAMES,
    ROOT,
    SIZE,
    archive_path,
    read_pair,
    run_infer,
    save_tiny_checkpoint,
    write_tiny_config,
)

import infer
from hfan.apis.inference import VideoSegmenter

# every test here runs tiny models: one torch thread (see conftest)
pytestmark = pytest.mark.usefixtures('one_torch_thread')

@pytest.fixture(scope='session')
def segmenter(tiny):
    return VideoSegmenter(*tiny)


def all_files(folder):
    return sorted(
        osp.relpath(osp.join(p, n), folder) for p, _, names in os.walk(folder)
        for n in names)


def test_infer_writes_flat_archive_and_prob(tiny, vos_root, tmp_path,
                                            capsys):
    out = tmp_path / 'masks'
    assert run_infer(tiny, vos_root, out, '--save-prob') == 0
    assert 'frames/s' in capsys.readouterr().out
    assert all_files(out) == ['.hfan_infer.json'] + [n + '.png' for n in NAMES]
    assert all_files(f'{out}-DAVIS-16') == [
        osp.join(*n.rsplit('_', 1)) + '.png' for n in NAMES
    ]
    assert len(all_files(f'{out}-prob')) == len(NAMES)
    for name in NAMES:
        flat = Image.open(out / f'{name}.png')
        assert flat.mode == 'P' and flat.size == SIZE[::-1]
        assert flat.getpalette()[:6] == [0, 0, 0, 255, 0, 0]
        red = np.asarray(flat.convert('RGB'))[..., 0]
        assert set(np.unique(red)) <= {0, 255}
        archive = cv2.imread(archive_path(out, name), cv2.IMREAD_UNCHANGED)
        assert archive.shape == SIZE and archive.dtype == np.uint8
        assert set(np.unique(archive)) <= {0, 255}
        # The published archive(): red channel of the painted mask >= 127.
        np.testing.assert_array_equal(archive, (red >= 127) * 255)
        video, frame = name.rsplit('_', 1)
        prob = cv2.imread(
            osp.join(f'{out}-prob', video, frame + '.png'),
            cv2.IMREAD_UNCHANGED)
        assert prob.shape == SIZE and prob.dtype == np.uint8
        # argmax of two classes == probability of the object above 1/2
        assert np.all(prob[archive == 255] >= 127)
        assert np.all(prob[archive == 0] <= 128)


def test_segment_pair_equals_infer_output(tiny, segmenter, vos_root,
                                          tmp_path):
    out = tmp_path / 'masks'
    assert run_infer(tiny, vos_root, out, '--save-prob') == 0
    for name in (NAMES[0], NAMES[5]):
        mask, prob = segmenter.segment_pair(*read_pair(vos_root, name))
        assert mask.shape == prob.shape == SIZE
        assert mask.dtype == np.uint8 and prob.dtype == np.float32
        assert 0 < mask.sum() < mask.size  # a non-trivial mask is compared
        archive = cv2.imread(archive_path(out, name), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(mask * 255, archive)
        video, frame = name.rsplit('_', 1)
        saved = cv2.imread(osp.join(f'{out}-prob', video, frame + '.png'),
                           cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(np.rint(prob * 255), saved)


def test_segment_batch_and_video_agree_with_pairs(segmenter, vos_root):
    pairs = [read_pair(vos_root, n) for n in NAMES[:4]]
    single = [segmenter.segment_pair(*p) for p in pairs]
    masks, probs = segmenter.segment_batch([p[0] for p in pairs],
                                           [p[1] for p in pairs])
    streamed = list(
        segmenter.segment_video([p[0] for p in pairs], [p[1] for p in pairs],
                                batch_size=3, skip=lambda t: t == 1))
    assert [t for t, _, _ in streamed] == [0, 2, 3]
    for (mask, prob), batch_prob in zip(single, probs):
        np.testing.assert_allclose(batch_prob, prob, atol=1e-5)
    for t, _, prob in streamed:
        np.testing.assert_allclose(prob, single[t][1], atol=1e-5)


def test_segment_video_computes_flow(segmenter, vos_root):
    frames = [
        osp.join(vos_root, 'frame', 'val', n + '.jpg') for n in NAMES[:4]
    ]
    results = list(
        segmenter.segment_video(frames, load=cv2.imread,
                                skip=lambda t: t == 2))
    assert [t for t, _, _ in results] == [0, 1, 3]
    for _, mask, prob in results:
        assert mask.shape == prob.shape == SIZE
    # Given the flow images the DIS flows make (t -> t+1, last t -> t-1),
    # the same masks come out.
    from hfan.flow import build_flow_estimator, flow_to_bgr
    dis = build_flow_estimator('dis')
    images = [cv2.imread(f) for f in frames]
    flow3 = flow_to_bgr(dis(images[3], images[2]))
    mask3, prob3 = segmenter.segment_pair(images[3], flow3)
    np.testing.assert_allclose(results[-1][2], prob3, atol=1e-6)


def test_aug_test_matches_mmseg_tta_model(tiny, segmenter, vos_root,
                                          tmp_path):
    out = tmp_path / 'masks'
    assert run_infer(tiny, vos_root, out, '--aug-test', '--max-frames',
                     '3') == 0
    for name in NAMES[:3]:
        archive = cv2.imread(archive_path(out, name), cv2.IMREAD_UNCHANGED)
        assert archive.shape == SIZE
    # The merge is MMSeg's SegTTAModel: same mask from its test_step.
    tta = VideoSegmenter(*tiny, aug_test=True)
    frame, flow = read_pair(vos_root, NAMES[2])
    mask, prob = tta.segment_pair(frame, flow)
    prepared = tta.prepare(frame, flow)
    assert len(prepared['inputs']) == 6  # 3 ratios x (no flip, flip)
    for sample in prepared['data_samples']:
        sample.set_metainfo(dict(img_path=NAMES[2] + '.jpg'))
    reference = MODELS.build(dict(type='SegTTAModel', module=tta.model))
    with torch.no_grad():
        merged = reference.test_step(
            dict(inputs=[[x] for x in prepared['inputs']],
                 data_samples=[[s] for s in prepared['data_samples']]))
    np.testing.assert_array_equal(mask, merged[0].pred_sem_seg.data[0])
    archive = cv2.imread(archive_path(out, NAMES[2]), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(mask * 255, archive)
    # and it is not the single-scale result
    assert not np.allclose(prob, segmenter.segment_pair(frame, flow)[1])


def _dead_pid() -> int:
    """The pid of a process that has exited (a killed writer's)."""
    child = subprocess.Popen([sys.executable, '-c', 'pass'])
    child.wait()
    return child.pid


def test_max_frames_counts_across_videos(tiny, vos_root, tmp_path):
    """One stream over the videos: the budget runs on into the second
    video and stops there; a resume takes the next missing frame."""
    out = tmp_path / 'masks'
    assert run_infer(tiny, vos_root, out, '--max-frames', '6') == 0
    assert [n for n in NAMES if (out / f'{n}.png').exists()] == NAMES[:6]
    assert run_infer(tiny, vos_root, out, '--max-frames', '1') == 0
    assert [n for n in NAMES if (out / f'{n}.png').exists()] == NAMES[:7]


def test_resume_finishes_only_missing_frames(tiny, vos_root, tmp_path,
                                             capsys):
    out = tmp_path / 'masks'
    assert run_infer(tiny, vos_root, out, '--max-frames', '3') == 0
    done = [n for n in NAMES if (out / f'{n}.png').exists()]
    assert done == NAMES[:3]
    # A run killed mid-frame: one output of frame 2 missing, temporaries
    # (named as hfan.utils.atomic_io names them, with the pid of a process
    # that no longer runs) left behind.
    os.remove(archive_path(out, NAMES[2]))
    dead = _dead_pid()
    stale = [
        out / f'.{NAMES[3]}.png.{dead}.hfantmp.png',
        osp.join(f'{out}-DAVIS-16', 'video0',
                 f'.00003.png.{dead}.hfantmp.png')
    ]
    for path in stale:
        with open(path, 'wb') as f:
            f.write(b'\x89PNG truncated')
    kept = {n: os.stat(out / f'{n}.png').st_mtime_ns for n in NAMES[:2]}
    kept.update({
        n + '/archive': os.stat(archive_path(out, n)).st_mtime_ns
        for n in NAMES[:2]
    })
    capsys.readouterr()
    assert run_infer(tiny, vos_root, out) == 0
    assert '2 of 8 were already written' in capsys.readouterr().out
    for name in NAMES[:2]:
        assert os.stat(out / f'{name}.png').st_mtime_ns == kept[name]
        assert (os.stat(archive_path(out, name)).st_mtime_ns ==
                kept[name + '/archive'])
    for name in NAMES:
        assert osp.isfile(archive_path(out, name))
    files = all_files(out) + all_files(f'{out}-DAVIS-16')
    assert not [f for f in files if '.hfantmp' in f]
    assert len(files) == 2 * len(NAMES) + 1  # + the settings record
    # Resuming with other settings is refused, nothing is touched.
    mtimes = {f: os.stat(out / f).st_mtime_ns for f in all_files(out)}
    assert run_infer(tiny, vos_root, out, '--aug-test') == 1
    assert 'other settings' in capsys.readouterr().err
    assert mtimes == {f: os.stat(out / f).st_mtime_ns for f in all_files(out)}


def test_slide_mode(tiny, segmenter, vos_root):
    assert segmenter.test_mode == 'slide'  # the refine config's windows
    frame, flow = read_pair(vos_root, NAMES[1])
    mask, prob = segmenter.segment_pair(frame, flow)
    # 512x512 windows cover the 128x96 input at once: the same as whole.
    whole = VideoSegmenter(
        *tiny, cfg_options={'model.test_cfg': dict(mode='whole')})
    np.testing.assert_array_equal(whole.segment_pair(frame, flow)[1], prob)
    small = VideoSegmenter(
        *tiny,
        cfg_options={
            'model.test_cfg':
            dict(mode='slide', crop_size=(64, 64), stride=(32, 32))
        })
    mask_small, prob_small = small.segment_pair(frame, flow)
    assert mask_small.shape == prob_small.shape == SIZE
    assert not np.allclose(prob_small, prob)  # 6 windows, not one


def test_fp16_on_cpu_is_refused(tiny, vos_root, tmp_path, capsys):
    with pytest.raises(ValueError, match='CUDA'):
        VideoSegmenter(*tiny, fp16=True, device='cpu')
    assert run_infer(tiny, vos_root, tmp_path / 'out', '--fp16') == 1
    assert 'CUDA' in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()


def test_checkpoint_of_another_variant_lists_keys(tiny, vos_root, tmp_path,
                                                  capsys):
    config = write_tiny_config(tmp_path / 'tiny_im.py', select_method='im')
    other = save_tiny_checkpoint(config, tmp_path / 'im.pth')
    assert run_infer((tiny[0], other), vos_root, tmp_path / 'out') == 1
    err = capsys.readouterr().err
    assert 'missing in the checkpoint' in err
    assert 'decode_head.fusions.0.alignment.object_pred.conv.weight' in err
    assert "select_method='hfan'" in err
    assert not (tmp_path / 'out').exists()


def test_missing_flow_and_empty_input(tiny, vos_root, tmp_path, capsys):
    flow = osp.join(vos_root, 'flow', 'val', NAMES[3] + '.jpg')
    os.remove(flow)
    assert run_infer(tiny, vos_root, tmp_path / 'out') == 1
    assert flow in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()

    empty = tmp_path / 'empty'
    os.makedirs(empty / 'frame' / 'val')
    os.makedirs(empty / 'flow' / 'val')
    assert run_infer(tiny, str(empty), tmp_path / 'out') == 1
    assert 'no *.jpg frames' in capsys.readouterr().err
    assert run_infer(tiny, str(tmp_path / 'nowhere'), tmp_path / 'out') == 1
    assert 'does not exist' in capsys.readouterr().err


def test_missing_config_exit_code(tiny, vos_root, tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'infer.py'), '--config',
            str(tmp_path / 'no_such_config.py'), '--checkpoint', tiny[1],
            '--input', vos_root, '--output_dir',
            str(tmp_path / 'out')
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 1
    assert 'no_such_config.py does not exist' in proc.stderr
    assert not (tmp_path / 'out').exists()


def test_default_input_is_the_config_test_set(tiny, vos_root, tmp_path):
    config, checkpoint = tiny
    assert infer.main([
        '--config', config, '--checkpoint', checkpoint, '--output_dir',
        str(tmp_path / 'out'), '--no-progress', '--max-frames', '1',
        '--options', f'davis_root={vos_root}'
    ]) == 0
    assert all_files(tmp_path / 'out')[1:] == [NAMES[0] + '.png']


def test_split_batch_size_and_overwrite(tiny, segmenter, vos_root, tmp_path):
    """--split picks the 2SEG split (train frames differ from val ones);
    --batch-size 3 writes the same masks as one frame at a time; a rerun
    rewrites nothing, --overwrite rewrites every mask with the same bytes."""
    one, three = tmp_path / 'one', tmp_path / 'three'
    assert run_infer(tiny, vos_root, one, '--split', 'train') == 0
    assert run_infer(tiny, vos_root, three, '--split', 'train',
                     '--batch-size', '3') == 0
    for name in NAMES:
        a = cv2.imread(archive_path(one, name), cv2.IMREAD_UNCHANGED)
        b = cv2.imread(archive_path(three, name), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(a, b)
        frame = cv2.imread(osp.join(vos_root, 'frame', 'train', name + '.jpg'))
        flow = cv2.imread(osp.join(vos_root, 'flow', 'train', name + '.jpg'))
        mask, _ = segmenter.segment_pair(frame, flow)  # the train pair
        np.testing.assert_array_equal(a, mask.astype(np.uint8) * 255)
    stamps = {n: os.stat(archive_path(one, n)).st_mtime_ns for n in NAMES}
    contents = {n: open(archive_path(one, n), 'rb').read() for n in NAMES}
    assert run_infer(tiny, vos_root, one, '--split', 'train') == 0
    assert {n: os.stat(archive_path(one, n)).st_mtime_ns
            for n in NAMES} == stamps
    assert run_infer(tiny, vos_root, one, '--split', 'train',
                     '--overwrite') == 0
    for n in NAMES:
        assert os.stat(archive_path(one, n)).st_mtime_ns != stamps[n]
        assert open(archive_path(one, n), 'rb').read() == contents[n]


def test_checkpoint_needing_full_unpickling_needs_trust(tiny, segmenter,
                                                        vos_root, tmp_path,
                                                        capsys):
    """A checkpoint holding a pickled Python object (here an
    argparse.Namespace in its meta) is refused by infer.py, naming the file
    and the way out; with --trust-checkpoint it loads and gives the same
    masks as the weights-only file."""
    config, checkpoint = tiny
    odd = str(tmp_path / 'odd.pth')
    state = torch.load(checkpoint, weights_only=True)
    state['meta'] = {'args': argparse.Namespace(lr=1)}
    torch.save(state, odd)
    assert run_infer((config, odd), vos_root, tmp_path / 'refused') == 1
    err = capsys.readouterr().err
    assert odd in err and '--trust-checkpoint' in err
    assert not (tmp_path / 'refused').exists()
    with pytest.warns(UserWarning, match='trusted'):
        assert run_infer((config, odd), vos_root, tmp_path / 'trusted',
                         '--trust-checkpoint') == 0
    for name in NAMES:
        frame, flow = read_pair(vos_root, name)
        mask, _ = segmenter.segment_pair(frame, flow)
        written = cv2.imread(archive_path(tmp_path / 'trusted', name),
                             cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(written, mask.astype(np.uint8) * 255)
