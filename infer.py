"""Segment videos with a trained HFAN model and write the masks.

    python infer.py --config CONFIG --checkpoint CHECKPOINT \\
        --output_dir OUT [--input VIDEO|FRAMES_DIR|DAVIS2SEG_ROOT ...] \\
        [--flow dis|raft] [--overlay mp4|webm|gif|none] [--save-prob] \\
        [--aug-test] [--fp16] [--options KEY=VALUE ...]

Inputs (--input, or its alias --video):

    clip.mp4 (.avi .mov .mkv .webm ...)  a video file, decoded frame by frame
                                         (never held in memory as a whole)
    frames/                              a folder of images (.jpg .png ...),
                                         frames in natural order of names
    data/DAVIS2SEG                       a 2SEG root: frame/<split>/<video>_
                                         <00000>.jpg + flow/<split>/... (the
                                         flow t -> t+1, published layout)
    (none)                               the config's test set (data_root +
                                         data_prefix of test_dataloader)

Several video files or frame folders may follow --input: they are segmented
in one run (the model is loaded once), e.g. every DAVIS-16 val video:

    python infer.py ... --input $(python tools/davis_videos.py data/DAVIS val)

For a video file or a frame folder the optical flow is computed on the fly
by the data pipeline's estimator (--flow: dis, OpenCV DIS, the default; raft,
RAFT-large with the original raft-things.pth or torchvision's weights), with the published rule: frame t gets the flow t -> t+1,
the last frame t -> t-1. The video's name is the file name without its
extension (clip.mp4 -> clip) or the folder's name; its frames are numbered
00000, 00001, ... in order.

Output, for every kind of input (the first three as the published infer.py
writes them):

    <output_dir>/<video>_<00000>.png           palette PNG, object red
    <output_dir>-DAVIS-16/<video>/<00000>.png  0/255, what the DAVIS tools read
    <output_dir>-prob/<video>/<00000>.png      foreground probability x 255
                                               (--save-prob; for VSOD)
    <output_dir>-overlay/<video>.mp4           the frames with the mask tinted
                                               red and outlined (--overlay;
                                               default mp4 for a video file or
                                               frame folder, none for 2SEG
                                               roots and the config's test set)

so tools/eval_vos.py reads <output_dir>-DAVIS-16 whatever the input was.

A run can be stopped at any time and started again with the same command:
frames whose outputs all exist are skipped (every PNG is written under a
temporary name and renamed, so none is ever half-written). The overlay is
written last, from the masks on disk, once every frame of the video has its
mask; it too appears under its name only when complete. The settings of
the run are kept in ``<output_dir>/.hfan_infer.json``, with the identity of
each video's input (file sizes and the contents of its first and last
frames); resuming with another config, checkpoint, test mode or flow
estimator, or with another input of the same video name, is refused unless
``--overwrite`` is given.

Exit status: 0 on success; 1 with a message naming the file for a bad input
(unreadable or empty video, empty or truncated image, folder without images
or with frames of mixed sizes), a missing or unreadable config/checkpoint,
a damaged run record or an output that cannot be written. HFAN_DEBUG=1
shows the traceback of an error.
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence

from hfan.apis.launch import add_cfg_options
from hfan.utils.cli import CLIError

#: Where infer.py records the settings of the run that wrote an output dir.
SETTINGS_FILE = '.hfan_infer.json'


class InferenceError(CLIError):
    """A problem with the command's inputs: reported without a traceback."""


