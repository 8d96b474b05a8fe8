"""J / F of one segmented clip against its ground truth, with the DAVIS-16
measures of :mod:`hfan.evaluation` (what ``tools/demo.py`` prints)."""
import os
import os.path as osp

from hfan.evaluation.davis import BOUND_TH, score_sequence, summarize


def score_clip(pred_dir: str, gt_dir: str,
               protocol: str = 'davis16') -> dict:
    """Score the masks of one clip against its ground truth.

    Args:
        pred_dir: the predicted masks, ``<frame>.png`` (e.g. the
            ``<output_dir>-DAVIS-16/<video>`` folder of :func:`run`).
        gt_dir: the ground-truth masks, ``<frame>.png``; each needs its
            prediction of the same name (predictions of other frames are not
            scored).
        protocol: which frames count (:func:`hfan.evaluation.summarize`);
            ``'davis16'``: all but the first and the last.

    Returns:
        the dict of :func:`hfan.evaluation.summarize` for one sequence,
        ``'clip'``: ``J_mean``, ``F_mean``, ``JF_mean`` ... as fractions and
        ``num_frames_evaluated``.

    Raises:
        FileNotFoundError: ``gt_dir`` holds no ``*.png``, or a prediction is
            missing (named, with the number of ground-truth masks).
        ValueError: a prediction and its ground truth differ in size, or a
            file is unreadable.
    """
    gt_files = sorted(f for f in os.listdir(gt_dir) if f.endswith('.png'))
    if not gt_files:
        raise FileNotFoundError(f'no ground-truth masks (*.png) in {gt_dir}')
    pairs = []
    for name in gt_files:
        pred_path = osp.join(pred_dir, name)
        if not osp.isfile(pred_path):
            raise FileNotFoundError(
                f'{pred_path} is missing: the ground truth {gt_dir} has '
                f'{len(gt_files)} masks, the video fewer frames?')
        pairs.append((osp.splitext(name)[0], pred_path,
                      osp.join(gt_dir, name)))
    scores = score_sequence((pairs, BOUND_TH, protocol))
    return summarize({'clip': (scores['J'], scores['F'])}, protocol)
