"""The Gradio page of the app around :mod:`hfan.app.handlers`, and serving
it. Gradio is imported only inside these functions, so importing
:mod:`hfan.app` stays light.
"""
import importlib.util
import os
import os.path as osp
from typing import Optional

from hfan.flow import FLOW_ESTIMATORS
from hfan.io.video import VIDEO_EXTENSIONS
from hfan.utils.defaults import DEMO_CHECKPOINT, DEMO_CONFIG, REPO_ROOT

from .handlers import (
    AppError,
    ModelCache,
    WorkDir,
    _short,
    list_files,
    segment_frame_pair,
    segment_video_file,
)

#: How to install what the app needs beyond the project's requirements.
GRADIO_INSTALL = 'pip install --no-deps -r requirements/app.txt'


def offline_theme():
    """Gradio's base theme on system fonts: no font is fetched (the default
    themes name web fonts, which a browser without network would wait for
    or a strict network policy would block)."""
    import gradio as gr
    return gr.themes.Base(
        font=['ui-sans-serif', 'system-ui', 'sans-serif'],
        font_mono=['ui-monospace', 'Consolas', 'monospace'])


def build_app(config: str = DEMO_CONFIG,
              checkpoint: str = DEMO_CHECKPOINT,
              device: Optional[str] = None,
              configs_dir: str = osp.join(REPO_ROOT, 'local_configs', 'hfan'),
              checkpoints_dir: str = osp.join(REPO_ROOT, 'checkpoint'),
              work: Optional[WorkDir] = None):
    """The Gradio Blocks of the app (not launched); the model runs on
    ``device`` (default: ``cuda:0`` if available, else ``cpu``)."""
    os.environ['GRADIO_ANALYTICS_ENABLED'] = 'False'
    import gradio as gr

    models = ModelCache(device)
    work = work or WorkDir()
    configs = list_files(configs_dir, '*.py', [config])
    checkpoints = list_files(checkpoints_dir, '*.pth', [checkpoint])

    def run_video(video_path, config, checkpoint, flow, max_frames,
                  progress=gr.Progress()):
        def on_frame(done, total):
            progress((done, total), desc='segmenting', unit='frames')

        try:
            result = segment_video_file(video_path, config, checkpoint,
                                        models, work, flow,
                                        int(max_frames or 0) or None,
                                        on_frame)
        except AppError as err:
            raise gr.Error(str(err)) from None
        return result['overlay'], result['zip'], result['message']

    def run_pair(frame, flow, config, checkpoint):
        try:
            return segment_frame_pair(frame, flow, config, checkpoint, models)
        except AppError as err:
            raise gr.Error(str(err)) from None

    with gr.Blocks(title='HFAN video object segmentation',
                   analytics_enabled=False) as app:
        gr.Markdown(
            '## HFAN: segment the primary moving object of a video\n'
            'Upload a video, press **Segment**; the overlay video and a zip '
            'of the per-frame masks (0/255 PNGs) come back. The optical '
            'flow is computed here.')
        with gr.Row():
            config_box = gr.Dropdown([(_short(p), p) for p in configs],
                                     value=config, label='Config',
                                     elem_id='config')
            checkpoint_box = gr.Dropdown(
                [(_short(p), p) for p in checkpoints], value=checkpoint,
                label='Checkpoint', elem_id='checkpoint')
        with gr.Tab('Video'):
            with gr.Row():
                with gr.Column():
                    # A file field, not gr.Video: the browser's player
                    # cannot preview many valid inputs (MPEG-4 part 2, AVI)
                    # and Gradio then shows an error; OpenCV reads them.
                    video_in = gr.File(
                        label='Video file (.mp4 .avi .mov .mkv .webm ...)',
                        file_types=list(VIDEO_EXTENSIONS), type='filepath',
                        elem_id='video-in')
                    with gr.Row():
                        flow_box = gr.Dropdown(sorted(FLOW_ESTIMATORS),
                                               value='dis',
                                               label='Optical flow')
                        max_frames = gr.Number(
                            value=0, precision=0, minimum=0,
                            label='Max frames (0: all)')
                    run_button = gr.Button('Segment', variant='primary',
                                           elem_id='run-video')
                with gr.Column():
                    video_out = gr.Video(label='Overlay', elem_id='overlay',
                                         interactive=False)
                    zip_out = gr.File(label='Masks (zip)', elem_id='masks')
                    status = gr.Textbox(label='Result', elem_id='status',
                                        interactive=False)
            run_button.click(
                run_video,
                [video_in, config_box, checkpoint_box, flow_box, max_frames],
                [video_out, zip_out, status])
        with gr.Tab('Frame + flow'):
            with gr.Row():
                frame_in = gr.Image(label='Frame', type='numpy',
                                    sources=['upload'])
                flow_in = gr.Image(label='Flow image (colour-coded)',
                                   type='numpy', sources=['upload'])
            pair_button = gr.Button('Segment', variant='primary',
                                    elem_id='run-pair')
            with gr.Row():
                pair_overlay = gr.Image(label='Overlay', interactive=False)
                pair_mask = gr.Image(label='Mask', interactive=False,
                                     image_mode='L', format='png')
            pair_button.click(run_pair,
                              [frame_in, flow_in, config_box, checkpoint_box],
                              [pair_overlay, pair_mask])
    app.hfan_work = work
    return app


def launch(config: str = DEMO_CONFIG,
           checkpoint: str = DEMO_CHECKPOINT,
           host: str = '127.0.0.1',
           port: Optional[int] = None,
           device: Optional[str] = None,
           block: bool = True):
    """Build and serve the app on ``host:port`` (no share link).

    Returns:
        the launched Blocks (``block=False``; stop it with ``.close()``).
    """
    app = build_app(config, checkpoint, device)
    app.queue(default_concurrency_limit=1)
    app.launch(server_name=host, server_port=port, share=False,
               inbrowser=False, ssr_mode=False, theme=offline_theme(),
               allowed_paths=[app.hfan_work.root], show_error=True,
               prevent_thread_lock=not block, quiet=False)
    return app



def require_gradio() -> None:
    """Raise ``ImportError`` (saying how to install it) when Gradio is not
    installed; the rest of the project does not need it."""
    if importlib.util.find_spec('gradio') is None:
        raise ImportError('Gradio is not installed. Install it with\n'
                          f'    {GRADIO_INSTALL}')


def serve(config: str = DEMO_CONFIG,
          checkpoint: str = DEMO_CHECKPOINT,
          host: str = '127.0.0.1',
          port: Optional[int] = 7860,
          device: Optional[str] = None) -> None:
    """Serve the app on ``host:port`` until the process is stopped.

    Raises:
        ImportError: Gradio is not installed.
        AppError: the server cannot listen there (e.g. the port is taken).
    """
    require_gradio()
    try:
        launch(config, checkpoint, host=host, port=port, device=device,
               block=True)
    except OSError as err:
        raise AppError(f'cannot serve on {host}:{port}: {err}') from err
