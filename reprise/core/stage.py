"""What every stage script shares: load params, run, and turn bad input into a one-line error."""

from __future__ import annotations

import sys
from typing import Callable

from reprise.core.errors import InputError
from reprise.core.messages import error
from reprise.core.params import load_params


def run_stage(main: Callable[[dict], None]) -> None:
    """Call ``main(params)``; on :class:`InputError` print ``error: <message>`` on a line of its
    own and exit 2."""
    try:
        main(load_params())
    except InputError as exc:
        error(str(exc))
        sys.exit(2)
