"""A local web app (Gradio) to segment videos with HFAN.

    python tools/app.py [--config CONFIG --checkpoint CKPT --port 7860]

Two tabs:

* **Video**: upload a video file; the app computes its optical flow (DIS by
  default), segments every frame and returns the overlay video (mask tinted
  red and outlined; WebM/VP9, which browsers play) and a zip of the masks
  (``<video>/<00000>.png``, 0/255, the DAVIS layout of ``infer.py``).
* **Frame + flow**: upload one frame and its colour-coded flow image (the
  ``flow/<split>/*.jpg`` of a 2SEG dataset); get the overlay and the mask.

The config and checkpoint are chosen in dropdowns listing
``local_configs/hfan/*.py`` and ``checkpoint/*.pth`` (plus the ones given on
the command line). One model is kept loaded; choosing another loads it.

Offline by construction: Gradio's analytics and version check are off
(``GRADIO_ANALYTICS_ENABLED=False``), the theme uses the system's fonts (no
Google Fonts stylesheet), no share link is made, and the server listens on
127.0.0.1 unless told otherwise.

The work itself is done by plain functions (:mod:`.handlers`:
:func:`segment_video_file`, :func:`segment_frame_pair`) that do not need
Gradio; :func:`build_app` (:mod:`.interface`) wraps them in the page and
:func:`serve` serves it (the command is :mod:`hfan.cli.app`). Gradio is
imported only there. The app starts with the demo model
(:mod:`hfan.utils.defaults`).
"""

from .handlers import (
                       AppError,
                       ModelCache,
                       WorkDir,
                       list_files,
                       segment_frame_pair,
                       segment_video_file,
)
from .interface import build_app, launch, offline_theme, require_gradio, serve

__all__ = [
    'AppError', 'ModelCache', 'WorkDir', 'build_app', 'launch',
    'list_files', 'offline_theme', 'require_gradio', 'segment_frame_pair',
    'segment_video_file', 'serve'
]
