"""The error of the inference engine (:mod:`hfan.infer`)."""
from hfan.utils.errors import HFANError


class InferenceError(HFANError):
    """A problem with the run's inputs or outputs, named in the message."""
