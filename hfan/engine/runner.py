"""mmengine's Runner with every checkpoint it loads read weights-only.

mmengine reads ``load_from`` and the checkpoint it resumes from with
``torch.load(weights_only=True)`` first, but falls back to a full
unpickling (which runs whatever code the file carries, e.g. planted in its
``meta``) when that fails, with no more than a warning. This Runner reads
them with :func:`hfan.models.checkpoint.read_checkpoint` instead: mmengine's
own checkpoints (weights, optimizer and scheduler state, the message hub,
numpy values in ``meta``) load as before, anything else is refused with
:class:`~hfan.models.checkpoint.UntrustedCheckpointError` unless
``trust_checkpoint`` is set.
"""
from typing import Callable, Union

from mmengine.model import is_model_wrapper
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from hfan.models.checkpoint import read_checkpoint


@RUNNERS.register_module()
class WeightsOnlyRunner(Runner):
    """A ``Runner`` whose ``load_checkpoint`` (which ``resume`` and
    ``load_or_resume`` call for ``load_from`` and for resuming) reads the
    file weights-only.

    ``tools/train.py`` builds it with ``WeightsOnlyRunner.from_cfg(cfg,
    trust_checkpoint=...)``; a config may name it for MMSeg's own
    tools/train.py with ``runner_type = 'WeightsOnlyRunner'``.
    """

    #: allow a checkpoint that needs a full unpickling (``--trust-checkpoint``)
    trust_checkpoint = False

    @classmethod
    def from_cfg(cls, cfg, trust_checkpoint: bool = False) -> Runner:
        runner = super().from_cfg(cfg)
        runner.trust_checkpoint = trust_checkpoint
        return runner

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys=((r'^module.', ''), )):
        """``Runner.load_checkpoint`` (mmengine 0.10) with the file read by
        :func:`read_checkpoint` (a local file, weights-only unless
        trusted) instead of mmengine's loader, which falls back to a full
        unpickling."""
        checkpoint = read_checkpoint(filename, map_location,
                                     trust=self.trust_checkpoint)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        checkpoint = _load_checkpoint_to_model(
            model, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename} (weights-only'
                         + (', trusted' if self.trust_checkpoint else '')
                         + ')')
        return checkpoint
