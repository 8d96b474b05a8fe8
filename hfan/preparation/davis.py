"""The videos of a DAVIS download (DAVIS-2016 release or DAVIS-2017
trainval), as :class:`~hfan.preparation.two_seg.VideoJob` s for the 2SEG
writer."""
import os.path as osp
from functools import partial
from typing import List, Optional, Sequence

from hfan.utils.natural_sort import natural_key

from .sources import PrepareError, list_frames, read_video_list
from .two_seg import FrameSpec, VideoJob, frame_stem


def davis_jobs(root: str,
               splits: Sequence[str] = ('train', 'val'),
               resolution: str = '480p',
               year: str = '2016',
               annotations: Optional[str] = None) -> List[VideoJob]:
    """The videos of a DAVIS download, split by its image-set lists.

    Two release layouts are read, detected from ``root/ImageSets``:

    - DAVIS-2017 trainval: ``ImageSets/<year>/<split>.txt`` lists video
      names; every ``JPEGImages/<resolution>/<video>/*.jpg`` is a frame and
      ``<annotations>/<video>/<00000>.png`` its mask (``annotations``
      defaults to ``root/Annotations/<resolution>``).
    - DAVIS-2016: ``ImageSets/<resolution>/<split>.txt`` lists one frame a
      line as a pair ``/JPEGImages/480p/<video>/<00000>.jpg
      /Annotations/480p/<video>/<00000>.png`` (paths from ``root``); the
      listed pairs are the frames (``annotations``, if given, replaces the
      listed annotation folder).

    Every problem (no list in either layout, empty split, missing video
    folder or listed file, frame without annotation) is raised here, before
    any work, as a :class:`PrepareError` naming the path.
    """
    lists_2017 = osp.join(root, 'ImageSets', year)
    lists_2016 = osp.join(root, 'ImageSets', resolution)
    if osp.isdir(lists_2017):
        read_split = partial(
            _davis2017_split, root, resolution, annotations
            or osp.join(root, 'Annotations', resolution))
        lists = lists_2017
    elif osp.isdir(lists_2016):
        read_split = partial(_davis2016_split, root, annotations)
        lists = lists_2016
    else:
        raise PrepareError(
            f'no DAVIS image-set lists under {root}: expected '
            f'{lists_2017}/<split>.txt (DAVIS-2017 trainval: video names) or '
            f'{lists_2016}/<split>.txt (DAVIS-2016: frame / annotation '
            'pairs)')
    jobs = []
    for split in splits:
        jobs += read_split(osp.join(lists, f'{split}.txt'), split)
    return jobs


def _davis2017_split(root, resolution, annotations, list_path, split):
    jobs = []
    for video in read_video_list(list_path):
        img_dir = osp.join(root, 'JPEGImages', resolution, video)
        ann_dir = osp.join(annotations, video)
        frames = list_frames(img_dir, '.jpg')
        if not frames:
            raise PrepareError(f'no .jpg frames in {img_dir}')
        job = VideoJob(video, split)
        for name in frames:
            ann = osp.join(ann_dir, osp.splitext(name)[0] + '.png')
            if not osp.isfile(ann):
                raise PrepareError(f'missing annotation: {ann}')
            job.frames.append(
                FrameSpec(osp.join(img_dir, name), frame_stem(video, name),
                          ann))
        jobs.append(job)
    return jobs


def _davis2016_split(root, annotations, list_path, split):
    """Jobs from a DAVIS-2016 pair list; ``annotations`` (if set) replaces
    the listed annotation folder."""
    videos = {}  # video -> [(frame name, image path, annotation path)]
    for n, line in enumerate(read_video_list(list_path), 1):
        parts = line.split()
        if len(parts) != 2:
            raise PrepareError(
                f'{list_path}, line {n}: expected "/JPEGImages/<res>/<video>/'
                f'<00000>.jpg /Annotations/<res>/<video>/<00000>.png", got '
                f'{line!r}')
        img, ann = (osp.join(root, p.lstrip('/')) for p in parts)
        video = osp.basename(osp.dirname(img))
        name = osp.basename(img)
        if annotations is not None:
            ann = osp.join(annotations, video, osp.basename(ann))
        for path, what in ((img, 'frame'), (ann, 'annotation')):
            if not osp.isfile(path):
                raise PrepareError(
                    f'missing {what}: {path} (listed in {list_path}, line '
                    f'{n})')
        videos.setdefault(video, []).append((name, img, ann))
    jobs = []
    for video, frames in videos.items():
        job = VideoJob(video, split)
        for name, img, ann in sorted(frames, key=lambda f: natural_key(f[0])):
            job.frames.append(FrameSpec(img, frame_stem(video, name), ann))
        jobs.append(job)
    return jobs
