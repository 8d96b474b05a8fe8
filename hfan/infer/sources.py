"""Input sources of :func:`hfan.infer.run`: what ``--input`` names.

Each source yields videos; a video (:class:`VideoInput`) is its frames (and
flows) as lazily decoded items. A new kind of input (a video file, a folder
of frames) is a new source class; the flow is then computed by
:meth:`~hfan.apis.VideoSegmenter.segment_video` when ``flows`` is None.
"""
import json
import os
import os.path as osp
import re
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from hfan.io.video import IMAGE_EXTENSIONS, VideoIOError, frame_id, open_video
from hfan.utils.image_io import file_complete, read_image_bgr
from hfan.utils.natural_sort import natural_key

from .errors import InferenceError


@dataclass
class VideoInput:
    """One video to segment.

    Attributes:
        name: the video name used in output paths.
        frame_ids: output frame names in order (``'00000'``, ...).
        frames: one item per frame (a path, an array...), decoded by ``load``.
        flows: one flow item per frame (colour-coded flow image, t -> t+1,
            last frame t -> t-1), or ``None`` to compute the flows.
        load: decodes an item into a BGR uint8 image; ``None`` = items are
            images already.
        fps: frame rate of the overlay video.
        path: the video file or frame folder it was opened from (``None``:
            the frames of a 2SEG root).
        size: ``(H, W)`` of its frames when known before decoding.
    """
    name: str
    frame_ids: List[str]
    frames: Sequence[Any]
    flows: Optional[Sequence[Any]] = None
    load: Optional[Callable[[Any], Any]] = None
    fps: float = 10.0
    path: Optional[str] = None
    size: Optional[Tuple[int, int]] = None

    def images(self):
        """The decoded frames again, in order (for the overlay)."""
        load = self.load
        for item in self.frames:
            yield load(item) if load is not None else item


class FrameFlowFolders:
    """Frames and flow images named ``<video>_<frame>`` in two folders.

    This is the DAVIS2SEG / YouTube2SEG layout (``frame/<split>`` and
    ``flow/<split>``). Every frame must have its flow image; the check is
    made for the whole input before anything is computed.
    """

    def __init__(self, frame_dir: str, flow_dir: str,
                 img_suffix: str = '.jpg', flow_suffix: str = '.jpg'):
        self.frame_dir = frame_dir
        self.flow_dir = flow_dir
        self.img_suffix = img_suffix
        self.flow_suffix = flow_suffix

    def __repr__(self) -> str:
        return f'frames {self.frame_dir} with flows {self.flow_dir}'

    def paths(self) -> List[str]:
        """The folders the run reads (outputs must stay out of them)."""
        return [self.frame_dir, self.flow_dir]

    def videos(self) -> List[VideoInput]:
        if not osp.isdir(self.frame_dir):
            raise InferenceError(f'frame folder {self.frame_dir} does not '
                                 'exist')
        names = sorted(
            n[:-len(self.img_suffix)] for n in os.listdir(self.frame_dir)
            if n.endswith(self.img_suffix) and not n.startswith('.'))
        if not names:
            raise InferenceError(f'no *{self.img_suffix} frames in '
                                 f'{self.frame_dir}')
        by_video: Dict[str, List[str]] = {}
        for name in names:
            video, sep, frame_id = name.rpartition('_')
            if not sep or not video or not frame_id:
                raise InferenceError(
                    f'{osp.join(self.frame_dir, name + self.img_suffix)}: '
                    'frame files must be named <video>_<frame>'
                    f'{self.img_suffix}')
            flow = osp.join(self.flow_dir, name + self.flow_suffix)
            if not osp.isfile(flow):
                raise InferenceError(
                    f'frame {osp.join(self.frame_dir, name + self.img_suffix)}'
                    f' has no flow image: {flow} does not exist')
            # Empty or truncated images are refused before any work (the
            # decoder would fill them with grey and segment that).
            for path in (osp.join(self.frame_dir, name + self.img_suffix),
                         flow):
                if not file_complete(path):
                    raise InferenceError(
                        f'{path} is empty or truncated (no end-of-image '
                        'marker): the file is incomplete or damaged, '
                        'replace it')
            by_video.setdefault(video, []).append(frame_id)
        videos = []
        for video in sorted(by_video):
            ids = sorted(by_video[video], key=natural_key)
            stems = [f'{video}_{i}' for i in ids]
            videos.append(
                VideoInput(
                    name=video,
                    frame_ids=ids,
                    frames=[osp.join(self.frame_dir, s + self.img_suffix)
                            for s in stems],
                    flows=[osp.join(self.flow_dir, s + self.flow_suffix)
                           for s in stems],
                    load=read_image_bgr))
        return videos


def config_test_folders(cfg) -> FrameFlowFolders:
    """The frame / flow folders of the config's test dataset."""
    dataset = (cfg.get('test_dataloader') or {}).get('dataset')
    while isinstance(dataset, dict) and 'data_prefix' not in dataset:
        dataset = dataset.get('dataset')
    if not isinstance(dataset, dict):
        raise InferenceError('the config has no test_dataloader.dataset; '
                             'give the data with --input')
    root = dataset.get('data_root') or ''
    prefix = dataset['data_prefix']
    if not prefix.get('flow_path'):
        raise InferenceError("the config's test dataset has no "
                             "data_prefix.flow_path; give --input")
    return FrameFlowFolders(
        osp.join(root, prefix['img_path']),
        osp.join(root, prefix['flow_path']),
        img_suffix=dataset.get('img_suffix', '.jpg'),
        flow_suffix=dataset.get('flow_suffix', '.jpg'))


