"""The one convert loop (hfan/preparation/convert.py): complete videos
skipped, the others converted, stale temporary files cleared."""
import os
import subprocess
import sys

from hfan.preparation.convert import ConvertStats, convert_videos
from hfan.utils.atomic_io import atomic_write_bytes, remove_stale_tmp


def test_tmp_files_of_killed_runs_are_removed(tmp_path):
    out = tmp_path / 'DAVIS2SEG'
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    stale = out / 'flow/train' / f'.bear_00000.jpg.{dead.pid}.hfantmp.jpg'
    live = out / 'flow/train' / f'.bear_00001.jpg.{os.getpid()}.hfantmp.jpg'
    for p in (stale, live):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b'half')
    assert remove_stale_tmp(str(out)) == 1
    assert not stale.exists() and live.exists()


def test_only_incomplete_videos_are_converted(tmp_path):
    out = tmp_path / 'out'
    (out / 'b.txt').parent.mkdir(parents=True)
    (out / 'b.txt').write_text('done')
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    stale = out / f'.c.txt.{dead.pid}.hfantmp.txt'
    stale.write_text('half')
    seen, plans = [], []

    def convert(name, estimator):
        seen.append(name)
        assert callable(estimator)  # the DIS estimator, built once
        atomic_write_bytes(str(out / f'{name}.txt'), b'x')
        return 2 if name == 'a' else 1

    stats = convert_videos(['a', 'b', 'c'], convert,
                           lambda name: (out / f'{name}.txt').exists(),
                           str(out), flow_kwargs={'preset': 'ultrafast'},
                           progress=False, on_plan=plans.append)
    assert seen == ['a', 'c']
    assert stats == ConvertStats(videos=3, skipped=1, files=3)
    assert plans == [stats] and plans[0].files == 3  # the same object
    assert not stale.exists()
    assert sorted(os.listdir(out)) == ['a.txt', 'b.txt', 'c.txt']
