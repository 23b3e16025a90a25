"""The one error type that Reprise raises for bad user input.

Every message is a single line that names the offending file or value and the fix, so that a
stage script can print it as-is and exit without a traceback.
"""


class InputError(ValueError):
    """Bad input: a missing path, a corrupt image, NaN features, an impossible parameter."""


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of an exception's message, at most ``limit`` characters, or its type's name
    when the message is empty (a library's error quoted inside a one-line message)."""
    lines = str(exc).strip().splitlines()
    return lines[0][:limit] if lines else type(exc).__name__
