"""Print the parameter counts of HFAN configs, per component.

    python tools/count_params.py local_configs/hfan/hfan.small.512x512.refine.py [...]
    python tools/count_params.py CONFIG --json counts.json
"""
import argparse
import json
import os.path as osp

from hfan.cli.arguments import add_cfg_options
from mmengine.registry import init_default_scope

import hfan  # noqa: F401
from hfan.apis import load_config
from mmseg.registry import MODELS


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def count_model(cfg) -> dict:
    """Learnable parameters of the model built from ``cfg``, by component."""
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = cfg.model.copy()
    model_cfg.pop('pretrained', None)
    model = MODELS.build(model_cfg)
    head = model.decode_head
    return dict(
        total=count(model),
        backbone=count(model.backbone),
        head=count(head),
        fusions=[count(f) for f in head.fusions],
        projections=count(head.projections),
        fusion_conv=count(head.fusion_conv),
        classifier=count(head.conv_seg))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+', help='config files')
    parser.add_argument('--json', help='also write the counts to this file')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    results = {}
    for path in args.configs:
        counts = count_model(load_config(path, args.cfg_options))
        results[path] = counts
        print(f'{osp.basename(path)}')
        for key in ('total', 'backbone', 'head', 'projections', 'fusion_conv',
                    'classifier'):
            print(f'  {key:<12} {counts[key]:>12,}')
        print('  fusions      ' + ' / '.join(f'{n:,}' for n in counts['fusions']))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=2)


if __name__ == '__main__':
    main()
