"""Training-run folders as mmengine writes them, for summarize_runs.py."""
from mmengine.config import Config
from mmengine.visualization import LocalVisBackend


def write_run(work_dir, stamp, method, vals, log_times):
    """One run part: validations ``{step: J_mean}`` (F = J - 0.1), the
    variant in the dumped config, a log with the given time stamps."""
    run = work_dir / stamp
    backend = LocalVisBackend(save_dir=str(run / 'vis_data'))
    backend.add_config(Config(dict(model=dict(decode_head=dict(
        type='HFANHead', select_method=method)))))
    backend.add_scalars(dict(loss=0.7, lr=1e-4), step=10)
    for step, j in vals.items():
        backend.add_scalars(dict(loss=0.5, lr=1e-4), step=step - 10)
        backend.add_scalars(dict(J_mean=j, J_recall=1.0, F_mean=j - 0.1,
                                 F_recall=0.5, JF_mean=j - 0.05), step=step)
    backend.close()
    (run / f'{stamp}.log').write_text(''.join(
        f'{t} - mmengine - INFO - Iter(train) [ 10/100]  loss: 0.5\n'
        'a continuation line without a time stamp\n' for t in log_times))
