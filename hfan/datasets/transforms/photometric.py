"""Photometric distortion drawn independently for the frame and the flow."""
import numpy as np
from mmseg.datasets.transforms import PhotoMetricDistortion
from mmseg.registry import TRANSFORMS

from hfan.utils.channels import concat_channels


@TRANSFORMS.register_module()
class PairedPhotoMetricDistortion(PhotoMetricDistortion):
    """MMSeg's ``PhotoMetricDistortion`` applied to each half of a 6-channel
    frame+flow image with its own random draw, as the published pipeline
    does (brightness, contrast, saturation, hue).

    Required/modified key: ``img`` (H, W, 6) uint8.
    """

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim != 3 or img.shape[2] != 6:
            raise ValueError(
                'PairedPhotoMetricDistortion expects an (H, W, 6) frame+flow '
                f'image, got shape {img.shape}')
        halves = []
        for half in (img[..., :3], img[..., 3:]):
            single = super().transform(dict(img=np.ascontiguousarray(half)))
            halves.append(single['img'])
        results['img'] = concat_channels(halves)
        return results
