"""Normalisation of the 6-channel frame+flow stack."""
from typing import Any, Dict, Sequence

import torch
from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class FrameFlowDataPreProcessor(SegDataPreProcessor):
    """``SegDataPreProcessor`` for a frame stacked with its flow image.

    MMSeg's preprocessor accepts 1 or 3 mean/std values; HFAN's input has 6
    channels: a BGR frame and a BGR flow image, as loaded by OpenCV. Each half
    is converted to RGB (``bgr_to_rgb``) and normalised on its own, with
    ``mean``/``std`` given either once (3 values, used for both halves, as
    published: ImageNet statistics) or per channel (6 values, frame first).
    Padding, stacking and test-time padding are MMSeg's.

    Shapes:
        inputs: list of (6, H, W) uint8 tensors -> (B, 6, H', W') float
    """

    def __init__(self,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 bgr_to_rgb: bool = True,
                 **kwargs):
        if kwargs.pop('rgb_to_bgr', False):
            raise ValueError('FrameFlowDataPreProcessor supports bgr_to_rgb '
                             'only (images are loaded as BGR)')
        super().__init__(mean=None, std=None, **kwargs)
        self.bgr_to_rgb = bgr_to_rgb
        mean, std = list(mean), list(std)
        for name, values in (('mean', mean), ('std', std)):
            if len(values) not in (3, 6):
                raise ValueError(
                    f'FrameFlowDataPreProcessor.{name} needs 3 values (one '
                    'per colour channel, shared by frame and flow) or 6 '
                    f'(frame then flow), got {len(values)}: {values}')
        mean = mean * 2 if len(mean) == 3 else mean
        std = std * 2 if len(std) == 3 else std
        # float32 whatever the config wrote (mean=[0, 0, 0] is integers)
        self.register_buffer(
            'frame_flow_mean',
            torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1), False)
        self.register_buffer(
            'frame_flow_std',
            torch.tensor(std, dtype=torch.float32).view(-1, 1, 1), False)

    def normalize(self, inputs: Tensor) -> Tensor:
        """(6, H, W) BGR frame+flow -> (6, H, W) normalised RGB frame+flow."""
        if inputs.dim() != 3 or inputs.size(0) != 6:
            raise ValueError(
                'FrameFlowDataPreProcessor expects (6, H, W) inputs (a frame '
                'and its flow image stacked on channels, frame first); got '
                f'shape {tuple(inputs.shape)}. Use the LoadFrameAndFlow '
                'transform to load samples.')
        if self.bgr_to_rgb:
            inputs = inputs[[2, 1, 0, 5, 4, 3]]
        if inputs.dtype != torch.uint8:
            inputs = inputs.float()
        # uint8 - float32 is computed in float32 as `inputs.float() - mean`
        # would be, without the float copy; the division in place: two
        # passes over the sample instead of three, the same values
        return torch.sub(inputs, self.frame_flow_mean).div_(
            self.frame_flow_std)

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        data = self.cast_data(data)
        data['inputs'] = [self.normalize(x) for x in data['inputs']]
        return super().forward(data, training)
