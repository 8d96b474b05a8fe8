"""Training hooks: stop on a non-finite loss with advice."""
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
        value = float(loss.detach()) if hasattr(loss, "detach") else float(loss)
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