# ---------------------------------------------------------------------------
# Inputs: each source yields videos; a video is its frames (and flows) as
# lazily decoded items. A new kind of input (a video file, a folder of
# frames) is a new source class; the flow is then computed by
# VideoSegmenter.segment_video when `flows` is None.
# ---------------------------------------------------------------------------
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
    """
    name: str
    frame_ids: List[str]
    frames: Sequence[Any]
    flows: Optional[Sequence[Any]] = None
    load: Optional[Callable[[Any], Any]] = None
    fps: float = 10.0

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

    def videos(self) -> List[VideoInput]:
        from hfan.datasets.transforms import read_image
        from hfan.evaluation.io import frame_sort_key
        from hfan.utils.image_io import file_complete
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
            ids = sorted(by_video[video], key=frame_sort_key)
            stems = [f'{video}_{i}' for i in ids]
            videos.append(
                VideoInput(
                    name=video,
                    frame_ids=ids,
                    frames=[osp.join(self.frame_dir, s + self.img_suffix)
                            for s in stems],
                    flows=[osp.join(self.flow_dir, s + self.flow_suffix)
                           for s in stems],
                    load=read_image))
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

    Opening checks the input (:mod:`hfan.apis.video_io`): the file decodes
    and has frames, the folder has images of one size. The frames are
    streamed: a video file is decoded again when segmented (and once more
    for the overlay), a folder's images are read when needed, so a resumed
    run does not decode the frames it skips.
    """

    def __init__(self, path: str, fps: float = 10.0):
        from hfan.apis.video_io import VideoIOError, open_video
        try:
            self.video = open_video(path, fps=fps)
        except VideoIOError as err:
            raise InferenceError(str(err)) from None

    def __repr__(self) -> str:
        return repr(self.video)

    def videos(self) -> List[VideoInput]:
        from hfan.apis.video_io import frame_id
        video = self.video
        ids = [frame_id(t) for t in range(len(video))]
        if video.kind == 'frames':  # paths, decoded only for wanted frames
            return [VideoInput(video.name, ids, video.paths, None,
                               load=video.read, fps=video.fps)]
        return [VideoInput(video.name, ids, video, None, fps=video.fps)]


class VideoList:
    """Several video files or frame folders segmented in one run (one model
    load), e.g. every DAVIS-16 val video's frame folder. Video names must
    be distinct; every input is opened (and checked) before any work."""

    def __init__(self, sources: Sequence[SingleVideo]):
        self.sources = list(sources)

    def __repr__(self) -> str:
        return f'{len(self.sources)} videos'

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


def _open_input(path: str, args):
    """One ``--input`` path: a video file, a frame folder or a 2SEG root."""
    from hfan.apis.video_io import IMAGE_EXTENSIONS
    if not osp.exists(path):
        raise InferenceError(f'--input {path} does not exist')
    if osp.isfile(path):
        return SingleVideo(path, fps=args.fps)
    frame_dir = osp.join(path, 'frame', args.split)
    if osp.isdir(osp.join(path, 'frame')):
        return FrameFlowFolders(frame_dir,
                                osp.join(path, 'flow', args.split))
    if any(osp.splitext(n)[1].lower() in IMAGE_EXTENSIONS
           for n in os.listdir(path)):
        return SingleVideo(path, fps=args.fps)
    raise InferenceError(
        f'--input {path} holds no images '
        f'({" ".join(IMAGE_EXTENSIONS)}) to read as frames, and is not a '
        f'DAVIS2SEG-style root: {frame_dir} (frames) and '
        f'{osp.join(path, "flow", args.split)} (flow images) are '
        'expected there')


