"""Every config builds, runs a forward and a training step with mmcv's
compiled ops unimportable.

The default install (tools/install.sh) builds onedl-mmcv without its C++
extension. These tests make `mmcv._ext` unimportable even where it is
installed (the --with-ops install), so a future module that needs the ops
fails here instead of in a user's run.
"""
import glob
import os.path as osp
import subprocess
import sys
import textwrap

import pytest
from testkit import ROOT

CONFIGS = sorted(
    c for c in glob.glob(osp.join(ROOT, 'local_configs', '**', '*.py'),
                         recursive=True) if '_base_' not in c)

# Runs in a fresh interpreter: `mmcv._ext` must be blocked before anything
# imports mmcv.
SCRIPT = textwrap.dedent('''
    import sys

    # As if the extension were not built: importing it raises
    # ModuleNotFoundError and importlib.util.find_spec gives None (what
    # mmengine checks), even where the --with-ops wheel is installed.
    sys.modules['mmcv._ext'] = None

    import torch
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    import hfan  # noqa: F401
    from hfan.apis import load_config
    from mmseg.registry import MODELS
    sys.path.insert(0, sys.argv[1])
    from testkit.models import make_batch

    try:
        import mmcv._ext  # noqa: F401
    except ModuleNotFoundError:
        pass
    else:
        raise SystemExit('mmcv._ext was importable')
    torch.manual_seed(0)
    for path in sys.argv[2:]:
        cfg = load_config(path)
        init_default_scope(cfg.default_scope)
        cfg.model.data_preprocessor.size = (64, 64)
        # No ImageNet file here: the weights stay random.
        cfg.model.backbone.backbone.init_cfg = None
        model = MODELS.build(cfg.model)
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
        model.train()
        before = [p.detach().clone() for p in model.parameters()]
        losses = model.train_step(make_batch(batch=2), optim)
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        assert torch.isfinite(loss), (path, losses)
        changed = sum(not torch.equal(a, p.detach())
                      for a, p in zip(before, model.parameters()))
        assert changed > 0, path
        model.eval()
        with torch.no_grad():
            out = model.test_step(make_batch(batch=1, seed=1))
        assert out[0].pred_sem_seg.data.shape == (1, 64, 64), path
        print('ok', path, flush=True)
''')


def run_without_ops(configs):
    return subprocess.run(
        [sys.executable, '-c', SCRIPT, osp.join(ROOT, 'tests'), *configs],
        capture_output=True, text=True, cwd=ROOT, timeout=900)


def test_every_config_trains_and_tests_without_mmcv_ops():
    assert len(CONFIGS) >= 13
    proc = run_without_ops(CONFIGS)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count('ok ') == len(CONFIGS)


def test_a_module_that_needs_mmcv_ops_fails_the_check(tmp_path):
    """The check can fail: a config whose head imports an mmcv op."""
    config = tmp_path / 'needs_ops.py'
    config.write_text(textwrap.dedent(f'''
        _base_ = [{osp.join(ROOT, 'tests/configs/hfan_tiny.py')!r}]
        custom_imports = dict(imports=['hfan', 'needs_ops_module'],
                              allow_failed_imports=False)
    '''))
    (tmp_path / 'needs_ops_module.py').write_text(
        'from mmcv.ops import roi_align  # noqa: F401\n')
    proc = subprocess.run(
        [sys.executable, '-c', SCRIPT, osp.join(ROOT, 'tests'), str(config)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**__import__('os').environ, 'PYTHONPATH': str(tmp_path)})
    assert proc.returncode != 0
    assert 'ModuleNotFoundError' in proc.stderr
    assert 'mmcv._ext' in proc.stderr


@pytest.mark.parametrize('stream', ['stdout', 'stderr'])
def test_import_hfan_prints_no_mmcv_ops_warning(stream):
    proc = subprocess.run([sys.executable, '-c', 'import hfan'],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert 'MultiScaleDeformableAttention' not in getattr(proc, stream)
