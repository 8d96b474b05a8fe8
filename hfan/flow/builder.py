"""Build a flow estimator by name."""
from .base import FlowEstimator
from .dis import DISFlow
from .raft import RAFTFlow

#: estimator classes by name
FLOW_ESTIMATORS = {'dis': DISFlow, 'raft': RAFTFlow}


def build_flow_estimator(name: str = 'dis', **kwargs) -> FlowEstimator:
    """Build a :class:`FlowEstimator` by name.

    Args:
        name: ``'dis'`` (OpenCV DIS, the default) or ``'raft'`` (RAFT-large:
            original ``raft-things.pth`` or torchvision weights).
        **kwargs: passed to the estimator's constructor, e.g.
            ``preset='fast'`` for DIS, ``weights='raft.pth', device='cuda'``
            for RAFT. ``None`` values are dropped, so command-line defaults
            can be passed as they are.
    """
    try:
        cls = FLOW_ESTIMATORS[name.lower()]
    except KeyError:
        raise ValueError(f'unknown flow estimator {name!r}; choose one of '
                         f'{sorted(FLOW_ESTIMATORS)}') from None
    return cls(**{k: v for k, v in kwargs.items() if v is not None})
