"""The one error type that Reprise raises for bad user input.

Every message is a single line that names the offending file or value and the fix, so that a
stage script can print it as-is and exit without a traceback.
"""


class InputError(ValueError):
    """Bad input: a missing path, a corrupt image, NaN features, an impossible parameter."""
