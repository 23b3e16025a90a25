import os

import pytest
import torch

from reprise.core.errors import InputError
from reprise.core.jobs import job_count, run_jobs


def seeded_draw(seed: int, size: int) -> tuple[int, list[float], int]:
    """A run that seeds itself: its result must not depend on the worker that runs it."""
    torch.manual_seed(seed)
    return os.getpid(), torch.rand(size).tolist(), torch.get_num_threads()


def refuse(value: int) -> int:
    if value == 2:
        raise InputError("run 2 refused its input")
    return value


def test_runs_side_by_side_give_the_sequential_results_in_order():
    runs = [(seed, 3) for seed in range(4)]
    alone = run_jobs(seeded_draw, runs, 1)
    side_by_side = run_jobs(seeded_draw, runs, 2)
    assert [draw for _, draw, _ in side_by_side] == [draw for _, draw, _ in alone]
    assert {pid for pid, _, _ in side_by_side} != {os.getpid()}  # ran in the workers
    assert all(threads == max(1, torch.get_num_threads() // 2) for _, _, threads in side_by_side)


def test_an_error_in_a_run_is_raised_by_the_caller():
    with pytest.raises(InputError, match="run 2 refused its input"):
        run_jobs(refuse, [(1,), (2,), (3,)], 2)


def test_job_count():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert job_count("auto", 1, cpu, "embedded") == 1
    assert job_count("auto", 50, cpu, "embedded") == len(os.sched_getaffinity(0))
    assert job_count("auto", 50, cuda, "embedded") == 1 and job_count("auto", 50, cpu, "real") == 1
    assert job_count(3, 2, cpu, "real") == 2
    with pytest.raises(InputError, match="jobs must be auto or a positive number of processes, got 0"):
        job_count(0, 5, cpu, "embedded")
