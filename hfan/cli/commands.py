"""The commands and their console scripts: ``hfan-<name>`` runs
``hfan.cli.<module>:main``. ``setup.py`` reads this file without importing
the package, so it holds plain data only."""

#: console-script name -> module of :mod:`hfan.cli` (each has ``main``);
#: ``tools/<module>.py`` (and ``infer.py`` for ``infer``) are the same
#: commands from a checkout.
COMMANDS = {
    # segment and look
    'hfan-infer': 'infer',
    'hfan-demo': 'demo',
    'hfan-app': 'app',
    'hfan-export-onnx': 'export_onnx',
    'hfan-gpu-check': 'gpu_check',
    # train, test, checkpoints
    'hfan-train': 'train',
    'hfan-test': 'test',
    'hfan-convert-checkpoint': 'convert_checkpoint',
    'hfan-count-params': 'count_params',
    # evaluate
    'hfan-eval-vos': 'eval_vos',
    'hfan-eval-vsod': 'eval_vsod',
    'hfan-summarize-runs': 'summarize_runs',
    'hfan-davis-videos': 'davis_videos',
    'hfan-compare-masks': 'compare_masks',
    'hfan-visualize-ablation': 'visualize_ablation',
    'hfan-visualize-features': 'visualize_features',
    # prepare data
    'hfan-prepare-davis': 'prepare_davis',
    'hfan-prepare-youtube': 'prepare_youtube',
    'hfan-prepare-fbms': 'prepare_fbms',
    'hfan-prepare-youtube-objects': 'prepare_youtube_objects',
    'hfan-prepare-long-videos': 'prepare_long_videos',
    'hfan-make-synthetic-videos': 'make_synthetic_videos',
    'hfan-make-composite-videos': 'make_composite_videos',
    'hfan-make-distractor-composites': 'make_distractor_composites',
    'hfan-make-demo-clip': 'make_demo_clip',
    'hfan-prepare-cutouts': 'prepare_cutouts',
    # measure
    'hfan-benchmark': 'benchmark',
    'hfan-benchmark-user-path': 'benchmark_user_path',
    'hfan-benchmark-memory': 'benchmark_memory',
    'hfan-benchmark-eval': 'benchmark_eval',
    'hfan-benchmark-flow': 'benchmark_flow',
    'hfan-benchmark-dataloader': 'benchmark_dataloader',
}


def console_scripts():
    """``setup.py``'s ``entry_points['console_scripts']``."""
    return [f'{name} = hfan.cli.{module}:main'
            for name, module in COMMANDS.items()]
