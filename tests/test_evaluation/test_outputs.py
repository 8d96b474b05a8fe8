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


def test_an_input_or_a_path_inside_an_input_folder_is_refused(tmp_path):
    gt = tmp_path / 'gt'
    (gt / 'cows').mkdir(parents=True)
    png = gt / 'cows' / '00000.png'
    png.write_bytes(b'a ground-truth mask')
    seqs = tmp_path / 'val.txt'
    seqs.write_text('cows\n')
    (tmp_path / 'link.json').symlink_to(seqs)
    inputs = [('GT_DIR', str(gt)), ('--sequences file', str(seqs))]
    with pytest.raises(ValueError, match=f'--json {png} is a file in the '
                       f'GT_DIR {gt}: writing there would overwrite'):
        check_output_path(str(png), '--json', inputs)
    with pytest.raises(ValueError, match='is inside the GT_DIR'):
        check_output_path(str(gt / 'new' / 'res.json'), '--json', inputs)
    for spelling in (seqs, tmp_path / 'gt' / '..' / 'val.txt',
                     tmp_path / 'link.json'):
        with pytest.raises(ValueError, match='is the --sequences file'):
            check_output_path(str(spelling), '--csv', inputs)
    check_output_path(str(tmp_path / 'res.json'), '--json', inputs)
    assert png.read_bytes() == b'a ground-truth mask'
    assert seqs.read_text() == 'cows\n'
