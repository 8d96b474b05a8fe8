"""The videos of a YouTube-VOS split, as
:class:`~hfan.preparation.two_seg.VideoJob` s for the 2SEG writer."""
import os
import os.path as osp
from typing import List

from .sources import PrepareError, list_frames
from .two_seg import FrameSpec, VideoJob, frame_stem


def youtube_jobs(root: str, split: str = 'train') -> List[VideoJob]:
    """The videos of a YouTube-VOS split (``root/<split>/JPEGImages/<video>/``
    and ``root/<split>/Annotations/<video>/``).

    Every JPEG of a video takes part in the flow (frame t -> the next JPEG,
    the last one backwards), so the full-frame-rate ``train_all_frames``
    JPEGs give flows between consecutive frames; only frames with an
    annotation PNG are written. Problems are raised here, before any work,
    as a :class:`PrepareError` naming the path.
    """
    img_root = osp.join(root, split, 'JPEGImages')
    ann_root = osp.join(root, split, 'Annotations')
    for folder in (img_root, ann_root):
        if not osp.isdir(folder):
            raise PrepareError(f'folder not found: {folder}')
    videos = sorted(n for n in os.listdir(img_root)
                    if osp.isdir(osp.join(img_root, n)))
    if not videos:
        raise PrepareError(f'empty split: no video folder in {img_root}')
    jobs = []
    for video in videos:
        img_dir = osp.join(img_root, video)
        ann_dir = osp.join(ann_root, video)
        frames = list_frames(img_dir, '.jpg')
        anns = {osp.splitext(n)[0]: n for n in list_frames(ann_dir, '.png')}
        if not frames:
            raise PrepareError(f'no .jpg frames in {img_dir}')
        if not anns:
            raise PrepareError(f'no .png annotation in {ann_dir}')
        stems = {osp.splitext(n)[0] for n in frames}
        for stem, name in anns.items():
            if stem not in stems:
                raise PrepareError(
                    f'annotation without a frame: {osp.join(ann_dir, name)} '
                    f'(no {stem}.jpg in {img_dir})')
        job = VideoJob(video, split)
        for name in frames:
            ann = anns.get(osp.splitext(name)[0])
            job.frames.append(
                FrameSpec(
                    osp.join(img_dir, name),
                    frame_stem(video, name) if ann else None,
                    osp.join(ann_dir, ann) if ann else None))
        jobs.append(job)
    return jobs
