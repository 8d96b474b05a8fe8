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
import sys

from hfan.cli.app import main

if __name__ == '__main__':
    sys.exit(main())
