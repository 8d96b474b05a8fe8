"""The run loop of infer.py: segment every video of a source, resumably.

:func:`run` takes an :class:`~hfan.infer.options.InferenceOptions` (or its
fields as keyword arguments), opens the input (:mod:`.sources`), refuses
a resume with other settings (:mod:`.run_record`), segments the frames not
yet written with :class:`~hfan.apis.VideoSegmenter`, writes them with
:class:`~hfan.io.FrameWriter` and finally the overlays (:mod:`.overlays`).
"""
import functools
import os
import os.path as osp
import time
from typing import Any, Dict, List, Optional, Sequence

from tqdm import tqdm

from hfan.apis import VideoSegmenter, VideoStream, load_config
from hfan.io.frame_writer import FrameWriter
from hfan.io.video import VIDEO_FORMATS
from hfan.models.segmentor import check_test_cfg
from hfan.utils.defaults import default_device
from hfan.utils.paths import check_writable_folder, is_inside, same_file

from .errors import InferenceError
from .options import CPU_BF16_VALUES, InferenceOptions, make_options
from .overlays import overlay_dir, write_overlays
from .run_record import check_settings, input_identity, run_settings
from .sources import SingleVideo, VideoInput, VideoList, build_source


def check_writable(folders: Sequence[str]) -> None:
    """Refuse early (before the model is loaded) output folders that cannot
    be created or written: the nearest existing parent must be a writable
    folder."""
    for folder in folders:
        check_writable_folder(folder, 'output folder')


def check_outputs_apart(outputs: Sequence[str],
                        inputs: Sequence[str]) -> None:
    """Refuse output folders that are, are inside, or contain an input.

    infer.py writes ``<video>_<frame>.png`` masks: into the frame folder
    they overwrite PNG frames named so, and beside JPEG frames a later run
    reads them back as frames (3 frames become 6); an input inside an
    output folder is mixed with the masks the same way. Paths are compared
    resolved (symbolic links followed, ``..`` removed), before anything is
    read or written.

    Args:
        outputs: every folder the run writes (``<out>``, ``<out>-DAVIS-16``,
            ``<out>-prob``, ``<out>-overlay``).
        inputs: the video files and frame / flow folders it reads.

    Raises:
        InferenceError: naming both paths.
    """
    for output in outputs:
        for given in inputs:
            if same_file(output, given):
                relation = 'is the input'
            elif is_inside(output, given):
                relation = 'is inside the input'
            elif is_inside(given, output):
                relation = 'contains the input'
            else:
                continue
            raise InferenceError(
                f'the output folder {output} {relation} {given}: the masks '
                'written there would overwrite or mix with the frames read '
                'from it; give an --output_dir whose folders (<out>, '
                '<out>-DAVIS-16, <out>-prob, <out>-overlay) are apart from '
                'every input')


def check_videos(videos: Sequence[VideoInput], computes_flow: bool,
                 flow: str) -> None:
    """Refuse, before any work, videos the run cannot segment.

    - One frame, when the flow is computed from the frames: HFAN segments
      the object that moves, and one frame has no motion (its flow would be
      zero and its mask empty, with nothing said).
    - Frames too small for DIS (``flow='dis'``), whose OpenCV error names
      neither the input nor the limit.
    """
    if not computes_flow:
        return
    dis = None
    if flow == 'dis':
        from hfan.flow.dis import DISFlow
        dis = DISFlow()
    for video in videos:
        where = video.path or video.name
        if len(video.frame_ids) < 2:
            raise InferenceError(
                f'{where} has one frame: HFAN segments the moving object '
                'from the optical flow between frames, and one frame has '
                'no motion (zero flow, an empty mask); give a video or '
                'folder of at least 2 frames')
        problem = dis.size_problem(*video.size) if dis and video.size \
            else None
        if problem:
            raise InferenceError(
                f'{where}: its frames are {video.size[1]}x{video.size[0]} '
                f'pixels; {problem}')


def flow_directions_of(options: InferenceOptions, cfg,
                       computes_flow: bool) -> str:
    """The flow directions of the run: ``options.flow_directions``, else the
    config's ``test_flow_directions``, else ``'forward'``. A 2SEG root or
    the config's test set brings one (forward) flow a frame: it is segmented
    with it, and an explicit ``--flow-directions both`` is refused."""
    if not computes_flow:
        if options.flow_directions == 'both':
            raise InferenceError(
                '--flow-directions both needs the flows computed from the '
                'frames (a video file or frame folder as --input); a 2SEG '
                'root or the config\'s test set holds only the forward flow '
                'of each frame')
        return 'forward'
    from hfan.flow import configured_flow_directions
    try:
        return configured_flow_directions(cfg, options.flow_directions)
    except ValueError as err:
        raise InferenceError(f'{options.config}: {err}') from None


