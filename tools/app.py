"""Serve the HFAN web app (Gradio) on this machine.

    python tools/app.py                      # the demo model, 127.0.0.1:7860
    python tools/app.py \
        --config local_configs/hfan/hfan.small.512x512.refine.py \
        --checkpoint checkpoint/HFAN-s-converted.pth --port 8080

Open the printed URL in a browser, upload a video, press Segment: the overlay
video and a zip of the masks come back. Runs offline (no analytics, no web
fonts, no share link). Needs Gradio: ``pip install --no-deps -r
requirements/app.txt`` (see that file for why --no-deps).
"""
import argparse
import os
import os.path as osp
import signal
import sys

# Before anything can import gradio: no usage analytics / version check.
os.environ['GRADIO_ANALYTICS_ENABLED'] = 'False'


def parse_args(argv=None):
    from hfan.app import DEFAULT_CHECKPOINT, DEFAULT_CONFIG
    parser = argparse.ArgumentParser(
        description='Serve the HFAN video segmentation web app (Gradio).',
        epilog='The config and checkpoint can also be changed in the app '
        '(dropdowns of local_configs/hfan/*.py and checkpoint/*.pth).')
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='config selected at start (default: the demo '
                        'model, local_configs/hfan/hfan_demo.py)')
    parser.add_argument('--checkpoint', default=DEFAULT_CHECKPOINT,
                        help='checkpoint selected at start (default: '
                        'checkpoint/hfan_demo.pth)')
    parser.add_argument('--host', default='127.0.0.1',
                        help='address to listen on (default: 127.0.0.1, '
                        'this machine only; 0.0.0.0 opens it to the network)')
    parser.add_argument('--port', type=int, default=7860,
                        help='port (default: 7860)')
    parser.add_argument('--device', default=None,
                        help='cpu, cuda, cuda:1... (default: cuda:0 if '
                        'available, else cpu)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import importlib.util
    if importlib.util.find_spec('gradio') is None:
        print('tools/app.py: error: Gradio is not installed. Install it with\n'
              '    pip install --no-deps -r requirements/app.txt',
              file=sys.stderr)
        return 1
    for what, path in (('config', args.config),
                       ('checkpoint', args.checkpoint)):
        if not osp.isfile(path):
            hint = ''
            if what == 'checkpoint':
                hint = ('\n(the demo model: see tools/demo.py --help for how '
                        'to get or train it; or pass --checkpoint)')
            print(f'tools/app.py: error: {what} file {path} does not exist'
                  f'{hint}', file=sys.stderr)
            return 1
    device = args.device
    if device is None:
        import torch
        device = 'cuda:0' if torch.cuda.is_available() else 'cpu'
    from hfan.app import launch

    # A service manager stops the app with SIGTERM: exit normally then, so
    # that the app's temporary work folder is removed (atexit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        launch(args.config, args.checkpoint, host=args.host, port=args.port,
               device=device, block=True)
    except OSError as err:  # e.g. the port is taken
        print(f'tools/app.py: error: cannot serve on {args.host}:'
              f'{args.port}: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
