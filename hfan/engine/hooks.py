"""Runner hooks: stop training on a non-finite loss with advice; write the
test predictions as mask files."""
import math

from mmengine.hooks import Hook
from mmseg.registry import HOOKS


@HOOKS.register_module()
class CheckFiniteLossHook(Hook):
    """Stop training when the loss becomes NaN or infinite.

    A diverged run otherwise keeps writing useless checkpoints. The error
    names the iteration and the usual fixes.

    Args:
        interval (int): Check every ``interval`` iterations. Default: 1.
    """

    priority = 'VERY_LOW'

    def __init__(self, interval: int = 1):
        self.interval = interval

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if outputs is None or not self.every_n_train_iters(
                runner, self.interval):
            return
        loss = outputs.get('loss')
        if loss is None:
            return
        value = float(loss.detach() if hasattr(loss, 'detach') else loss)
        if not math.isfinite(value):
            parts = ', '.join(f'{k}={float(v):.4g}' for k, v in outputs.items()
                              if k.startswith('loss') or 'loss' in k)
            raise RuntimeError(
                f'the training loss became {value} at iteration '
                f'{runner.iter + 1} ({parts}). Lower the learning rate '
                '(--cfg-options optim_wrapper.optimizer.lr=...), check the '
                'data (masks must be 0/1 or 0/255, flow images valid), or '
                'train without --amp; resume from the last good checkpoint '
                'with --resume.')


@HOOKS.register_module()
class WriteMasksHook(Hook):
    """Write each test prediction as ``infer.py`` does, for offline
    evaluation (``tools/eval_vos.py``).

    A prediction of frame ``<video>_<frame>`` (its flat file name) is
    written as ``OUT/<video>_<frame>.png`` (palette) and
    ``OUT-DAVIS-16/<video>/<frame>.png`` (0/255) by a
    :class:`~hfan.io.FrameWriter` (two writer threads).

    Args:
        out_dir (str): ``OUT`` above.
    """

    def __init__(self, out_dir: str):
        # hfan.io is imported here, not at the top: `import hfan` (which
        # registers this hook) stays light.
        from hfan.io import FrameWriter
        self.writer = FrameWriter(out_dir, save_prob=False, workers=2)

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None):
        from hfan.evaluation.io import split_flat_name
        for sample in outputs or []:
            video, frame = split_flat_name(sample.img_path)
            # (1, H, W) class map -> (H, W)
            mask = sample.pred_sem_seg.data.squeeze(0).cpu().numpy()
            self.writer.write(video, frame, mask)

    def after_test(self, runner):
        self.writer.close()
