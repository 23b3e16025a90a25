"""Our SGD, Adam and step schedule: bit for bit torch's single-tensor CPU path, resumable, and free of torch._dynamo."""

import io
import subprocess
import sys

import pytest
import torch
from torch import nn

from reprise.core.optimizers import SGD, Adam, StepSchedule


class _Net(nn.Module):
    """A conv and a linear layer, and a parameter that never gets a gradient."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 5)
        self.unused = nn.Parameter(torch.randn(3))

    def forward(self, x):
        return self.fc(self.conv(x).relu().mean((2, 3)))


def _unused_index(model: _Net) -> int:
    return [p is model.unused for p in model.parameters()].index(True)


def _net() -> _Net:
    torch.manual_seed(0)
    return _Net()


def _train(model, optimizer, schedule, steps: range) -> list[float]:
    """Train on seeded batches (one per step index); the learning rate seen before each step."""
    lrs = []
    for t in steps:
        g = torch.Generator().manual_seed(t)
        x, y = torch.randn(8, 3, 6, 6, generator=g), torch.randint(0, 5, (8,), generator=g)
        lrs.append(optimizer.param_groups[0]["lr"])
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if schedule is not None:
            schedule.step()
    return lrs


def _assert_same(ours: nn.Module, theirs: nn.Module) -> None:
    for (name, a), b in zip(ours.named_parameters(), theirs.parameters()):
        assert torch.equal(a, b), name


def test_sgd_and_step_schedule_match_torch_bit_for_bit():
    ours, theirs, start = _net(), _net(), _net()
    optimizer = SGD(ours.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    schedule = StepSchedule(optimizer, [10, 20, 20])
    torch_optimizer = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True, foreach=False)
    torch_schedule = torch.optim.lr_scheduler.MultiStepLR(torch_optimizer, [10, 20, 20], gamma=0.1)
    lrs = _train(ours, optimizer, schedule, range(30))
    assert lrs == _train(theirs, torch_optimizer, torch_schedule, range(30))
    assert optimizer.param_groups[0]["lr"] == torch_optimizer.param_groups[0]["lr"]
    assert lrs[9] == 0.1 and lrs[10] == 0.1 * 0.1 and lrs[20] == lrs[10] * 0.1**2  # a milestone listed twice
    _assert_same(ours, theirs)
    assert not torch.equal(ours.fc.weight, start.fc.weight)
    assert torch.equal(ours.unused, start.unused)  # never had a gradient: untouched, and no buffer
    assert sorted(optimizer.state) == sorted(set(range(5)) - {_unused_index(ours)}) and theirs.unused not in torch_optimizer.state


@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_adam_matches_torch_bit_for_bit(weight_decay):
    ours, theirs, start = _net(), _net(), _net()
    optimizer = Adam(ours.parameters(), lr=1e-2, weight_decay=weight_decay)
    torch_optimizer = torch.optim.Adam(theirs.parameters(), lr=1e-2, weight_decay=weight_decay, foreach=False)
    _train(ours, optimizer, None, range(30))
    _train(theirs, torch_optimizer, None, range(30))
    _assert_same(ours, theirs)
    assert not torch.equal(ours.fc.weight, start.fc.weight)
    assert torch.equal(ours.unused, start.unused) and _unused_index(ours) not in optimizer.state
    step = optimizer.state[max(optimizer.state)]["step"]
    assert step.dtype == torch.float32 and step.device.type == "cpu" and step.item() == 30


def _saved(state: dict) -> dict:
    """``state`` through torch.save and torch.load(weights_only=True), as a resumed run reads it."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


@pytest.mark.parametrize("make", [lambda params: SGD(params, lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True),
                                  lambda params: Adam(params, lr=1e-2, weight_decay=1e-2)], ids=["sgd", "adam"])
def test_a_resumed_run_ends_as_an_uninterrupted_one(make):
    whole = _net()
    optimizer = make(whole.parameters())
    whole_lrs = _train(whole, optimizer, StepSchedule(optimizer, [5, 15]), range(20))

    first = _net()
    optimizer = make(first.parameters())
    schedule = StepSchedule(optimizer, [5, 15])
    lrs = _train(first, optimizer, schedule, range(10))
    saved = _saved({"model": first.state_dict(), "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict()})
    optimizer.step()  # the saved state is a copy: changing the live one afterwards changes nothing saved
    schedule.step()

    second = _Net()
    second.load_state_dict(saved["model"])
    optimizer = make(second.parameters())
    schedule = StepSchedule(optimizer, [5, 15])
    optimizer.load_state_dict(saved["optimizer"])
    schedule.load_state_dict(saved["schedule"])
    lrs += _train(second, optimizer, schedule, range(10, 20))
    assert lrs == whole_lrs and lrs[5] < lrs[4] and lrs[15] < lrs[14]
    _assert_same(second, whole)


def test_no_torch_dynamo_is_imported():
    code = """
import sys, torch
from torch import nn
from reprise.core.optimizers import SGD, Adam, StepSchedule
model = nn.Linear(3, 2)
sgd = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=True)
schedule = StepSchedule(sgd, [2])
adam = Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
for optimizer in (sgd, adam):
    for _ in range(3):
        optimizer.zero_grad()
        model(torch.randn(4, 3)).sum().backward()
        optimizer.step()
        schedule.step()
print("torch._dynamo" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