def cpu_bf16_of(options: InferenceOptions) -> bool:
    """``options.cpu_bf16`` resolved for the run's device and backend."""
    import torch

    from hfan.apis.inference import resolve_cpu_bf16
    choice = CPU_BF16_VALUES[options.cpu_bf16]
    try:
        return resolve_cpu_bf16(
            choice, torch.device(options.device or default_device()),
            options.backend)
    except ValueError as err:
        raise InferenceError(f'--cpu-bf16 {options.cpu_bf16}: {err}') from None


def remove_outputs(writer: FrameWriter, video: VideoInput,
                   output_dir: str) -> int:
    """Delete what earlier runs wrote for ``video`` (its masks, archive and
    probability files, its overlays); returns how many files."""
    paths = [p for f in video.frame_ids
             for p in writer.paths(video.name, f).values()]
    if not writer.save_prob:  # probabilities of an earlier run
        paths += [osp.join(writer.prob_dir, video.name, f'{f}.png')
                  for f in video.frame_ids]
    paths += [osp.join(overlay_dir(output_dir), f'{video.name}.{fmt}')
              for fmt in VIDEO_FORMATS]
    removed = 0
    for path in paths:
        if osp.isfile(path):
            os.remove(path)
            removed += 1
    return removed


def run(options: Optional[InferenceOptions] = None,
        *,
        progress: bool = True,
        segmenter: Optional[VideoSegmenter] = None,
        **kwargs) -> Dict[str, Any]:
    """Segment the input of ``options`` into mask files, resumably.

    Args:
        options: the settings of the run; None: made of ``kwargs``.
        progress: show progress bars.
        segmenter: a loaded :class:`~hfan.apis.inference.VideoSegmenter` of
            ``config`` / ``checkpoint`` to use instead of loading one (a
            caller that keeps its model between runs).
        **kwargs: fields of :class:`InferenceOptions`, replacing those of
            ``options``, e.g. ``run(config=cfg, checkpoint=ckpt,
            input='clip.mp4', output_dir='out')``.

    Returns:
        ``dict(frames, skipped, total, seconds, fps, output_dir,
        archive_dir, prob_dir, overlays, overlays_kept, overlays_pending,
        videos, flow_directions, runtime)``: frames segmented by this run,
        frames found already written, the wall time of the segmentation loop
        (reading, flow, model, writing) and frames per second; overlay
        paths by video; ``'forward'`` or ``'both'``; what ran the model
        (e.g. ``'torch bf16'``).

    Raises:
        TypeError: a keyword that is no option (the message lists them).
        ValueError: an option value that a run cannot use.
        InferenceError: a missing config or checkpoint, a bad input (one
            frame, frames too small for DIS), a resume with other settings
            (compared by content: :mod:`.run_record`), an output that cannot
            be written or that is, is inside or contains an input; all
            before any output is written.
        ValueError: a frame found damaged when it is read (a JPEG libjpeg
            reports corrupt, :mod:`hfan.utils.image_io`), naming the file;
            the frames before it are written and resumable.
    """
    options = make_options(options, kwargs)
    for what, path in (('config', options.config),
                       ('checkpoint', options.checkpoint)):
        if not osp.isfile(path):
            raise InferenceError(f'{what} file {path} does not exist')
    cfg = load_config(options.config, options.cfg_options)
    # what the segmentor checks when built, before the inputs are read
    try:
        check_test_cfg((cfg.get('model') or {}).get('test_cfg'))
    except ValueError as err:
        raise InferenceError(f'{options.config}: {err}') from None
    source = build_source(options.input, cfg, options.split, options.fps)
    videos = source.videos()
    computes_flow = isinstance(source, (SingleVideo, VideoList))
    overlay = options.overlay or ('mp4' if computes_flow else 'none')
    if overlay == 'none':
        overlay = None
    if not computes_flow:  # 2SEG frames have no frame rate
        for video in videos:
            video.fps = options.fps
    total = sum(len(v.frame_ids) for v in videos)
    writer = FrameWriter(options.output_dir, options.save_prob,
                         options.workers)
    outputs = writer.folders() + ([overlay_dir(options.output_dir)]
                                  if overlay else [])
    # the --input paths as given too: a 2SEG root, not only its frame/split
    # and flow/split folders
    check_outputs_apart(outputs, list(options.input or []) + [
        p for p in source.paths() if p not in (options.input or [])])
    check_writable(outputs)
    check_videos(videos, computes_flow, options.flow)
    directions = flow_directions_of(options, cfg, computes_flow)
    # Before the (slow) estimator and model are loaded: a refused resume
    # should fail at once.
    cpu_bf16 = cpu_bf16_of(options)
    import torch
    device_type = torch.device(options.device or default_device()).type
    settings = run_settings(options, computes_flow, directions, cpu_bf16,
                            cfg, device_type)
    inputs = {v.name: input_identity(v) for v in videos}
    check_settings(options.output_dir, settings, options.overwrite,
                   write=False, inputs=inputs)
    estimator = 'dis'
    if computes_flow:
        from hfan.flow import build_flow_estimator
        estimator = build_flow_estimator(
            options.flow,
            **(dict(weights=options.raft_weights, device=options.device)
               if options.flow == 'raft' else {}))
    if segmenter is None:
        segmenter = VideoSegmenter(
            cfg,
            options.checkpoint,
            device=options.device or default_device(),
            aug_test=options.aug_test,
            fp16=options.fp16,
            cpu_bf16=cpu_bf16,
            backend=options.backend,
            onnx_file=options.onnx,
            trust_checkpoint=options.trust_checkpoint,
            model_workers=options.model_workers)

    def start_video(video: VideoInput) -> None:
        """Record ``video`` in the run record just before its first mask is
        written (creating the output folder), so that a run that fails
        before (a damaged first frame, an error of the model) leaves
        nothing behind, and a video is marked with these settings only once
        masks of them are written for it (``--max-frames`` may stop the run
        before other videos). With ``overwrite`` the video's earlier
        outputs are removed first: a run stopped half-way would otherwise
        leave masks of the old settings under the new record."""
        if options.overwrite:
            remove_outputs(writer, video, options.output_dir)
        try:
            os.makedirs(options.output_dir, exist_ok=True)
        except OSError as err:
            raise InferenceError(
                f'cannot create the output folder {options.output_dir}: '
                f'{err.strerror}') from None
        check_settings(options.output_dir, settings, options.overwrite,
                       inputs={video.name: inputs[video.name]})

    writer.remove_stale_temporaries()
    todo = {
        v.name: [options.overwrite or not writer.is_done(v.name, f)
                 for f in v.frame_ids]
        for v in videos
    }
    skipped = total - sum(sum(t) for t in todo.values())
    budget = options.max_frames if options.max_frames is not None else total
    done = 0
    segmented: Dict[str, int] = {}
    bar = tqdm(total=total, initial=skipped, unit='frame',
               disable=not progress, dynamic_ncols=True)
    start = time.perf_counter()
    # Frames beyond the budget are skipped too, so a limited run stops
    # without reading further. `skip` is called as frames are read, in
    # order, in segment_videos' reading thread.
    left = [budget]

    def skip(wanted, t):
        if not wanted[t] or left[0] <= 0:
            return True
        left[0] -= 1
        return False

    started: List[VideoInput] = []

    def streams():
        """The videos with frames to segment, as they are reached: one
        stream for all (segment_videos), so the next video is read and its
        flow computed while the last frames of the one before are being
        segmented."""
        for video in videos:
            if left[0] <= 0:
                return
            if any(todo[video.name]):
                started.append(video)
                yield VideoStream(video.frames, video.flows, video.load,
                                  functools.partial(skip, todo[video.name]))

    with writer:
        for index, t, mask, prob in segmenter.segment_videos(
                streams(), estimator, batch_size=options.batch_size,
                flow_directions=directions):
            video = started[index]
            if not segmented.get(video.name):
                bar.set_description(video.name)
                start_video(video)
            writer.write(video.name, video.frame_ids[t], mask, prob)
            segmented[video.name] = segmented.get(video.name, 0) + 1
            done += 1
            bar.update(1)
    seconds = time.perf_counter() - start
    bar.close()
    written, kept, pending = ({}, {}, [])
    if overlay:
        written, kept, pending = write_overlays(
            options.output_dir, videos, writer, overlay, segmented, progress,
            options.gif_max_frames)
    return dict(frames=done, skipped=skipped, total=total, seconds=seconds,
                fps=done / seconds if done and seconds > 0 else 0.0,
                output_dir=options.output_dir,
                archive_dir=writer.archive_dir,
                prob_dir=writer.prob_dir if options.save_prob else None,
                overlays=written, overlays_kept=kept,
                overlays_pending=pending,
                videos=[v.name for v in videos],
                flow_directions=directions,
                runtime=segmenter.backend + (
                    ' bf16' if segmenter.cpu_bf16 else
                    ' fp16' if segmenter.fp16 else ' fp32') + (
                        f', {segmenter.model_workers} forwards at once'
                        if segmenter.model_workers > 1 else ''))
