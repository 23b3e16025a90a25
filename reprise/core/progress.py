"""Progress bars for long loops: live in a terminal, a line every few seconds in a log file."""

from __future__ import annotations

import sys

from tqdm import tqdm


class _Bar(tqdm):
    """A tqdm bar whose postfix is shown at the next scheduled redraw instead of forcing one:
    tqdm's own ``set_postfix`` redraws at once, which in a log file is one line per call."""

    def set_postfix(self, ordered_dict=None, refresh: bool = False, **kwargs) -> None:
        super().set_postfix(ordered_dict, refresh=refresh, **kwargs)


def progress_bar(total: int, desc: str, unit: str, enabled: bool = True) -> tqdm:
    """A tqdm bar on stderr; redrawn at most every 5 s when stderr is not a terminal (DVC logs)."""
    interactive = sys.stderr.isatty()
    return _Bar(total=total, desc=desc, unit=unit, disable=not enabled, mininterval=0.1 if interactive else 5.0, dynamic_ncols=interactive)
