"""Evaluation: DAVIS-16 J/F (``davis``), VSOD S/E/F/MAE (``vsod``), reading
mask trees (``io``), checking output paths (``outputs``), summarising
training runs from their logs (``runs``) and the MMSeg metric ``VOSMetric``.

The command-line front ends are :mod:`hfan.cli.eval_vos` and
:mod:`hfan.cli.eval_vsod` (``tools/eval_vos.py``, ``tools/eval_vsod.py``);
the protocol is documented in docs/evaluation.md, the sparse benchmarks'
protocols (``annotated``, class means) in docs/sparse_benchmarks.md.
pysodmetrics is imported only when VSOD measures are computed.
"""
from .classes import add_class_means, class_of, read_class_map
from .davis import (
                    BOUND_TH,
                    METRIC_KEYS,
                    PROTOCOLS,
                    RESIZE_MODES,
                    boundary_radius,
                    decay_bins,
                    disk_kernel,
                    evaluate_davis,
                    evaluated_frames,
                    f_measure,
                    format_davis_table,
                    frame_scores,
                    jaccard,
                    resize_nearest,
                    score_sequence,
                    seg2bmap,
                    sequence_stats,
                    summarize,
)
from .io import (
                    LAYOUTS,
                    detect_mask_tree_layout,
                    gt_mask,
                    list_sequences,
                    pair_frames,
                    prediction_mask,
                    read_sequence_list,
                    write_csv,
                    write_json,
)
from .parallel import default_workers, map_sequences
from .vos_metric import VOSMetric
from .vsod import (
                    PRED_MODES,
                    VSOD_KEYS,
                    evaluate_vsod,
                    evaluate_vsod_sequence,
                    format_vsod_table,
                    frame_measures,
                    gt_from_image,
                    prediction_saliency,
                    saliency_from_image,
                    summarize_vsod,
                    toolbox_thresholds,
)

__all__ = [
    'BOUND_TH', 'METRIC_KEYS', 'PROTOCOLS', 'LAYOUTS', 'VSOD_KEYS',
    'boundary_radius', 'decay_bins', 'disk_kernel', 'seg2bmap', 'jaccard',
    'f_measure', 'frame_scores', 'sequence_stats', 'evaluated_frames',
    'summarize', 'evaluate_davis', 'format_davis_table',
    'detect_mask_tree_layout', 'list_sequences', 'pair_frames',
    'read_sequence_list', 'write_json', 'write_csv',
    'default_workers', 'map_sequences',
    'VOSMetric', 'evaluate_vsod', 'evaluate_vsod_sequence', 'frame_measures',
    'gt_from_image', 'saliency_from_image', 'summarize_vsod',
    'toolbox_thresholds', 'format_vsod_table', 'RESIZE_MODES',
    'PRED_MODES', 'score_sequence', 'resize_nearest', 'prediction_mask',
    'gt_mask', 'prediction_saliency', 'add_class_means', 'class_of',
    'read_class_map'
]
