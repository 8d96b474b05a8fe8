"""``tools/count_params.py``: print the parameter counts of HFAN configs,
per component (:func:`hfan.apis.model.count_model`)."""
import argparse
import json
import os.path as osp

from hfan.apis import load_config
from hfan.apis.model import count_model
from hfan.cli.arguments import add_cfg_options
from hfan.cli.report import run_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='count_params.py',
        description='Print the parameter counts of HFAN configs, per '
        'component.')
    parser.add_argument('configs', nargs='+', help='config files')
    parser.add_argument('--json', help='also write the counts to this file')
    add_cfg_options(parser)
    return parser


def _main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    results = {}
    for path in args.configs:
        counts = count_model(load_config(path, args.cfg_options))
        results[path] = counts
        print(f'{osp.basename(path)}')
        for key in ('total', 'backbone', 'head', 'projections', 'fusion_conv',
                    'classifier'):
            print(f'  {key:<12} {counts[key]:>12,}')
        print('  fusions      ' +
              ' / '.join(f'{n:,}' for n in counts['fusions']))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=2)


def main(argv=None) -> int:
    """Print the counts; errors as one or two lines, exit status 1."""
    return run_cli(_main, argv, 'count_params.py')