class SingleVideo:
    """One video file or one folder of frames; flows computed on the fly.

    Opening checks the input (:mod:`hfan.io.video`): the file decodes
    and has frames, the folder has images of one size. The frames are
    streamed: a video file is decoded again when segmented (and once more
    for the overlay), a folder's images are read when needed, so a resumed
    run does not decode the frames it skips.
    """

    def __init__(self, path: str, fps: float = 10.0):
        exclude = None
        if osp.isdir(path):
            exclude = recorded_masks(path)
        try:
            self.video = open_video(path, fps=fps, exclude=exclude)
        except VideoIOError as err:
            raise InferenceError(str(err)) from None
        left_out = getattr(self.video, 'excluded', [])
        if left_out:
            from .run_record import SETTINGS_FILE
            warnings.warn(
                f'{path}: left out {len(left_out)} file(s) that are masks '
                f'of an earlier infer.py run into this folder (named as its '
                f'run record {SETTINGS_FILE} says, e.g. {left_out[0]}), not '
                'frames', stacklevel=2)

    def __repr__(self) -> str:
        return repr(self.video)

    def paths(self) -> List[str]:
        """The file or folder the run reads."""
        return [self.video.path]

    def videos(self) -> List[VideoInput]:
        video = self.video
        ids = [frame_id(t) for t in range(len(video))]
        if video.kind == 'frames':  # paths, decoded only for wanted frames
            return [VideoInput(video.name, ids, video.paths, None,
                               load=video.read, fps=video.fps,
                               path=video.path, size=video.size)]
        return [VideoInput(video.name, ids, video, None, fps=video.fps,
                           path=video.path, size=video.size)]


def recorded_masks(folder: str) -> Optional[Callable[[str], bool]]:
    """Which file names of ``folder`` are masks that infer.py wrote there,
    or ``None`` when it holds no run record.

    An output folder is refused when it is an input folder (:func:`hfan.
    infer.runner.check_outputs_apart`), but a folder written so before
    that check (or by hand) holds masks beside the frames, and reading
    them as frames turns 3 frames into 6. Masks are recognised by what the
    folder's run record (``.hfan_infer.json``) says was written there: the
    flat masks ``<video>_<frame>.png`` of each video it names (``frame``
    all digits). Without a run record nothing is left out (a user's frames
    may be named like masks).
    """
    from .run_record import SETTINGS_FILE
    record_path = osp.join(folder, SETTINGS_FILE)
    if not osp.isfile(record_path):
        return None
    try:
        with open(record_path, encoding='utf-8') as f:
            videos = list((json.load(f).get('inputs') or {}).keys())
    except (OSError, ValueError, AttributeError):
        videos = []
    # a frame folder's video is named after the folder
    videos.append(osp.basename(osp.normpath(osp.abspath(folder))))
    pattern = re.compile(
        '(' + '|'.join(re.escape(str(v)) for v in videos) + r')_\d+\.png')
    return lambda name: pattern.fullmatch(name) is not None


class VideoList:
    """Several video files or frame folders segmented in one run (one model
    load), e.g. every DAVIS-16 val video's frame folder. Video names must
    be distinct; every input is opened (and checked) before any work."""

    def __init__(self, sources: Sequence[SingleVideo]):
        self.sources = list(sources)

    def __repr__(self) -> str:
        return f'{len(self.sources)} videos'

    def paths(self) -> List[str]:
        return [p for source in self.sources for p in source.paths()]

    def videos(self) -> List[VideoInput]:
        videos, seen = [], {}
        for source in self.sources:
            for video in source.videos():
                if video.name in seen:
                    raise InferenceError(
                        f'two inputs give the video name {video.name!r} '
                        f'({seen[video.name]!r} and {source!r}): their masks '
                        'would overwrite each other; segment them into '
                        'separate --output_dir folders')
                seen[video.name] = source
                videos.append(video)
        return videos


def open_input(path: str, split: str = 'val', fps: float = 10.0):
    """One ``--input`` path: a video file, a frame folder or a 2SEG root
    (its ``split``); ``fps``: the overlay's frame rate for frame folders."""
    if not osp.exists(path):
        raise InferenceError(f'--input {path} does not exist')
    if osp.isfile(path):
        return SingleVideo(path, fps=fps)
    frame_dir = osp.join(path, 'frame', split)
    if osp.isdir(osp.join(path, 'frame')):
        return FrameFlowFolders(frame_dir,
                                osp.join(path, 'flow', split))
    if any(osp.splitext(n)[1].lower() in IMAGE_EXTENSIONS
           for n in os.listdir(path)):
        return SingleVideo(path, fps=fps)
    raise InferenceError(
        f'--input {path} holds no images '
        f'({" ".join(IMAGE_EXTENSIONS)}) to read as frames, and is not a '
        f'DAVIS2SEG-style root: {frame_dir} (frames) and '
        f'{osp.join(path, "flow", split)} (flow images) are '
        'expected there')


def build_source(inputs: Optional[Sequence[str]], cfg, split: str = 'val',
                 fps: float = 10.0):
    """The source of the ``--input`` paths ``inputs`` (none: the config's
    test set); ``split`` and ``fps`` as in :func:`open_input`."""
    if not inputs:
        return config_test_folders(cfg)
    sources = [open_input(path, split, fps) for path in inputs]
    if len(sources) == 1:
        return sources[0]
    for path, source in zip(inputs, sources):
        if not isinstance(source, SingleVideo):
            raise InferenceError(
                f'--input {path} is a 2SEG root: give it alone (several '
                '--input paths must be video files or frame folders)')
    return VideoList(sources)


