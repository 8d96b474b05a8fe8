"""Defaults shared by the library and every command: the demo model's files
and the device to run on. One source, so the commands cannot drift apart."""
import os.path as osp

#: The repository root (the configs, the demo model and the demo clip lie
#: below it; ``pip install -e .`` keeps them there).
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: The shipped demo model: its config and its checkpoint.
DEMO_CONFIG = osp.join(REPO_ROOT, 'local_configs', 'hfan', 'hfan_demo.py')
DEMO_CHECKPOINT = osp.join(REPO_ROOT, 'checkpoint', 'hfan_demo.pth')
#: The bundled clip (a DAVIS-16 val video, never trained on, downscaled)
#: and its ground-truth masks.
DEMO_VIDEO_NAME = 'blackswan'
DEMO_FRAMES = osp.join(REPO_ROOT, 'demo', 'frames', DEMO_VIDEO_NAME)
DEMO_MASKS = osp.join(REPO_ROOT, 'demo', 'masks', DEMO_VIDEO_NAME)


def default_device() -> str:
    """``cuda:0`` when CUDA is available, else ``cpu``."""
    import torch
    return 'cuda:0' if torch.cuda.is_available() else 'cpu'
