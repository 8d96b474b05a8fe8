"""The test pipeline on a frame with several flows, the frame resized once.

With both flow directions a frame comes with two flow images, and the test
pipeline ran on each (frame, flow) stack: the frame half was resized twice,
the same way, and OpenCV resizes a 6-channel image on its generic path
(~4 ms at 480x854 against ~0.6 ms for a 3-channel image).
:class:`FramePipeline` runs the pipeline's leading resizes on the frame
once and on each flow image alone, stacks the results and runs the rest of
the pipeline on each stack: the same arrays as the pipeline on the stacks,
since OpenCV's bilinear and nearest resizing treat every channel alike and
alone (checked bit for bit in the tests), and a resize's metadata depends
on the image's size only. Transforms that may not be so (another
interpolation, a flip, the multi-scale test's ``TestTimeAug``) end the
shared part; a pipeline that starts with one runs on the stacks as before.
"""
from typing import List, Sequence

import numpy as np
from mmcv.transforms import Resize as MMCVResize
from mmengine.dataset import Compose
from mmseg.datasets.transforms import Resize, ResizeToMultiple

from hfan.utils.channels import concat_channels

#: interpolations for which OpenCV resizes each channel on its own
PER_CHANNEL_INTERPOLATIONS = ('bilinear', 'nearest')


def resizes_each_channel_alone(transform) -> bool:
    """Whether ``transform`` gives, for a stack of images, the stack of its
    results on each image (and metadata of the image size only): MMCV's and
    MMSeg's ``Resize`` (MMSeg's differs in seg maps only) with the cv2
    backend and MMSeg's ``ResizeToMultiple``, with bilinear or nearest
    interpolation (exact types: a subclass may do more)."""
    if type(transform) in (Resize, MMCVResize):
        return (transform.backend == 'cv2'
                and transform.interpolation in PER_CHANNEL_INTERPOLATIONS)
    if type(transform) is ResizeToMultiple:
        return (transform.interpolation or
                'bilinear') in PER_CHANNEL_INTERPOLATIONS
    return False


class FramePipeline:
    """A test pipeline applied to a frame with each of its flow images.

    Args:
        pipeline: the in-memory test pipeline, taking ``dict(img, img_shape,
            ori_shape)`` with ``img`` the (H, W, 6) frame + flow stack.

    ``FramePipeline(pipeline)(frame, flows)`` gives what ``pipeline`` gives
    for each ``concat_channels([frame, flow])``, in the order of ``flows``.
    """

    def __init__(self, pipeline: Compose):
        transforms = list(pipeline.transforms)
        shared = 0
        while (shared < len(transforms)
               and resizes_each_channel_alone(transforms[shared])):
            shared += 1
        self.pipeline = pipeline
        #: the leading resizes, run on the frame once and on each flow
        self.resizes = Compose(transforms[:shared])
        #: the rest, run on each stack
        self.rest = Compose(transforms[shared:])
        self.shares_frame = shared > 0

    def __call__(self, frame: np.ndarray,
                 flows: Sequence[np.ndarray]) -> List[dict]:
        if not self.shares_frame:
            return [self.pipeline(_results(concat_channels([frame, flow])))
                    for flow in flows]
        resized = self.resizes(_results(frame))
        out = []
        for flow in flows:
            stack = concat_channels(
                [resized['img'], self.resizes(_results(flow))['img']])
            out.append(self.rest(dict(resized, img=stack)))
        return out


def _results(img: np.ndarray) -> dict:
    return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])
