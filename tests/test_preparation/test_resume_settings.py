"""A preparation resumes only with the settings it started with
(hfan/preparation/settings.py): the record in the output root, the refusal
of other settings (naming each change and how to start fresh, nothing
written), and the skip of finished videos with the same settings."""
import hashlib
import json
from pathlib import Path

import pytest

from hfan.cli import (
    make_composite_videos,
    make_synthetic_videos,
    prepare_davis,
)
from hfan.preparation.settings import (
    SETTINGS_FILE,
    SettingsMismatchError,
    check_settings,
)


def digests(root):
    """md5 of every file under ``root`` (the record included)."""
    return {
        str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest()
        for p in Path(root).rglob('*') if p.is_file()
    }


def synthetic(out, *args, splits=('train:1', 'val:1')):
    return make_synthetic_videos.main(
        ['--out', str(out), '--splits', *splits, '--frames', '3',
         '--no-progress'] + [str(a) for a in args])


def error_line(capsys, prog):
    err = capsys.readouterr().err.strip()
    assert err.startswith(f'{prog}: error: ') and '\n' not in err, err
    return err


@pytest.fixture(scope='module')
def davis(tmp_path_factory):
    """A DAVIS download of three 3-frame videos (32x48)."""
    root = tmp_path_factory.mktemp('src') / 'DAVIS'
    assert synthetic(root, '--layout', 'davis', '--size', '32x48',
                     splits=('train:2', 'val:1')) == 0
    return root


def run_davis(davis, out, *args):
    return prepare_davis.main([str(davis), str(out), '--no-progress'] +
                              [str(a) for a in args])


def test_davis_rerun_with_other_settings_is_refused(davis, tmp_path,
                                                    capsys):
    out = tmp_path / 'DAVIS2SEG'
    assert run_davis(davis, out, '--dis-preset', 'ultrafast') == 0
    record = json.loads((out / SETTINGS_FILE).read_text())['settings']
    assert record == {'flow': 'dis', 'dis_preset': 'ultrafast',
                      'jpeg_quality': 95, 'raw_flow': None,
                      'resolution': '480p', 'year': '2016'}
    before = digests(out)
    source = digests(davis)
    for args, change in (
        (['--dis-preset', 'fast'], "dis_preset 'ultrafast' -> 'fast'"),
        (['--dis-preset', 'ultrafast', '--jpeg-quality', '80'],
         'jpeg_quality 95 -> 80'),
        (['--dis-preset', 'ultrafast', '--save-raw-flow', 'npy'],
         "raw_flow None -> 'npy'"),
        (['--dis-preset', 'ultrafast', '--resolution', 'Full-Resolution'],
         "resolution '480p' -> 'Full-Resolution'"),
    ):
        capsys.readouterr()
        assert run_davis(davis, out, *args) == 1
        err = error_line(capsys, 'prepare_davis.py')
        assert change in err and str(out) in err
        assert 'another output folder' in err and f'delete {out}' in err
        assert digests(out) == before  # nothing written, record kept
    assert digests(davis) == source
    # the same settings: every video skipped, nothing rewritten
    capsys.readouterr()
    assert run_davis(davis, out, '--dis-preset', 'ultrafast') == 0
    assert '3 videos (3 already complete), 0 files' in capsys.readouterr().err
    assert digests(out) == before


def test_synthetic_rerun_with_another_size_is_refused(tmp_path, capsys):
    out = tmp_path / 'SYN'
    assert synthetic(out, '--size', '32x48', '--dis-preset',
                     'ultrafast') == 0
    before = digests(out)
    capsys.readouterr()
    assert synthetic(out, '--size', '48x48', '--dis-preset',
                     'ultrafast') == 1
    err = error_line(capsys, 'make_synthetic_videos.py')
    assert 'height 32 -> 48' in err and 'width' not in err
    assert synthetic(out, '--size', '32x48', '--dis-preset', 'ultrafast',
                     '--seed', '3', '--frames', '4') == 1
    err = error_line(capsys, 'make_synthetic_videos.py')
    assert 'seed 0 -> 3' in err and 'num_frames 3 -> 4' in err
    assert digests(out) == before
    # extending a split with the same settings adds videos, keeps the rest
    assert make_synthetic_videos.main(
        ['--out', str(out), '--splits', 'train:2', 'val:1', '--frames', '3',
         '--size', '32x48', '--dis-preset', 'ultrafast',
         '--no-progress']) == 0
    after = digests(out)
    assert {k: after[k] for k in before} == before
    assert any('syn-train-0001' in k for k in after)


def test_composite_rerun_with_another_seed_is_refused(davis, tmp_path,
                                                      capsys):
    src = tmp_path / 'SRC'
    assert run_davis(davis, src, '--dis-preset', 'ultrafast') == 0
    out = tmp_path / 'CMP'

    def composite(*args):
        return make_composite_videos.main(
            [str(src), str(out), '--splits', 'train:1', '--frames', '2',
             '--dis-preset', 'ultrafast', '--no-progress'] +
            [str(a) for a in args])

    assert composite() == 0
    before = digests(out)
    capsys.readouterr()
    assert composite('--seed', '1') == 1
    assert 'seed 0 -> 1' in error_line(capsys, 'make_composite_videos.py')
    assert digests(out) == before


def test_a_record_alone_takes_new_settings(tmp_path):
    out = tmp_path / 'OUT'
    out.mkdir()
    record = out / SETTINGS_FILE
    record.write_text(json.dumps(
        {'settings': {'flow': 'dis', 'dis_preset': 'fast'}}))
    # no video was written under the old settings: nothing to mix with
    check_settings(str(out), {'flow': 'dis', 'dis_preset': 'medium'})
    (out / 'frame').mkdir()
    with pytest.raises(SettingsMismatchError,
                       match="dis_preset 'fast' -> 'medium'"):
        check_settings(str(out), {'flow': 'dis', 'dis_preset': 'medium'})
    # settings only one run has are not compared (another tool's keys)
    check_settings(str(out), {'flow': 'dis', 'dis_preset': 'fast',
                              'seed': 4})


def test_a_broken_record_is_named(tmp_path):
    from hfan.preparation.sources import PrepareError
    out = tmp_path / 'OUT'
    out.mkdir()
    (out / SETTINGS_FILE).write_text('{"settings": ')
    with pytest.raises(PrepareError, match=SETTINGS_FILE):
        check_settings(str(out), {'flow': 'dis'})
    (out / SETTINGS_FILE).write_text('[1, 2]')
    with pytest.raises(PrepareError, match='not a settings record'):
        check_settings(str(out), {'flow': 'dis'})
