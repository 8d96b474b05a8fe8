"""Pictures of HFAN's results, all BGR ``uint8`` (what OpenCV reads and
writes); used by ``infer.py --overlay``, the app and
``tools/visualize_*.py``.

    masks         mask overlays (the published red tint and outline),
                  probability heat maps, masks as panels
    panels        labelled side-by-side panels and grids
    feature_maps  encoder feature maps by channel mean, norm or PCA
    fusion_features  the frame / flow features around FAM and FAT,
                  recorded in a forward pass and drawn as a grid
"""
from .feature_maps import FEATURE_MODES, feature_maps_to_images
from .fusion_features import (
    FusionRecorder,
    level_images,
    plot_fusion_features,
    read_frame_and_flow,
)
from .masks import RED, overlay_mask, probability_heatmap
from .panels import add_label, grid, hstack_panels, resize_to_height

__all__ = [
    'FEATURE_MODES', 'RED', 'add_label', 'feature_maps_to_images', 'grid',
    'hstack_panels', 'overlay_mask', 'probability_heatmap',
    'resize_to_height', 'FusionRecorder', 'level_images',
    'plot_fusion_features', 'read_frame_and_flow'
]
