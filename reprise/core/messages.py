"""One-line messages on stderr: ``warning: ...`` for a result to doubt, ``error: ...`` for bad
input that stops a stage or a command. Each starts a line of its own, even while a progress bar
(:mod:`reprise.core.progress`) is drawn, and stays on it: a line break inside (a file name may hold
one) is printed as ``\\n``."""

from __future__ import annotations

import sys

from tqdm import tqdm


def warn(message: str) -> None:
    """Print ``warning: <message>``, clearing and redrawing any progress bar around it."""
    tqdm.write(f"warning: {one_line(message)}", file=sys.stderr)


def error(message: str) -> None:
    """Print ``error: <message>`` after closing every open progress bar (which ends its line)."""
    for bar in list(tqdm._instances):  # tqdm's registry of the bars not yet closed
        bar.close()
    print(f"error: {one_line(message)}", file=sys.stderr)


def one_line(message: str) -> str:
    """``message`` with its line breaks escaped."""
    return message.replace("\r", "\\r").replace("\n", "\\n")
