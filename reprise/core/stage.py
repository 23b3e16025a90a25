"""What every stage script shares: load and check params, run, and turn bad input into a one-line
error; and a stage's processes, when it trains or extracts on several (:mod:`reprise.core.distributed`).

A stage on several processes is one DVC stage with one launcher: DVC runs its command, and the
stage, when ``distributed.processes`` is above one and it was not itself started by torchrun,
runs again under torchrun on that many processes of this machine and exits with their code.
Each process that stops on bad input leaves its message in a folder the launcher made, and the
launcher prints it once (the processes usually fail alike)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Callable

from reprise.core.errors import InputError
from reprise.core.messages import error
from reprise.core.params import load_params, section
from reprise.core.schema import check_params

ERRORS_ENV = "REPRISE_ERRORS"  # the folder where a launched stage's processes leave their one-line errors


def run_stage(main: Callable[[dict], None], several: bool = False) -> None:
    """Check ``params.yaml`` against its schema and call ``main(params)``, on ``distributed.processes``
    processes for a stage that can run on ``several``; on :class:`InputError` print ``error:
    <message>`` on a line of its own and exit 2."""
    try:
        params = load_params()
        check_params(params)
        code = launch(section(params, "distributed")["processes"], sys.argv[1:]) if several else None
        if code is not None:
            sys.exit(code)
        main(params)
    except InputError as exc:
        if ERRORS_ENV in os.environ:  # one of a launched stage's processes: the launcher prints it
            Path(os.environ[ERRORS_ENV], f"rank{os.environ.get('RANK', '0')}.txt").write_text(str(exc))
        else:
            error(str(exc))
        sys.exit(2)


def launch(count: int, args: list[str]) -> int | None:
    """Run this stage with ``args`` on ``count`` processes, as ``python -m torch.distributed.run
    --standalone --nproc_per_node <count> -m stages.<name> <args>`` does, and return their exit
    code (2 after printing the first process's error, for bad input); None when there is
    nothing to launch: one process, or this one was started by torchrun."""
    if count <= 1 or "LOCAL_RANK" in os.environ:
        return None
    import logging

    from torch.distributed import run as torchrun  # here: report stages do not load torch
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

    spec = getattr(sys.modules["__main__"], "__spec__", None)
    if spec is None:
        raise InputError("a stage runs on several processes as a module: python -m stages.<name>")
    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)  # the processes' own messages say what failed
    with tempfile.TemporaryDirectory(prefix="reprise-errors-") as folder:
        os.environ[ERRORS_ENV] = folder
        try:
            torchrun.run(torchrun.parse_args(["--standalone", "--nproc_per_node", str(count), "-m", spec.name, *args]))
        except ChildFailedError as exc:
            left = sorted(Path(folder).glob("rank*.txt"))
            if left:
                error(left[0].read_text())
                return 2
            return next((f.exitcode for f in exc.failures.values() if f.exitcode > 0), 1)
        finally:
            del os.environ[ERRORS_ENV]
    return 0
