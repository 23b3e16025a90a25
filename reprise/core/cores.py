"""The machine's cores as slots shared by every Reprise process: never more computing processes than cores.

A stage computes while it holds a slot, and a stage that runs side by side (:mod:`reprise.core.jobs`)
holds one more for every further worker. A slot is an exclusive lock (``fcntl.flock``) on one of as
many files as this process may use cores, in a folder every Reprise process of the user shares
(``REPRISE_CORES_DIR``; by default ``<tmp>/reprise-cores-<uid>``). So two stages started side by
side (two ``dvc repro`` in two clones, or ``dvc queue start -j N`` with queued experiments) share
the cores instead of each taking them all: the second waits for a free slot, and a stage that
would run workers side by side gets as many as are free. The operating system drops a lock when
its process ends, however it ends, so a killed stage never keeps a core.

Slots decide how many processes run at once, never how a run computes: each run's thread count
comes from the ``jobs`` param alone, so its result is the same whatever else the machine runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

CORES_DIR_ENV = "REPRISE_CORES_DIR"
POLL_SECONDS = 0.2


def cores_dir() -> Path:
    """The folder of the slot files (``REPRISE_CORES_DIR``, or one a user under the temporary folder)."""
    return Path(os.environ.get(CORES_DIR_ENV) or Path(tempfile.gettempdir()) / f"reprise-cores-{os.getuid()}")


def core_count() -> int:
    """Cores this process may run on."""
    return len(os.sched_getaffinity(0))


class Slots:
    """The slots this process holds; :func:`held` is the one object of a process."""

    def __init__(self) -> None:
        self.files: list = []

    def take(self, wanted: int, wait: bool) -> int:
        """Take up to ``wanted`` more free slots; with ``wait``, wait until at least one is free.
        Returns how many were taken."""
        folder = cores_dir()
        folder.mkdir(parents=True, exist_ok=True)
        taken, told = 0, False
        while True:
            for index in range(core_count()):
                if taken == wanted:
                    return taken
                handle = open(folder / f"core-{index}", "a")
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:  # held by another process, or by this one through another handle
                    handle.close()
                    continue
                self.files.append(handle)
                taken += 1
            if taken or not wait:
                return taken
            if not told:
                print(f"waiting for a free core: other Reprise processes hold all {core_count()} ({folder})", file=sys.stderr, flush=True)
                told = True
            time.sleep(POLL_SECONDS)

    def give_back(self, count: int) -> None:
        """Release the ``count`` slots taken last."""
        for _ in range(count):
            handle = self.files.pop()
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()


_HELD = Slots()


@contextlib.contextmanager
def computing() -> Iterator[None]:
    """Hold one slot while the block runs (waiting for one if every core is busy); nothing to
    take if this process holds one already."""
    taken = 0 if _HELD.files else _HELD.take(1, wait=True)
    try:
        yield
    finally:
        _HELD.give_back(taken)


@contextlib.contextmanager
def side_by_side(workers: int) -> Iterator[int]:
    """How many of ``workers`` processes may run now: the slot this process holds (taken, waiting
    if need be, when it holds none) and as many more as are free, up to ``workers``. The
    workers' slots are given back when the block ends."""
    with computing():
        extra = _HELD.take(max(0, workers - 1), wait=False)
        try:
            yield 1 + extra
        finally:
            _HELD.give_back(extra)
