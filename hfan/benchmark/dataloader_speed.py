"""Data-loading speed of a config's training pipeline, in frames/s:
``dataset[i]`` in this process (decoding frame, flow and mask, the random
resize / crop / flip, photometric distortion, packing), or a real
DataLoader with worker processes."""
import time
from typing import Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

import hfan  # noqa: F401 -- registers the project's datasets, transforms
from hfan.apis import load_config


def build_train_dataset(config: str,
                        cfg_options: Optional[dict] = None
                        ) -> Tuple[Config, object]:
    """The config (with ``cfg_options`` merged) and its
    ``train_dataloader.dataset``, built."""
    cfg = load_config(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return cfg, DATASETS.build(cfg.train_dataloader.dataset)


def time_in_process(dataset, indices: Sequence[int]) -> float:
    """Frames/s of ``dataset[i]`` for each of ``indices``, one process."""
    start = time.perf_counter()
    for i in indices:
        dataset[int(i)]
    return len(indices) / (time.perf_counter() - start)


def time_dataloader(dataset, samples: int, workers: int,
                    batch_size: int) -> float:
    """Frames/s of a DataLoader drawing ``samples`` random samples with
    ``workers`` worker processes (their start-up included)."""
    from mmengine.dataset import pseudo_collate
    from torch.utils.data import DataLoader, RandomSampler
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=RandomSampler(dataset, num_samples=samples),
        num_workers=workers,
        collate_fn=pseudo_collate)
    start = time.perf_counter()
    n = sum(len(batch['inputs']) for batch in loader)
    return n / (time.perf_counter() - start)
