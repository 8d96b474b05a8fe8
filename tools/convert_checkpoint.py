"""Convert an HFAN checkpoint to this project's layout, weights only.

    # released file -> this project's layout (loads with mmseg's init_model)
    python tools/convert_checkpoint.py checkpoint/HFAN-s-converted.pth \\
        checkpoint/hfan_small_mmseg1x.pth \\
        --config local_configs/hfan/hfan.small.512x512.refine.py

The layout, select_method, MiT size and decoder width are detected from the
keys and shapes and printed. With ``--config`` the result is checked
against the model built from that config (strict key and shape match) and
nothing is written on a mismatch. A bare MiT (SegFormer's ImageNet
``mit_b*.pth``) is written with MMSeg's MiT names. The output holds
``state_dict`` and a ``meta`` (dataset_meta = classes and palette, what
``init_model`` reads) that ``torch.load(weights_only=True)`` accepts; it is
written atomically (temporary file, then ``os.replace``). A source that only
a full unpickling can read is refused unless ``--trust-checkpoint`` is given:
converting such a file once is how it becomes loadable weights-only.
"""
import sys

from hfan.cli.convert_checkpoint import main

if __name__ == '__main__':
    sys.exit(main())
