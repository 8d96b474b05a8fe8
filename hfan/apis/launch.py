"""Former home of the command-line helpers, now :mod:`hfan.utils.launch`.

Kept only so that ``tools/convert_checkpoint.py`` (moving in a parallel
change) keeps working; import from :mod:`hfan.utils.launch` instead. Remove
this file once nothing imports it.
"""
from hfan.utils.launch import add_cfg_options  # noqa: F401
