"""The command line of the project: argument parsing, error reporting and
the entry points. Nothing else in :mod:`hfan` parses arguments, prints
usage or exits; the library takes keyword arguments and raises.

Every command is a module here with ``main(argv=None) -> int`` (its exit
status), run through :func:`~hfan.cli.report.run_cli`, which turns an
exception into one ``<prog>: error: <message>`` line. The files in
``tools/`` and ``infer.py`` only call these ``main`` functions, and
``setup.py`` installs them as ``hfan-*`` console scripts.

    report      run_cli: how every command reports a problem
    arguments   the options several commands share (--cfg-options,
                --trust-checkpoint, --launcher, --flow, --overlay, --device)
"""
