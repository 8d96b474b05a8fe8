"""The command line of the project: argument parsing, error reporting and
the entry points. Nothing else in :mod:`hfan` parses arguments, prints
usage or exits; the library takes keyword arguments and raises.

Every command is a module here with ``main(argv=None) -> int`` (its exit
status), run through :func:`~hfan.cli.report.run_cli`, which turns an
exception into one ``<prog>: error: <message>`` line. The files in
``tools/`` and ``infer.py`` only call these ``main`` functions, and
``setup.py`` installs them as ``hfan-*`` console scripts
(:mod:`hfan.cli.commands`).

Shared:
    report         run_cli: how every command reports a problem
    arguments      options several commands share (--cfg-options,
                   --trust-checkpoint, --launcher, --flow, --overlay,
                   --device)
    commands       the console scripts and their modules
    _evaluation    what eval_vos and eval_vsod share
    _preparation   what the prepare_* / make_* commands share

Segment and look:
    infer, demo, app, export_onnx, gpu_check
Train, test, checkpoints:
    train, test, convert_checkpoint, count_params
Evaluate and compare:
    eval_vos, eval_vsod, summarize_runs, davis_videos,
    visualize_ablation, visualize_features
Prepare data:
    prepare_davis, prepare_youtube, prepare_fbms, prepare_youtube_objects,
    prepare_long_videos, make_synthetic_videos, make_composite_videos,
    make_demo_clip, prepare_cutouts, make_distractor_composites
Measure:
    benchmark, benchmark_user_path, benchmark_memory, benchmark_eval,
    benchmark_flow, benchmark_dataloader
"""
