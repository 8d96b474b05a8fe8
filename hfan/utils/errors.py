"""The project's own exception for a problem with the user's input or output.

Library code raises :class:`HFANError` (or a subclass) with a message that
names the file, key or value and what would be accepted; the command-line
package (:mod:`hfan.cli`) reports it as one line, without a traceback.
"""


class HFANError(Exception):
    """A problem with an input or an output, explained by its message."""
