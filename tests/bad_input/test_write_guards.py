"""Outputs never overwrite inputs, and an output at or under a regular file
is refused before any work (issue 30).

Every tool that writes is pointed at one of its inputs (equal to an input
file, inside an input folder, or, for a dataset root, containing the
source root) and at a path blocked by a file. Each refusal is one
``<prog>: error:`` line naming both paths, and nothing is written or
changed: the md5 of every file under the test's folder, and the set of
its paths, are the same before and after.
"""
import hashlib
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from hfan.cli import (
    convert_checkpoint,
    eval_vos,
    eval_vsod,
    export_onnx,
    make_composite_videos,
    make_demo_clip,
    make_synthetic_videos,
    prepare_davis,
    prepare_fbms,
    prepare_long_videos,
    prepare_youtube,
    prepare_youtube_objects,
)


def snapshot(root):
    """Every path under ``root`` (folders too), files with their md5."""
    return {
        str(p.relative_to(root)):
        hashlib.md5(p.read_bytes()).hexdigest() if p.is_file() else 'dir'
        for p in Path(root).rglob('*')
    }


def error_line(capsys, prog):
    err = capsys.readouterr().err.strip()
    assert err.startswith(f'{prog}: error: ') and '\n' not in err, err
    assert 'Traceback' not in err
    return err


def refused(capsys, tmp_path, main, argv, status, prog, *named):
    """Run ``main(argv)``: it exits with ``status``, prints one error line
    naming every path of ``named``, and changes nothing under
    ``tmp_path``."""
    before = snapshot(tmp_path)
    capsys.readouterr()
    assert main([str(a) for a in argv]) == status
    err = error_line(capsys, prog)
    for path in named:
        assert str(path) in err, (path, err)
    assert snapshot(tmp_path) == before
    return err


# ---------------------------------------------------------------------------
# eval_vos.py / eval_vsod.py: --json / --csv
# ---------------------------------------------------------------------------
def square():
    m = np.zeros((24, 32), np.uint8)
    m[5:15, 6:20] = 255
    return m


@pytest.fixture
def masks(tmp_path):
    for video in ('cows', 'dog'):
        for t in range(4):
            for kind in ('gt', 'pred'):
                path = tmp_path / kind / video / f'{t:05d}.png'
                path.parent.mkdir(parents=True, exist_ok=True)
                assert cv2.imwrite(str(path), square())
    (tmp_path / 'seqs.txt').write_text('cows\ndog\n')
    return tmp_path


@pytest.mark.parametrize('main, prog', [
    (eval_vos.main, 'eval_vos.py'), (eval_vsod.main, 'eval_vsod.py')])
def test_evaluators_never_write_over_their_inputs(masks, capsys, main,
                                                  prog):
    pred, gt = masks / 'pred', masks / 'gt'
    base = [pred, gt, '--no-progress', '--workers', '1']
    gt_png = gt / 'cows' / '00001.png'
    # the reported case: --json on a ground-truth PNG (inside GT_DIR)
    err = refused(capsys, masks, main, base + ['--json', gt_png], 2, prog,
                  gt_png, gt)
    assert 'is a file in the GT_DIR' in err and 'overwrite an input' in err
    refused(capsys, masks, main, base + ['--csv', pred / 'res.csv'], 2,
            prog, pred / 'res.csv', pred)
    refused(capsys, masks, main, base + ['--json', gt], 2, prog, gt)
    seqs = masks / 'seqs.txt'
    err = refused(capsys, masks, main,
                  base + ['--sequences', seqs, '--csv', seqs], 2, prog, seqs)
    assert 'is the --sequences file' in err
    one = masks / 'res.txt'
    err = refused(capsys, masks, main,
                  base + ['--json', one, '--csv', one], 2, prog, one)
    assert 'are one file' in err
    (masks / 'afile').write_text('x')
    refused(capsys, masks, main,
            base + ['--json', masks / 'afile' / 'res.json'], 2, prog,
            masks / 'afile')
    # beside the inputs is fine
    assert main([str(a) for a in base + ['--json', masks / 'res.json']]) \
        == 0
    assert (masks / 'res.json').is_file()


def test_eval_vos_never_writes_over_its_class_map(masks, capsys):
    cmap = masks / 'classes.txt'
    cmap.write_text('cows cow\ndog dog\n')
    refused(capsys, masks, eval_vos.main,
            [masks / 'pred', masks / 'gt', '--no-progress', '--workers', '1',
             '--classes', cmap, '--json', cmap], 2, 'eval_vos.py', cmap)


# ---------------------------------------------------------------------------
# convert_checkpoint.py, export_onnx.py
# ---------------------------------------------------------------------------
def test_convert_checkpoint_keeps_existing_files_and_inputs(tiny, tmp_path,
                                                            capsys):
    src = tmp_path / 'model.pth'
    src.write_bytes(Path(tiny[1]).read_bytes())
    config = tmp_path / 'tiny.py'
    config.write_text(Path(tiny[0]).read_text())
    dst = tmp_path / 'released.pth'
    dst.write_bytes(b'an earlier release')
    prog = 'convert_checkpoint.py'
    err = refused(capsys, tmp_path, convert_checkpoint.main, [src, dst], 1,
                  prog, dst)
    assert '--overwrite' in err
    refused(capsys, tmp_path, convert_checkpoint.main,
            [src, config, '--config', config, '--overwrite'], 1, prog,
            config)
    (tmp_path / 'afile').write_text('x')
    refused(capsys, tmp_path, convert_checkpoint.main,
            [src, tmp_path / 'afile' / 'out.pth'], 1, prog,
            tmp_path / 'afile')
    # asked for: replaced, the source unchanged
    source = src.read_bytes()
    assert convert_checkpoint.main([str(src), str(dst), '--overwrite']) == 0
    assert 'state_dict' in torch.load(dst, weights_only=True)
    assert src.read_bytes() == source


