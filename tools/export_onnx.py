"""Export an HFAN model to ONNX and check it against PyTorch.

    python tools/export_onnx.py CONFIG CHECKPOINT OUT.onnx \\
        [--check-frames demo/frames/blackswan] [--shared-frames]

docs/deployment.md says how to feed the graph. See ``--help``,
hfan/cli/export_onnx.py and hfan/deploy/check.py.
"""
import sys

from hfan.cli.export_onnx import main

if __name__ == '__main__':
    sys.exit(main())
