"""Raw (uncoloured) flow files: Middlebury ``.flo`` and NumPy ``.npy``.

``.flo`` goes through mmcv's ``flowread`` / ``flowwrite`` (the Middlebury
format: the float32 tag 202021.25, i.e. the bytes ``PIEH``, then int32
width and height, then row-major float32 ``(dx, dy)`` pairs).
"""
import os
from typing import Union

import numpy as np
from mmcv.video import flowread, flowwrite

#: raw flow formats by file extension
RAW_FLOW_FORMATS = ('flo', 'npy')


def _format(path: Union[str, os.PathLike]) -> str:
    ext = os.path.splitext(os.fspath(path))[1].lstrip('.').lower()
    if ext not in RAW_FLOW_FORMATS:
        raise ValueError(f'{path}: unknown flow file type; use one of '
                         f'{[f".{e}" for e in RAW_FLOW_FORMATS]}')
    return ext


def write_flow(path: Union[str, os.PathLike], flow: np.ndarray) -> None:
    """Write a ``(H, W, 2)`` flow as float32 ``.flo`` or ``.npy`` (by
    extension)."""
    flow = np.asarray(flow, dtype=np.float32)
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f'expected a flow of shape (H, W, 2), got '
                         f'{flow.shape}')
    if _format(path) == 'flo':
        flowwrite(flow, os.fspath(path))
    else:
        with open(path, 'wb') as f:  # a file object: np.save adds no suffix
            np.save(f, flow)


def read_flow(path: Union[str, os.PathLike]) -> np.ndarray:
    """Read a ``.flo`` or ``.npy`` flow as float32 ``(H, W, 2)``."""
    if _format(path) == 'flo':
        return flowread(os.fspath(path))
    flow = np.load(path, allow_pickle=False)
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f'{path}: not a flow of shape (H, W, 2) but '
                         f'{flow.shape}')
    return flow.astype(np.float32, copy=False)
