"""Independent runs of one stage (a seed, a learning rate, a target) on every core at once.

A small network trained on batches of 32 keeps one core about as busy as two (on the 2-core
machine: 60 steps/s on one thread, 56 on two), so a stage with several such runs finishes
sooner running them side by side, one thread each, than one after another on all threads.
:func:`run_jobs` does that with a pool of worker processes started from a fork server that has
imported the runs' module once, so a worker starts in a fraction of a second. The machine's
cores are shared with every other Reprise process (:mod:`reprise.core.cores`): the pool starts
only as many workers as there are free cores, and when only one is free the runs go one after
another in this process. Every run seeds itself and gets the threads the ``jobs`` param gives it
(``jobs`` processes' share of the cores), however many run at once, so its result depends
neither on which worker ran it, nor when, nor on what else the machine runs; it does depend, in
its last bits, on that thread count, so the ``jobs`` param is declared by every stage that reads it.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence

import torch

from reprise.core.cores import side_by_side
from reprise.core.distributed import processes
from reprise.core.errors import InputError
from reprise.core.progress import progress_bar


def job_count(jobs, runs: int, device: torch.device, mode: str) -> int:
    """Worker processes for ``runs`` runs: ``auto`` is one per core (at most one per run) for the
    embedded world's small networks on the CPU, else 1: a GPU's runs would only queue for it, and
    real mode's networks use every thread well and need the memory (LGC's Jacobians of a ResNet
    take gigabytes a run). A number is taken as given. Under torchrun it is 1: the processes
    already share every run's work."""
    if processes().several:
        return 1
    if jobs == "auto":
        return 1 if device.type == "cuda" or mode != "embedded" else max(1, min(len(os.sched_getaffinity(0)), runs))
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InputError(f"jobs must be auto or a positive number of processes, got {jobs!r}")
    return min(jobs, max(runs, 1))


def run_jobs(function: Callable, arguments: Sequence[tuple], jobs: int, desc: str = "runs") -> list:
    """``[function(*a) for a in arguments]``, each run with ``1 / jobs`` of this process's threads,
    on up to ``jobs`` worker processes: as many as the machine has free cores, one after another
    in this process when that is one. ``function`` must be importable (a module-level function)
    and its arguments picklable. An error in a run is raised here."""
    if jobs <= 1 or len(arguments) <= 1:
        return [function(*a) for a in arguments]
    threads = max(1, torch.get_num_threads() // jobs)
    with side_by_side(jobs) as workers:
        bar = progress_bar(len(arguments), f"{desc} ({workers} process{'es' if workers > 1 else ''})", "run")
        if workers == 1:
            results = _one_after_another(function, arguments, threads, bar)
        else:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([function.__module__])
            with ProcessPoolExecutor(workers, mp_context=context, initializer=torch.set_num_threads, initargs=(threads,)) as pool:
                futures = [pool.submit(function, *a) for a in arguments]
                results = []
                for future in futures:
                    results.append(future.result())
                    bar.update()
        bar.close()
    return results


def _one_after_another(function: Callable, arguments: Sequence[tuple], threads: int, bar) -> list:
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        results = []
        for a in arguments:
            results.append(function(*a))
            bar.update()
        return results
    finally:
        torch.set_num_threads(before)
