"""A test-only hook: each rank saves its parameters after training."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS


@HOOKS.register_module()
class SaveRankParametersHook(Hook):

    def after_run(self, runner):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        params = {k: v.detach().clone() for k, v in model.named_parameters()}
        torch.save(params,
                   osp.join(runner.work_dir, f'params_rank{get_rank()}.pt'))
