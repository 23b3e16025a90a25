"""What every stage script shares: give it the params it declares, typed (:mod:`reprise.core.settings`),
run it while it holds one of the machine's cores (:mod:`reprise.core.cores`), and turn bad input into a one-line
error; and a stage's processes, when it trains or extracts on several (:mod:`reprise.core.distributed`).

A stage on several processes is one DVC stage with one launcher: DVC runs its command, and the
stage, when ``distributed.processes`` is above one and it was not itself started by torchrun,
runs again under torchrun on that many processes of this machine and exits with their code.
Each process that stops on bad input leaves its message in a folder the launcher made, and the
launcher prints it once (the processes usually fail alike)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from reprise.core.cores import computing
from reprise.core.errors import InputError
from reprise.core.messages import error
from reprise.core.params import load_params
from reprise.core.settings import StageParams, as_reads

ERRORS_ENV = "REPRISE_ERRORS"  # the folder where a launched stage's processes leave their one-line errors
CLOCK_ENV = "REPRISE_STAGE_CLOCK"  # a file where each stage adds a line: its start-up and its work (benchmarks/repro_profile.py)


def run_stage(main: Callable[[StageParams], None], reads, several: bool = False) -> None:
    """Call ``main`` with the params the stage ``reads`` (its ``READS``: sections, some of their
    keys, or top-level values; each section checked and resolved when first read), on
    ``distributed.processes`` processes for a stage that can run on ``several`` (it then reads
    ``distributed``); on :class:`InputError` print ``error: <message>`` on a line of its own and
    exit 2. A key written with ``${key}`` (``zoo.members.${key}``) is the entry named by the
    stage's argument, which must be one. ``reads`` may be a mapping from the stage's argument
    (``baseline``, ``reuse``) to what the stage reads with it."""
    try:
        argument = sys.argv[1] if len(sys.argv) > 1 else None
        if isinstance(reads, dict):
            if argument not in reads or len(sys.argv) != 2:
                raise InputError(f"usage: python -m {_script()} {'|'.join(reads)}")
            reads = reads[argument]
        reads = [as_reads(entry) for entry in reads]
        files = {name: load_params(name) for name in dict.fromkeys(entry.settings.params_file for entry in reads)}
        _check_argument(reads, files, argument)
        params = StageParams(files, reads, argument)
        code = launch(params.distributed.processes, sys.argv[1:]) if several else None
        if code is not None:
            sys.exit(code)
        started = time.perf_counter()
        startup = _seconds_since_process_start()
        with computing() if "LOCAL_RANK" not in os.environ else contextlib.nullcontext():  # torchrun's processes: the launcher's choice
            main(params)
        _clock(startup, time.perf_counter() - started)
    except InputError as exc:
        if ERRORS_ENV in os.environ:  # one of a launched stage's processes: the launcher prints it
            Path(os.environ[ERRORS_ENV], f"rank{os.environ.get('RANK', '0')}.txt").write_text(str(exc))
        else:
            error(str(exc))
        sys.exit(2)


def _seconds_since_process_start() -> float:
    """How long ago this process started (Linux: from /proc; 0 elsewhere)."""
    try:
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def _clock(startup: float, work: float) -> None:
    """Add this stage's start-up (interpreter, imports, params) and work seconds to the file
    ``REPRISE_STAGE_CLOCK`` names, when it names one."""
    if CLOCK_ENV in os.environ:
        with open(os.environ[CLOCK_ENV], "a") as f:
            f.write(json.dumps({"stage": _script().removeprefix("stages."), "argument": sys.argv[1] if len(sys.argv) > 1 else None,
                                "startup_seconds": round(startup, 3), "work_seconds": round(work, 3)}) + "\n")


def _check_argument(reads, files: dict, argument: str | None) -> None:
    """The stage's argument names an entry of the mapping that a ``${key}`` key reads."""
    for entry in reads:
        for key in entry.keys or ():
            if "${key}" not in key:
                continue
            parent = key.split(".${key}")[0]
            mapping = files[entry.settings.params_file].get(entry.settings.section)
            for name in parent.split("."):
                mapping = mapping.get(name) if isinstance(mapping, dict) else None
            names = list(mapping) if isinstance(mapping, dict) else []
            if argument not in names:
                raise InputError(f"usage: python -m {_script()} <name>, one of {', '.join(names)} ({entry.settings.section}.{parent})")


def _script() -> str:
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    return spec.name if spec is not None else "stages.<stage>"


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
