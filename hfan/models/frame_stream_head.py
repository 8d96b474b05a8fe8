"""An auxiliary head on the frame stream alone (issue 31, "objectness").

HFAN's decoder sees the frame and flow features fused at every level, so a
model can segment "what moves" from the flow and leave the frame stream to
carry little of the object. This head segments the object from the frame
stream's features only, during training: its loss (MMSeg's
``auxiliary_head``, weighted like any auxiliary loss) makes the appearance
features carry the object themselves. It is not used at test time, so the
deployed model and its speed are unchanged.
"""
from typing import Sequence

from mmseg.models.decode_heads import FCNHead
from mmseg.registry import MODELS
from torch import Tensor

from .dual_stream_encoder import split_streams


@MODELS.register_module()
class FrameStreamHead(FCNHead):
    """MMSeg's ``FCNHead`` on the frame half of a dual-stream level.

    The dual-stream encoder returns every level as a (2B, C, h, w) batch,
    the B frames then the B flows; this head takes level ``in_index`` and
    keeps its (B, C, h, w) frame half. Arguments are ``FCNHead``'s (a single
    ``in_index``; ``input_transform`` must stay ``None``).
    """

    def __init__(self, **kwargs):
        if kwargs.get('input_transform') is not None:
            raise ValueError('FrameStreamHead reads one level: '
                             "input_transform must be None, got "
                             f"{kwargs['input_transform']!r}")
        super().__init__(**kwargs)

    def _transform_inputs(self, inputs: Sequence[Tensor]) -> Tensor:
        """(2B, C, h, w) level ``in_index`` -> its (B, C, h, w) frames."""
        return split_streams(inputs[self.in_index])[0]