def build_source(args, cfg):
    """The input(s) named on the command line (or the config's test set)."""
    if not args.input:
        return config_test_folders(cfg)
    sources = [_open_input(path, args) for path in args.input]
    if len(sources) == 1:
        return sources[0]
    for path, source in zip(args.input, sources):
        if not isinstance(source, SingleVideo):
            raise InferenceError(
                f'--input {path} is a 2SEG root: give it alone (several '
                '--input paths must be video files or frame folders)')
    return VideoList(sources)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog='infer.py',
        description='Segment the primary moving object of videos with HFAN\n'
        'and write per-frame masks.',
        epilog=__doc__.split('\n\n', 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', required=True, help='config file')
    parser.add_argument(
        '--checkpoint',
        required=True,
        help='weights: a checkpoint of this project or a released one '
        '(HFAN-s-converted.pth, ...)')
    parser.add_argument(
        '--output_dir',
        '--output-dir',
        dest='output_dir',
        required=True,
        help='folder of the <video>_<frame>.png masks; <output_dir>-DAVIS-16, '
        '<output_dir>-prob and <output_dir>-overlay are written beside it')
    parser.add_argument(
        '--input',
        '--video',
        dest='input',
        metavar='PATH',
        nargs='+',
        help='a video file (.mp4 .avi .mov ...), a folder of frame images, '
        'or a DAVIS2SEG-style root holding frame/<split>/ and flow/<split>/ '
        "(default: the config's test set); several video files or frame "
        'folders are segmented in one run')
    parser.add_argument(
        '--split', default='val', help='split folder under a DAVIS2SEG-style '
        '--input (default: val)')
    parser.add_argument(
        '--flow',
        default='dis',
        choices=['dis', 'raft'],
        help='optical flow estimator for a video file or frame folder: dis '
        '(OpenCV DIS, CPU, default) or raft (RAFT-large, as the published '
        'data)')
    parser.add_argument(
        '--raft-weights',
        metavar='PATH',
        help='--flow raft: the original raft-things.pth (the published '
        "data's weights; no torchvision needed) or a state_dict of "
        "torchvision's raft_large (default: torchvision's C_T_V2 weights, "
        'which it downloads)')
    parser.add_argument(
        '--overlay',
        choices=['mp4', 'webm', 'gif', 'none'],
        default=None,
        help='also write <output_dir>-overlay/<video>.<format>: the frames '
        'with the mask tinted red and outlined (mp4: MPEG-4, plays in media '
        'players; webm: VP9, plays in browsers; gif: downscaled, at most '
        '--gif-max-frames frames). Default: mp4 for a video file or frame '
        'folder, none otherwise')
    parser.add_argument(
        '--gif-max-frames', type=int, default=120,
        help='--overlay gif: keep at most this many frames (every n-th '
        'frame of a longer video; default: 120)')
    parser.add_argument(
        '--fps', type=float, default=10.0,
        help='frame rate of the overlay for a frame folder or a 2SEG root, '
        "which have none (a video file's own rate is used; default: 10)")
    parser.add_argument(
        '--aug-test',
        action='store_true',
        help='multi-scale + flip test (ratios 0.75/1.0/1.75, probabilities '
        'averaged), as published')
    parser.add_argument(
        '--fp16',
        action='store_true',
        help='CUDA float16 autocast, as the published numbers were computed '
        '(CUDA only)')
    parser.add_argument(
        '--device',
        default=None,
        help='cpu, cuda, cuda:1, ... (default: cuda:0 if available, else cpu)')
    parser.add_argument(
        '--save-prob',
        action='store_true',
        help='also write foreground probabilities as 8-bit PNGs to '
        '<output_dir>-prob/<video>/<frame>.png (needed for VSOD metrics)')
    parser.add_argument(
        '--batch-size', type=int, default=1,
        help='frames per forward pass (default: 1)')
    parser.add_argument(
        '--workers', type=int, default=2,
        help='threads encoding and writing PNGs (0: in the main thread; '
        'default: 2)')
    parser.add_argument(
        '--max-frames', type=int, default=None,
        help='stop after segmenting this many frames (a later run resumes)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='segment every frame again, even those already written, and '
        'even if the output dir holds results of other settings')
    add_cfg_options(
        parser,
        help='override config values, e.g. model.test_cfg.mode=whole '
        '(--options is the published spelling)')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar')
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error('--batch-size must be >= 1')
    if args.max_frames is not None and args.max_frames < 0:
        parser.error('--max-frames must be >= 0')
    if args.fps <= 0:
        parser.error('--fps must be > 0')
    if args.gif_max_frames < 1:
        parser.error('--gif-max-frames must be >= 1')
    return args


def run_settings(args, computes_flow: bool = False) -> Dict[str, Any]:
    """What decides the masks: resuming with other values would mix them.

    ``computes_flow``: the input's flows are computed here (a video file or
    frame folder), so the estimator decides the masks too. It is recorded
    only then, which keeps the records of 2SEG runs as they were.
    """
    settings = dict(
        config=osp.abspath(args.config),
        checkpoint=osp.abspath(args.checkpoint),
        cfg_options=args.cfg_options or {},
        aug_test=bool(args.aug_test),
        fp16=bool(args.fp16))
    if computes_flow:
        settings['flow'] = args.flow
        if args.flow == 'raft':
            settings['raft_weights'] = (osp.abspath(args.raft_weights)
                                        if args.raft_weights else None)
    return settings


def _ends_digest(path: str, chunk: int = 1 << 20) -> bytes:
    """SHA-1 of the first and last ``chunk`` bytes of ``path`` (the whole
    file when it is smaller): cheap for a long video, exact for a frame."""
    digest = hashlib.sha1()
    size = os.path.getsize(path)
    with open(path, 'rb') as f:
        digest.update(f.read(chunk))
        if size > chunk:
            f.seek(max(chunk, size - chunk))
            digest.update(f.read())
    return digest.digest()


def input_identity(video: VideoInput) -> Optional[Dict[str, Any]]:
    """What identifies the input that ``video``'s masks are computed from.

    Resuming skips frames whose masks exist, so masks of another input of
    the same video name (another ``clip.mp4``, a re-extracted frame folder)
    would be served as this one's. The identity is the source path, the
    number of frames, and a digest of every file's name and size plus the
    contents of the first and last frame (and flow) -- or, for a video
    file, its size and its first and last MiB. Modification times are left
    out, so a copied input is still the same input.

    Returns ``None`` for frames held in memory (nothing to record).
    """
    digest = hashlib.sha1()
    frames = video.frames
    if isinstance(frames, (list, tuple)) and frames and all(
            isinstance(x, str) for x in frames):
        flows = [f for f in (video.flows or []) if isinstance(f, str)]
        for path in list(frames) + flows:
            digest.update(
                f'{osp.basename(path)}\0{os.path.getsize(path)}\n'.encode())
        for path in [frames[0], frames[-1]] + flows[:1] + flows[-1:]:
            digest.update(_ends_digest(path))
        source = osp.dirname(osp.abspath(frames[0]))
    elif isinstance(getattr(frames, 'path', None), str) and osp.isfile(
            frames.path):
        source = osp.abspath(frames.path)
        digest.update(f'{os.path.getsize(source)}\n'.encode())
        digest.update(_ends_digest(source))
    else:
        return None
    return dict(source=source, frames=len(video.frame_ids),
                digest=digest.hexdigest())


def read_run_record(path: str) -> Dict[str, Any]:
    """The run record ``path`` (``.hfan_infer.json``); a damaged one is an
    error that says what to do, not a JSON traceback."""
    advice = ('delete it (the masks of that folder are then trusted as '
              'they are) or use --overwrite to segment every frame again')
    try:
        with open(path, encoding='utf-8') as f:
            record = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InferenceError(
            f'{path} is not a valid run record ({err}); {advice}') from None
    except OSError as err:
        raise InferenceError(f'cannot read the run record {path}: '
                             f'{err.strerror or err}') from None
    if not isinstance(record, dict) or not isinstance(
            record.get('inputs', {}), dict):
        raise InferenceError(f'{path} is not a valid run record (a JSON '
                             f'object of settings is expected); {advice}')
    return record


def check_settings(output_dir: str, settings: Dict[str, Any],
                   overwrite: bool, write: bool = True,
                   inputs: Optional[Dict[str, Any]] = None) -> None:
    """Refuse to resume into an output dir written with other settings or
    from another input of the same video name; then record these
    (``write``; ``False`` only checks, before anything is loaded or
    written).

    ``inputs``: ``{video: identity}`` (:func:`input_identity`). The record
    keeps the identities of earlier runs' videos too, so that several runs
    may fill one output dir with different videos.
    """
    from hfan.utils.atomic_io import atomic_write_bytes
    path = osp.join(output_dir, SETTINGS_FILE)
    current = json.loads(json.dumps(settings, default=str))
    inputs = json.loads(json.dumps(inputs or {}, default=str))
    previous = None
    if osp.lexists(path) and not overwrite:
        previous = read_run_record(path)
        changed = {k: (previous.get(k), v) for k, v in current.items()
                   if previous.get(k) != v}
        if changed:
            lines = '\n'.join(f'  {k}: {old!r} -> {new!r}'
                              for k, (old, new) in changed.items())
            raise InferenceError(
                f'{output_dir} holds masks of a run with other settings:\n'
                f'{lines}\nUse another --output_dir, or --overwrite to '
                'segment every frame again.')
        for name, identity in inputs.items():
            old = previous.get('inputs', {}).get(name)
            if old and identity and (old.get('digest'), old.get('frames')) \
                    != (identity['digest'], identity['frames']):
                raise InferenceError(
                    f'{output_dir} holds masks of video {name!r} segmented '
                    f'from another input ({old.get("source")}, '
                    f'{old.get("frames")} frames) than {identity["source"]} '
                    f'({identity["frames"]} frames); use another '
                    '--output_dir, or --overwrite to segment it again.')
    if write:
        record = dict(current)
        record['inputs'] = {**(previous or {}).get('inputs', {}), **{
            k: v for k, v in inputs.items() if v}}
        atomic_write_bytes(path, json.dumps(record, indent=2).encode())


def default_device() -> str:
    import torch
    return 'cuda:0' if torch.cuda.is_available() else 'cpu'


def overlay_dir(output_dir: str) -> str:
    """``<out>-overlay``: the overlay videos, beside the mask folders."""
    return osp.normpath(output_dir) + '-overlay'


def check_writable(folders: Sequence[str]) -> None:
    """Refuse early (before the model is loaded) output folders that cannot
    be created or written: the nearest existing parent must be a writable
    folder."""
    for folder in folders:
        probe = osp.abspath(folder)
        while not osp.exists(probe):
            probe = osp.dirname(probe)
        if not osp.isdir(probe):
            raise InferenceError(
                f'cannot write the outputs to {folder}: {probe} is a file, '
                'not a folder')
        if not os.access(probe, os.W_OK | os.X_OK):
            raise InferenceError(f'cannot write the outputs to {folder}: '
                                 f'{probe} is not writable')


def overlay_frames(video: VideoInput, mask_path: Callable[[str], str]):
    """The frames of ``video`` with their masks (read from disk) drawn."""
    import cv2

    from hfan.apis.visualization import overlay_mask
    for fid, image in zip(video.frame_ids, video.images()):
        path = mask_path(fid)
        mask = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        if mask is None:
            raise InferenceError(f'mask {path} cannot be read')
        if mask.shape != image.shape[:2]:
            raise InferenceError(
                f'mask {path} is {mask.shape[1]}x{mask.shape[0]} but frame '
                f'{fid} of {video.name} is {image.shape[1]}x{image.shape[0]}')
        yield overlay_mask(image, mask)


def write_overlays(args, videos: Sequence[VideoInput], writer, fmt: str,
                   segmented: Dict[str, int], progress: bool):
    """Write ``<out>-overlay/<video>.<fmt>`` for every video whose masks are
    all written.

    An existing overlay is kept when this run wrote no mask of its video
    (a finished run started again); a video with missing masks (a run
    limited by --max-frames) gets none yet.

    Returns:
        ``(written, kept, incomplete)``: ``{video: path}`` twice and the
        names of the videos without all their masks.
    """
    from tqdm import tqdm

    from hfan.apis.video_io import save_video
    from hfan.utils.atomic_io import remove_stale_tmp
    folder = overlay_dir(args.output_dir)
    if osp.isdir(folder):
        remove_stale_tmp(folder)
    written, kept, incomplete = {}, {}, []
    for video in videos:
        path = osp.join(folder, f'{video.name}.{fmt}')
        if not all(writer.is_done(video.name, f) for f in video.frame_ids):
            incomplete.append(video.name)
            continue
        if osp.isfile(path) and not segmented.get(video.name):
            kept[video.name] = path
            continue
        frames = overlay_frames(
            video, lambda f, v=video.name: writer.paths(v, f)['archive'])
        frames = tqdm(frames, total=len(video.frame_ids), unit='frame',
                      desc=f'{video.name} overlay', disable=not progress,
                      dynamic_ncols=True)
        try:
            save_video(frames, path, fps=video.fps,
                       total=len(video.frame_ids),
                       gif_max_frames=args.gif_max_frames)
        finally:
            frames.close()
        written[video.name] = path
    return written, kept, incomplete


def run(args, progress: bool = True, segmenter=None) -> Dict[str, Any]:
    """Segment the input of ``args`` (see :func:`parse_args`).

    Args:
        args: the parsed command line.
        progress: show progress bars.
        segmenter: a loaded :class:`~hfan.apis.inference.VideoSegmenter` of
            ``args.config`` / ``args.checkpoint`` to use instead of loading
            one (the app keeps its model between requests).

    Returns:
        ``dict(frames, skipped, total, seconds, fps, output_dir,
        archive_dir, prob_dir, overlays, overlays_kept, overlays_pending,
        videos)``: frames segmented by this run, frames found already
        written, the wall time of the segmentation loop (reading, flow,
        model, writing) and frames per second; overlay paths by video.
    """
    from tqdm import tqdm

    from hfan.apis import load_config
    from hfan.apis.inference import VideoSegmenter
    from hfan.apis.writers import FrameWriter

    for what, path in (('config', args.config),
                       ('checkpoint', args.checkpoint)):
        if not osp.isfile(path):
            raise InferenceError(f'{what} file {path} does not exist')
    cfg = load_config(args.config, args.cfg_options)
    source = build_source(args, cfg)
    videos = source.videos()
    computes_flow = isinstance(source, (SingleVideo, VideoList))
    overlay = args.overlay or ('mp4' if computes_flow else 'none')
    if overlay == 'none':
        overlay = None
    if not computes_flow:  # 2SEG frames have no frame rate
        for video in videos:
            video.fps = args.fps
    total = sum(len(v.frame_ids) for v in videos)
    writer = FrameWriter(args.output_dir, args.save_prob, args.workers)
    check_writable(writer.folders() +
                   ([overlay_dir(args.output_dir)] if overlay else []))
    # Before the (slow) estimator and model are loaded: a refused resume
    # should fail at once.
    settings = run_settings(args, computes_flow)
    inputs = {v.name: input_identity(v) for v in videos}
    check_settings(args.output_dir, settings, args.overwrite, write=False,
                   inputs=inputs)
    estimator = 'dis'
    if computes_flow:
        from hfan.flow import build_flow_estimator
        estimator = build_flow_estimator(
            args.flow,
            **(dict(weights=args.raft_weights, device=args.device)
               if args.flow == 'raft' else {}))
    if segmenter is None:
        segmenter = VideoSegmenter(
            cfg,
            args.checkpoint,
            device=args.device or default_device(),
            aug_test=args.aug_test,
            fp16=args.fp16)

    try:
        os.makedirs(args.output_dir, exist_ok=True)
    except OSError as err:
        raise InferenceError(f'cannot create the output folder '
                             f'{args.output_dir}: {err.strerror}') from None
    check_settings(args.output_dir, settings, args.overwrite, inputs=inputs)
    writer.remove_stale_temporaries()
    todo = {
        v.name: [args.overwrite or not writer.is_done(v.name, f)
                 for f in v.frame_ids]
        for v in videos
    }
    skipped = total - sum(sum(t) for t in todo.values())
    budget = args.max_frames if args.max_frames is not None else total
    done = 0
    segmented: Dict[str, int] = {}
    bar = tqdm(total=total, initial=skipped, unit='frame',
               disable=not progress, dynamic_ncols=True)
    start = time.perf_counter()
    with writer:
        for video in videos:
            wanted = todo[video.name]
            if done >= budget or not any(wanted):
                continue
            bar.set_description(video.name)
            # Frames beyond the budget are skipped too, so a limited run
            # stops without reading further.
            left = [budget - done]

            def skip(t, wanted=wanted, left=left):
                if not wanted[t] or left[0] <= 0:
                    return True
                left[0] -= 1
                return False

            for t, mask, prob in segmenter.segment_video(
                    video.frames, video.flows, estimator, load=video.load,
                    skip=skip, batch_size=args.batch_size):
                writer.write(video.name, video.frame_ids[t], mask, prob)
                segmented[video.name] = segmented.get(video.name, 0) + 1
                done += 1
                bar.update(1)
    seconds = time.perf_counter() - start
    bar.close()
    written, kept, pending = ({}, {}, [])
    if overlay:
        written, kept, pending = write_overlays(args, videos, writer, overlay,
                                                segmented, progress)
    return dict(frames=done, skipped=skipped, total=total, seconds=seconds,
                fps=done / seconds if done and seconds > 0 else 0.0,
                output_dir=args.output_dir,
                archive_dir=writer.archive_dir,
                prob_dir=writer.prob_dir if args.save_prob else None,
                overlays=written, overlays_kept=kept,
                overlays_pending=pending,
                videos=[v.name for v in videos])


def main(argv=None) -> int:
    """The command line; returns the exit status. Every error is reported
    as ``infer.py: error: <message>`` on stderr with status 1
    (:func:`hfan.utils.cli.run_cli`; ``HFAN_DEBUG=1`` shows tracebacks)."""
    from hfan.utils.cli import run_cli
    return run_cli(_main, argv, 'infer.py')


def _main(argv=None) -> int:
    args = parse_args(argv)
    stats = run(args, progress=not args.no_progress)
    print(f"Segmented {stats['frames']} frames in {stats['seconds']:.1f} s "
          f"({stats['fps']:.2f} frames/s); {stats['skipped']} of "
          f"{stats['total']} were already written.")
    print(f"Masks: {stats['output_dir']}  archive: {stats['archive_dir']}" +
          (f"  probabilities: {stats['prob_dir']}"
           if stats['prob_dir'] else ''))
    if len(stats['videos']) == 1:
        video = stats['videos'][0]
        print(f"Masks of {video} (0/255): "
              f"{osp.join(stats['archive_dir'], video)}{os.sep}")
    overlays = {**stats['overlays_kept'], **stats['overlays']}
    for video, path in overlays.items():
        note = '' if video in stats['overlays'] else ' (already written)'
        print(f'Overlay of {video}: {path}{note}')
    pending = stats['overlays_pending']
    if pending:
        names = ', '.join(pending[:5]) + (', ...' if len(pending) > 5 else '')
        print(f'No overlay yet for {len(pending)} video(s) with frames left '
              f'to segment ({names}): run the same command again to finish '
              'them.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
