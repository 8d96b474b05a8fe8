"""tools/gpu_check.sh runs end to end on a CPU (its smoke test)."""
import os
import subprocess

import cv2
from testkit import ROOT, synthetic_frame


def test_gpu_check_runs_on_the_cpu(tiny, tmp_path):
    frames = tmp_path / 'clip'
    frames.mkdir()
    for t in range(3):
        cv2.imwrite(str(frames / f'{t:05d}.jpg'), synthetic_frame(t))
    env = {**os.environ, 'HFAN_ONNX_CACHE': str(tmp_path / 'onnx')}
    proc = subprocess.run(
        ['bash', 'tools/gpu_check.sh', '--device', 'cpu', '--repeat', '1',
         '--agreement-frames', '2', '--frames', str(frames), '--configs',
         f'tiny={tiny[0]}:{tiny[1]}'],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    table = proc.stdout.splitlines()
    header = ('| model | weights | fp32 | fp16 | fp32 MS | fp16 MS | '
              'ORT fp32 | fp16=fp32 px |')
    assert header in table
    row = next(line for line in table if line.startswith('| tiny |'))
    cells = [c.strip() for c in row.strip('|').split('|')]
    assert cells[1] == os.path.basename(tiny[1])
    assert float(cells[2]) > 0 and float(cells[4]) > 0  # fp32, fp32 MS
    assert cells[3] == cells[5] == cells[7] == 'n/a'  # fp16 needs CUDA
