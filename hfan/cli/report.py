"""How every command of the project reports a problem.

A command's ``main`` raises; :func:`run_cli` turns what it raised into one
or two lines on stderr (``<tool>: error: <message>``) and a non-zero exit
status, with no traceback: a traceback tells a user nothing the message
does not, and hides the message under library frames. ``HFAN_DEBUG=1`` in
the environment re-raises instead, for developers.

Messages come from the exceptions themselves, so they must name the file,
key or value and what would be accepted (the library's own kind is
:class:`~hfan.utils.errors.HFANError`; ``FileNotFoundError``,
``ValueError``... raised with such a message are reported the same way).
"""
import os
import sys
from typing import Callable, Optional, Sequence

from hfan.utils.errors import HFANError

#: Environment variable that shows the traceback of a reported error.
DEBUG_ENV = 'HFAN_DEBUG'

# Exceptions whose message is meant for the user. Anything else is reported
# too (a user never needs a traceback), with its type and a pointer to
# HFAN_DEBUG, since it is likely a bug worth reporting.
_EXPECTED = (OSError, ValueError, KeyError, TypeError, RuntimeError,
             ImportError, EOFError)


class CLIError(HFANError):
    """A problem with a command's arguments, reported without a traceback.
    The message names the option or value and what would be accepted."""


class InputError(CLIError):
    """A problem with a command's input where its published exit status is
    2 (the evaluators, summarize_runs), not 1; :func:`run_cli` returns
    the ``exit_status`` of the error it reports."""

    exit_status = 2


def debug_enabled() -> bool:
    """Whether ``HFAN_DEBUG`` asks for tracebacks."""
    return os.environ.get(DEBUG_ENV, '').strip().lower() not in ('', '0',
                                                                   'false',
                                                                   'no')


def error_message(err: BaseException) -> str:
    """The user-facing text of ``err`` (one or two lines)."""
    if isinstance(err, KeyError) and err.args:
        text = str(err.args[0])
    else:
        text = str(err)
    if isinstance(err, OSError) and err.filename and \
            str(err.filename) not in text:
        text = f'{text}: {err.filename}'
    if not text:
        text = type(err).__name__
    if not isinstance(err, (HFANError, ) + _EXPECTED):
        text = f'{type(err).__name__}: {text}'
    return text


def report(prog: str, err: BaseException) -> None:
    """Print ``err`` as ``<prog>: error: ...`` on stderr."""
    text = error_message(err)
    if not isinstance(err, (HFANError, ) + _EXPECTED):
        text += f'\n(set {DEBUG_ENV}=1 to see the traceback)'
    print(f'{prog}: error: {text}', file=sys.stderr)


def run_cli(main: Callable, argv: Optional[Sequence[str]] = None,
            prog: Optional[str] = None) -> int:
    """Run ``main(argv)`` and return its exit status.

    An int result is the status; any other result (e.g. the metrics a
    tool's ``main`` returns to its callers) is success. An exception is
    reported by :func:`report` and gives 1 (``KeyboardInterrupt``: 130);
    ``SystemExit`` (argparse's usage errors, exit 2) passes through; an
    error with an ``exit_status`` (:class:`InputError`) gives that.
    """
    prog = prog or os.path.basename(sys.argv[0]) or 'hfan'
    try:
        result = main(argv)
    except KeyboardInterrupt:
        if debug_enabled():
            raise
        print(f'{prog}: interrupted', file=sys.stderr)
        return 130
    except Exception as err:  # noqa: B902 -- every error is reported
        if debug_enabled():
            raise
        report(prog, err)
        return getattr(err, 'exit_status', 1)
    return result if isinstance(result, int) else 0
