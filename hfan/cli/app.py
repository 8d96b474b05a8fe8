"""``app.py``: serve the HFAN web app (Gradio) on this machine
(:func:`hfan.app.serve`)."""
import argparse
import os
import os.path as osp
import signal
import sys
from typing import List, Optional

from hfan.cli.arguments import add_device_arg
from hfan.cli.report import CLIError, run_cli
from hfan.utils.defaults import DEMO_CHECKPOINT, DEMO_CONFIG

PROG = 'app.py'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description='Serve the HFAN video segmentation web app (Gradio).',
        epilog='The config and checkpoint can also be changed in the app '
        '(dropdowns of local_configs/hfan/*.py and checkpoint/*.pth).')
    parser.add_argument('--config', default=DEMO_CONFIG,
                        help='config selected at start (default: the demo '
                        'model, local_configs/hfan/hfan_demo.py)')
    parser.add_argument('--checkpoint', default=DEMO_CHECKPOINT,
                        help='checkpoint selected at start (default: '
                        'checkpoint/hfan_demo.pth)')
    parser.add_argument('--host', default='127.0.0.1',
                        help='address to listen on (default: 127.0.0.1, '
                        'this machine only; 0.0.0.0 opens it to the network)')
    parser.add_argument('--port', type=int, default=7860,
                        help='port (default: 7860)')
    add_device_arg(parser)
    return parser


def _main(argv: Optional[List[str]]) -> int:
    # Before anything can import gradio: no usage analytics / version check.
    os.environ['GRADIO_ANALYTICS_ENABLED'] = 'False'
    args = build_parser().parse_args(argv)
    from hfan.app import require_gradio, serve
    require_gradio()
    for what, path in (('config', args.config),
                       ('checkpoint', args.checkpoint)):
        if not osp.isfile(path):
            hint = ''
            if what == 'checkpoint':
                hint = ('\n(the demo model: see tools/demo.py --help for how '
                        'to get or train it; or pass --checkpoint)')
            raise CLIError(f'{what} file {path} does not exist{hint}')
    # A service manager stops the app with SIGTERM: exit normally then, so
    # that the app's temporary work folder is removed (atexit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    serve(args.config, args.checkpoint, host=args.host, port=args.port,
          device=args.device)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Serve until stopped; 1 when Gradio, the model files or the port are
    missing."""
    return run_cli(_main, argv, 'tools/app.py')
