"""The command line's layout: every script in ``tools/`` and ``infer.py`` is
a shim of a command in :mod:`hfan.cli`, every command has a console script,
and the installed scripts run those commands."""
import ast
import glob
import importlib
import importlib.metadata
import os.path as osp
import subprocess
import sysconfig

import cv2
import numpy as np
import pytest
from testkit import ROOT

from hfan.cli.commands import COMMANDS

SHIMS = sorted(glob.glob(osp.join(ROOT, 'tools', '*.py'))) + [
    osp.join(ROOT, 'infer.py')
]


def shim_target(path):
    """The ``hfan.cli`` module whose ``main`` the script imports, and the
    script's top-level statements other than imports, its docstring and
    the ``if __name__ == '__main__'`` block."""
    tree = ast.parse(open(path).read(), path)
    targets, other = [], []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and \
                node.module.startswith('hfan.cli.'):
            assert [a.name for a in node.names] == ['main'], path
            targets.append(node.module[len('hfan.cli.'):])
        elif isinstance(node, (ast.Import, ast.ImportFrom, ast.If)) or (
                isinstance(node, ast.Expr)
                and isinstance(node.value, ast.Constant)):
            continue
        else:
            other.append(ast.dump(node)[:80])
    return targets, other


@pytest.mark.parametrize('path', SHIMS, ids=osp.basename)
def test_every_script_is_a_shim_of_one_command(path):
    targets, other = shim_target(path)
    assert len(targets) == 1, f'{path} imports main from {targets}'
    assert not other, f'{path} holds code of its own: {other}'
    assert targets[0] in COMMANDS.values(), (
        f'{path} runs hfan.cli.{targets[0]}, which has no console script')


def test_every_command_has_a_script_in_the_checkout():
    shimmed = {shim_target(p)[0][0] for p in SHIMS}
    assert set(COMMANDS.values()) == shimmed
    assert len(set(COMMANDS.values())) == len(COMMANDS)
    assert all(name.startswith('hfan-') and '_' not in name
               for name in COMMANDS)


def test_installed_console_scripts_are_the_commands():
    # ``pip install -e .`` (tools/install.sh) registers them from setup.py
    dist = importlib.metadata.distribution('hfan')
    installed = {
        ep.name: ep.value
        for ep in dist.entry_points if ep.group == 'console_scripts'
    }
    assert installed == {
        name: f'hfan.cli.{module}:main'
        for name, module in COMMANDS.items()
    }


@pytest.mark.parametrize('module', sorted(set(COMMANDS.values())))
def test_every_command_prints_its_help(module, capsys):
    command = importlib.import_module(f'hfan.cli.{module}')
    with pytest.raises(SystemExit) as exit_:
        command.main(['--help'])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith('usage:'), out[:200]


def test_console_script_reports_a_missing_input_in_one_line(tmp_path):
    # the script ``pip install`` wrote beside this Python
    script = osp.join(sysconfig.get_path('scripts'), 'hfan-eval-vos')
    gt = tmp_path / 'gt' / 'clip'
    gt.mkdir(parents=True)
    cv2.imwrite(str(gt / '00000.png'), np.zeros((4, 6), np.uint8))
    missing = tmp_path / 'no-such-masks'
    proc = subprocess.run([script, str(missing), str(gt.parent)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    error = proc.stderr.strip().splitlines()[-1]
    assert 'error:' in error and str(missing) in error, proc.stderr
    assert 'Traceback' not in proc.stderr
