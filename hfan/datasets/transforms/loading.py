"""Loading a frame with its flow image, and binary masks."""
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS

from hfan.utils.channels import concat_channels
from hfan.utils.image_io import (
    check_image_bytes,
    decode_image_bgr,
    read_image_bytes,
)


@TRANSFORMS.register_module()
class LoadFrameAndFlow(BaseTransform):
    """Load ``img_path`` and ``flow_path`` into one (H, W, 6) uint8 ``img``.

    The frame comes first (channels 0-2), the flow image second (3-5), both
    BGR as OpenCV decodes them. Every later geometric transform then moves
    frame and flow identically. Frame and flow must have the same size.

    Required keys: ``img_path``, ``flow_path``.
    Added keys: ``img``, ``img_shape``, ``ori_shape``.
    """

    def __init__(self, imdecode_backend: str = 'cv2', backend_args=None):
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args

    def _read_bgr(self, path: str) -> np.ndarray:
        """One image, BGR uint8, decoded strictly
        (:mod:`hfan.utils.image_io`): an empty or truncated file is an
        error naming it, not a half-grey frame."""
        data = read_image_bytes(path, self.backend_args)
        if self.imdecode_backend == 'cv2':
            return decode_image_bgr(data, path)
        return mmcv.imfrombytes(data, backend=self.imdecode_backend)

    def transform(self, results: dict) -> dict:
        if 'flow_path' not in results:
            raise KeyError(
                f'LoadFrameAndFlow: sample {results.get("img_path")} has no '
                '"flow_path"; use VOSDataset (or set it for inference)')
        frame = self._read_bgr(results['img_path'])
        flow = self._read_bgr(results['flow_path'])
        if frame.shape != flow.shape:
            raise ValueError(
                f'frame {results["img_path"]} is {frame.shape[1]}x'
                f'{frame.shape[0]} but its flow image {results["flow_path"]} '
                f'is {flow.shape[1]}x{flow.shape[0]}; they must have the '
                'same size')
        img = concat_channels([frame, flow])
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(imdecode_backend='
                f'{self.imdecode_backend!r})')


@TRANSFORMS.register_module()
class LoadBinaryAnnotations(LoadAnnotations):
    """MMSeg's ``LoadAnnotations`` for binary object masks.

    Any nonzero pixel is the object (label 1), so 0/1, 0/255 and palette
    masks with several object ids all give the same {0, 1} map.
    """

    def _load_seg_map(self, results: dict) -> None:
        path = results.get('seg_map_path')
        try:
            # A truncated mask would decode to a partly empty one: check the
            # bytes first (masks are small; MMSeg reads them again).
            check_image_bytes(fileio.get(path, backend_args=self.backend_args),
                              f'mask {path}')
            super()._load_seg_map(results)
        except (FileNotFoundError, AttributeError) as err:
            raise FileNotFoundError(
                f'cannot read mask {results.get("seg_map_path")}: {err}'
            ) from err
        results['gt_seg_map'] = (results['gt_seg_map'] > 0).astype(np.uint8)
