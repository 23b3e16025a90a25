import os
import subprocess
import sys

import pytest
import torch
from torch import nn

from reprise.core import cores
from reprise.core.errors import InputError
from reprise.core.jobs import job_count, run_jobs
from reprise.core.training import seed_all, sgd_nesterov


@pytest.fixture(autouse=True)
def two_free_cores(tmp_path, monkeypatch):
    """Slots of a two-core machine that no other process shares (reprise.core.cores)."""
    monkeypatch.setenv(cores.CORES_DIR_ENV, str(tmp_path / "cores"))
    monkeypatch.setattr(cores, "core_count", lambda: 2)


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


def short_training(seed: int) -> tuple[int, list[torch.Tensor]]:
    """A small network trained for 20 SGD steps on seeded data, as a fine-tuning run is."""
    generator = seed_all(seed)
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 14 * 14, 10))
    optimizer = sgd_nesterov(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    for _ in range(20):
        x, y = torch.randn(32, 1, 16, 16, generator=generator), torch.randint(0, 10, (32,), generator=generator)
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return os.getpid(), [p.detach().clone() for p in model.parameters()]


def test_training_runs_give_the_same_weights_side_by_side_as_one_after_another():
    """Two free cores: two workers. One core taken by another process: the runs go one after
    another in this process. The weights are the same to the bit, and so is the thread count."""
    seeds = [(0,), (1,), (2,)]
    side_by_side = run_jobs(short_training, seeds, 2)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_ONE_CORE], env=os.environ, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        one_after_another = run_jobs(short_training, seeds, 2)
    finally:
        holder.kill()
        holder.wait()
    assert len({pid for pid, _ in side_by_side} - {os.getpid()}) == 2
    assert {pid for pid, _ in one_after_another} == {os.getpid()}
    for (_, a), (_, b) in zip(side_by_side, one_after_another):
        assert all(torch.equal(x, y) for x, y in zip(a, b))


HOLD_ONE_CORE = """
import time
from reprise.core import cores
cores.core_count = lambda: 2
held = cores.Slots()
assert held.take(1, wait=False) == 1
print("holding", flush=True)
time.sleep(600)
"""


def test_a_stage_waits_for_a_core_when_other_processes_hold_them_all():
    """Every slot held elsewhere: computing() waits until one is given back, and then holds it."""
    others = cores.Slots()
    assert others.take(5, wait=False) == 2  # only two cores
    assert cores.Slots().take(1, wait=False) == 0
    import threading

    threading.Timer(0.5, others.give_back, args=(1,)).start()
    with cores.computing():
        assert len(cores._HELD.files) == 1
        with cores.side_by_side(4) as workers:
            assert workers == 1  # the other core is still held
    assert cores._HELD.files == []
    others.give_back(1)


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
