"""Reading and writing frames: videos in, masks and overlay videos out.

    video         :func:`open_video` (a video file or a folder of frames,
                  streamed, checked when opened) and :func:`save_video`
                  (the one writer of .mp4 / .webm / .gif files, atomic)
    frame_writer  :class:`FrameWriter`: per-frame mask PNGs in the published
                  layouts (palette, 0/255 DAVIS archive, probabilities)
"""
from .frame_writer import FrameWriter
from .video import (
                    IMAGE_EXTENSIONS,
                    VIDEO_EXTENSIONS,
                    FrameFolder,
                    VideoFile,
                    VideoIOError,
                    count_frames,
                    frame_id,
                    open_video,
                    save_video,
)

__all__ = [
    'FrameWriter', 'IMAGE_EXTENSIONS', 'VIDEO_EXTENSIONS', 'FrameFolder',
    'VideoFile', 'VideoIOError', 'count_frames', 'frame_id', 'open_video',
    'save_video'
]
