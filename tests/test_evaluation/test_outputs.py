"""hfan.evaluation.outputs: output paths refused before any work."""
import os

import pytest

from hfan.evaluation.outputs import STDOUT, check_output_path


def test_no_output_and_stdout_pass(tmp_path):
    check_output_path(None, '--json')
    check_output_path(STDOUT, '--json')
    assert os.listdir(tmp_path) == []


def test_writable_paths_pass_without_creating_anything(tmp_path):
    check_output_path(str(tmp_path / 'res.json'), '--json')
    # missing folders are fine: the atomic writer creates them
    check_output_path(str(tmp_path / 'a' / 'b' / 'res.csv'), '--csv')
    (tmp_path / 'old.json').write_text('{}')
    check_output_path(str(tmp_path / 'old.json'), '--json')  # overwritten
    assert sorted(os.listdir(tmp_path)) == ['old.json']


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match=f'--csv {tmp_path} is a folder'):
        check_output_path(str(tmp_path), '--csv')


def test_a_path_under_a_file_is_refused(tmp_path):
    (tmp_path / 'afile').write_text('x')
    path = tmp_path / 'afile' / 'deeper' / 'res.json'
    with pytest.raises(ValueError) as info:
        check_output_path(str(path), '--json')
    assert str(info.value) == (f'--json {path} cannot be written: '
                               f'{tmp_path / "afile"} is a file, not a '
                               'folder')


@pytest.mark.skipif(os.geteuid() == 0, reason='root may write anywhere')
def test_a_read_only_folder_is_refused(tmp_path):
    locked = tmp_path / 'locked'
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ValueError, match='no write permission in'):
            check_output_path(str(locked / 'res.json'), '--json')
    finally:
        locked.chmod(0o700)
