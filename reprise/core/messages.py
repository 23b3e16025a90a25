"""One-line messages on stderr: ``warning: ...`` for a result to doubt, ``error: ...`` for bad
input that stops a stage or a command. Each starts a line of its own, even while a progress bar
(:mod:`reprise.core.progress`) is drawn."""

from __future__ import annotations

import sys

from tqdm import tqdm


def warn(message: str) -> None:
    """Print ``warning: <message>``, clearing and redrawing any progress bar around it."""
    tqdm.write(f"warning: {message}", file=sys.stderr)


def error(message: str) -> None:
    """Print ``error: <message>`` after closing every open progress bar (which ends its line)."""
    for bar in list(tqdm._instances):  # tqdm's registry of the bars not yet closed
        bar.close()
    print(f"error: {message}", file=sys.stderr)
