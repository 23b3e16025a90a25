"""What every stage script shares: load and check params, run, and turn bad input into a one-line error."""

from __future__ import annotations

import sys
from typing import Callable

from reprise.core.errors import InputError
from reprise.core.messages import error
from reprise.core.params import load_params
from reprise.core.schema import check_params


def run_stage(main: Callable[[dict], None]) -> None:
    """Check ``params.yaml`` against its schema and call ``main(params)``; on
    :class:`InputError` print ``error: <message>`` on a line of its own and exit 2."""
    try:
        params = load_params()
        check_params(params)
        main(params)
    except InputError as exc:
        error(str(exc))
        sys.exit(2)
