"""The error of the inference engine (:mod:`hfan.infer`)."""
from hfan.utils.cli import CLIError


class InferenceError(CLIError):
    """A problem with the command's inputs: reported without a traceback."""
