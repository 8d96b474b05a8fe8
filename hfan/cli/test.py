"""``tools/test.py``: evaluate an HFAN checkpoint on the config's test set
(J / F) in mmengine's Runner, as MMSeg's tools/test.py does; the setup is
:mod:`hfan.apis.testing`."""
import argparse
from typing import Dict

from mmengine.dist import get_rank

from hfan.apis import load_config
from hfan.apis.launch import check_data_roots, init_cpu_distributed
from hfan.apis.testing import evaluate_checkpoint, prepare_test_config
from hfan.cli.arguments import (
    add_cfg_options,
    add_launcher_args,
    add_trust_checkpoint_arg,
    export_local_rank,
)
from hfan.cli.report import run_cli
from hfan.evaluation import METRIC_KEYS
from hfan.models.checkpoint import check_checkpoint_file


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='test.py',
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
    return parser


def format_metrics(metrics: Dict[str, float]) -> str:
    """One line of the figures; VOSMetric's fractions shown x100."""
    parts = []
    for key, value in metrics.items():
        if key.split('/')[-1] in METRIC_KEYS:
            value = 100 * value
        parts.append(f'{key}: {value:.1f}' if isinstance(value, float) else
                     f'{key}: {value}')
    return '  '.join(parts)


def _main(argv=None) -> Dict[str, float]:
    args = build_parser().parse_args(argv)
    export_local_rank(args)
    # missing, empty, not a checkpoint, truncated: refused before any work
    check_checkpoint_file(args.checkpoint)
    cfg = load_config(args.config, args.cfg_options)
    prepare_test_config(
        cfg,
        config_path=args.config,
        work_dir=args.work_dir,
        launcher=args.launcher,
        show_dir=args.show_dir,
        aug_test=args.aug_test)
    # Before the Runner prints its banner and builds the dataset.
    check_data_roots(cfg, ('test_dataloader', ))
    init_cpu_distributed(cfg.launcher)
    metrics = evaluate_checkpoint(
        cfg,
        args.checkpoint,
        out_dir=args.out,
        trust_checkpoint=args.trust_checkpoint)
    if get_rank() == 0 and metrics:
        print(format_metrics(metrics))
    return metrics


def main(argv=None) -> int:
    """Evaluate and print the figures; errors as one or two lines, exit
    status 1 (``HFAN_DEBUG=1`` shows the traceback), 2 for a usage
    error."""
    return run_cli(_main, argv, 'test.py')
