"""Evaluate an HFAN checkpoint on the config's test set (J / F).

Single process:  python tools/test.py CONFIG CHECKPOINT [--aug-test] [--out DIR]
Several GPUs:    bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [options]
(on a machine without GPUs dist_test.sh starts CPU processes on gloo).

The config's ``test_dataloader`` and ``test_evaluator`` (``VOSMetric``: the
DAVIS-16 protocol) run in mmengine's Runner, as MMSeg's tools/test.py does.
The checkpoint goes through :func:`hfan.models.checkpoint.load_hfan_checkpoint`,
strictly, so the released files (``HFAN-s-converted.pth``...) load as they
are and a checkpoint of another variant is refused with the keys listed.
"""
import argparse
import sys

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

import hfan  # noqa: F401  (registers the plugin)
from hfan.apis import load_config
from hfan.cli.arguments import (add_cfg_options, add_trust_checkpoint_arg, add_launcher_args, export_local_rank)
from hfan.utils.launch import (check_data_roots, configure_cpu_distributed, init_cpu_distributed, set_work_dir)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Evaluate an HFAN checkpoint with the config\'s test '
        'dataloader and evaluator (DAVIS-16 J/F).')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        'checkpoint',
        help='checkpoint: this project\'s or a released one (loaded '
        'strictly)')
    parser.add_argument(
        '--work-dir',
        help='where logs and the metrics JSON go (default: '
        './work_dirs/<config name>)')
    parser.add_argument(
        '--out',
        help='also write the predicted masks: DIR/<video>_<frame>.png '
        '(palette) and DIR-DAVIS-16/<video>/<frame>.png (0/255), as infer.py '
        'does, for offline evaluation (tools/eval_vos.py)')
    parser.add_argument(
        '--aug-test',
        '--tta',
        action='store_true',
        dest='aug_test',
        help='multi-scale + flip test: the config\'s tta_pipeline through '
        'MMSeg\'s SegTTAModel (softmax probabilities averaged)')
    add_trust_checkpoint_arg(parser)
    parser.add_argument(
        '--show-dir',
        help='save the frames painted with their predictions under this '
        'folder (SHOW_DIR/vis_data/vis_image/)')
    add_cfg_options(
        parser,
        help='override config values, e.g. davis_root=/data/DAVIS2SEG '
        'model.test_cfg.mode=whole (--options is the published spelling)')
    add_launcher_args(parser, 'dist_test.sh')
    args = parser.parse_args(argv)
    export_local_rank(args)
    return args


def build_config(args):
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    set_work_dir(cfg, args.work_dir, args.config)
    # The Runner's own loader is lenient (strict=False) and knows only this
    # project's key layout; main() loads the weights instead.
    cfg.load_from = None
    cfg.resume = False
    if args.show_dir:
        visualization = cfg.default_hooks.get('visualization')
        if visualization is None:
            raise RuntimeError('--show-dir needs default_hooks.visualization '
                               "(dict(type='SegVisualizationHook'))")
        visualization['draw'] = True
        cfg.visualizer['save_dir'] = args.show_dir
    if args.aug_test:
        if 'tta_pipeline' not in cfg:
            raise ValueError('--aug-test needs a tta_pipeline in the config')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        tta_model = cfg.get('tta_model') or dict(type='SegTTAModel')
        tta_model['module'] = cfg.model
        cfg.model = tta_model
    configure_cpu_distributed(cfg)
    return cfg


def segmentor_of(model):
    """The segmentor inside DDP and SegTTAModel wrappers."""
    if is_model_wrapper(model):
        model = model.module
    return getattr(model, 'module', model)


class WriteMasksHook(Hook):
    """Writes each test prediction as infer.py does (flat + archive)."""

    def __init__(self, out_dir: str):
        from hfan.io import FrameWriter
        self.writer = FrameWriter(out_dir, save_prob=False, workers=2)

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None):
        from hfan.evaluation.io import split_flat_name
        for sample in outputs or []:
            video, frame = split_flat_name(sample.img_path)
            mask = sample.pred_sem_seg.data.squeeze(0).cpu().numpy()
            self.writer.write(video, frame, mask)

    def after_test(self, runner):
        self.writer.close()


def main(argv=None):
    args = parse_args(argv)
    from hfan.models.checkpoint import check_checkpoint_file
    # missing, empty, not a checkpoint, truncated: refused before any work
    check_checkpoint_file(args.checkpoint)
    cfg = build_config(args)
    # Before the Runner prints its banner and builds the dataset.
    check_data_roots(cfg, ('test_dataloader', ))
    init_cpu_distributed(cfg.launcher)
    runner = Runner.from_cfg(cfg)
    from hfan.models.checkpoint import load_hfan_checkpoint
    load_hfan_checkpoint(segmentor_of(runner.model), args.checkpoint,
                         strict=True, trust=args.trust_checkpoint)
    if args.out:
        runner.register_hook(WriteMasksHook(args.out), priority='LOW')
    metrics = runner.test()
    if runner.rank == 0 and metrics:
        print(format_metrics(metrics))
    return metrics


def format_metrics(metrics: dict) -> str:
    """One line of the figures; VOSMetric's fractions shown x100."""
    from hfan.evaluation import METRIC_KEYS
    parts = []
    for key, value in metrics.items():
        if key.split('/')[-1] in METRIC_KEYS:
            value = 100 * value
        parts.append(f'{key}: {value:.1f}' if isinstance(value, float) else
                     f'{key}: {value}')
    return '  '.join(parts)


def cli(argv=None) -> int:
    """The command line: errors as one or two lines, exit status 1
    (``HFAN_DEBUG=1`` shows the traceback)."""
    from hfan.cli.report import run_cli
    return run_cli(main, argv, 'test.py')


if __name__ == '__main__':
    sys.exit(cli())