def test_export_onnx_never_writes_over_its_inputs(tiny, tmp_path, capsys):
    ckpt = tmp_path / 'weights.onnx'  # a checkpoint the user named .onnx
    ckpt.write_bytes(Path(tiny[1]).read_bytes())
    frames = tmp_path / 'frames'
    frames.mkdir()
    for t in range(3):
        cv2.imwrite(str(frames / f'{t:05d}.jpg'),
                    np.full((32, 32, 3), 60 * t, np.uint8))
    prog = 'export_onnx.py'
    err = refused(capsys, tmp_path, export_onnx.main,
                  [tiny[0], ckpt, ckpt], 1, prog, ckpt)
    assert 'is the checkpoint' in err
    refused(capsys, tmp_path, export_onnx.main,
            [tiny[0], ckpt, frames / 'm.onnx', '--check-frames', frames], 1,
            prog, frames / 'm.onnx', frames)
    (tmp_path / 'afile').write_text('x')
    refused(capsys, tmp_path, export_onnx.main,
            [tiny[0], ckpt, tmp_path / 'afile' / 'm.onnx'], 1, prog,
            tmp_path / 'afile')


# ---------------------------------------------------------------------------
# the preparation tools: output root vs source root, output under a file
# ---------------------------------------------------------------------------
PREPARATION = [
    (prepare_davis, lambda src, out: [src, out]),
    (prepare_youtube, lambda src, out: [src, out]),
    (prepare_fbms, lambda src, out: [src, out]),
    (prepare_long_videos, lambda src, out: [src, out]),
    (prepare_youtube_objects, lambda src, out: [src, out]),
    (make_composite_videos, lambda src, out: [src, out, '--splits',
                                              'train:1']),
    (make_demo_clip, lambda src, out: [src, 'bear', '--out', out]),
]


@pytest.fixture
def source(tmp_path):
    """A source root with a frame and a mask in it."""
    root = tmp_path / 'src'
    for sub in ('JPEGImages/480p/bear', 'Annotations/480p/bear'):
        (root / sub).mkdir(parents=True)
    cv2.imwrite(str(root / 'JPEGImages/480p/bear/00000.jpg'),
                np.zeros((32, 32, 3), np.uint8))
    cv2.imwrite(str(root / 'Annotations/480p/bear/00000.png'),
                np.zeros((32, 32), np.uint8))
    return root


@pytest.mark.parametrize('module, argv', PREPARATION,
                         ids=[m.PROG for m, _ in PREPARATION])
def test_preparation_output_root_never_overlaps_the_source(
        module, argv, source, tmp_path, capsys):
    prog = module.PROG
    err = refused(capsys, tmp_path, module.main, argv(source, source), 1,
                  prog, source)
    assert 'overwrite the input' in err
    inside = source / 'JPEGImages' / 'out'
    err = refused(capsys, tmp_path, module.main, argv(source, inside), 1,
                  prog, inside, source)
    assert 'is inside' in err
    err = refused(capsys, tmp_path, module.main, argv(source, tmp_path), 1,
                  prog, tmp_path, source)
    assert 'contains' in err


@pytest.mark.parametrize(
    'module, argv',
    PREPARATION + [(make_synthetic_videos, lambda src, out: ['--out', out])],
    ids=[m.PROG for m, _ in PREPARATION] + ['make_synthetic_videos.py'])
def test_preparation_output_at_or_under_a_file(module, argv, source,
                                               tmp_path, capsys):
    blocker = tmp_path / 'afile'
    blocker.write_text('x')
    err = refused(capsys, tmp_path, module.main, argv(source, blocker), 1,
                  module.PROG, blocker)
    assert 'is a file, not a folder' in err
    err = refused(capsys, tmp_path, module.main,
                  argv(source, blocker / 'out' / 'deeper'), 1, module.PROG,
                  blocker / 'out' / 'deeper', blocker)
    assert 'cannot be created' in err


@pytest.mark.parametrize('kind', ['text', 'other keys', 'truncated'])
def test_prepare_davis_names_a_file_that_is_no_raft_checkpoint(
        kind, source, tmp_path, capsys):
    weights = tmp_path / 'raft.pth'
    if kind == 'text':
        weights.write_text('these are my notes\n')
    else:
        torch.save({'encoder.weight': torch.zeros(4, 4)}, weights)
        if kind == 'truncated':
            data = weights.read_bytes()
            weights.write_bytes(data[:len(data) // 2])
    out = tmp_path / 'out'
    err = refused(capsys, tmp_path, prepare_davis.main,
                  [source, out, '--flow', 'raft', '--raft-weights', weights],
                  1, 'prepare_davis.py', weights)
    assert 'not a RAFT checkpoint' in err or 'neither an original' in err
    assert 'raft-things.pth' in err and 'raft_large' in err
    assert 'fnet.conv1.weight' in err
    assert 'install' not in err  # not a missing package: a wrong file
    assert not os.path.exists(out)
