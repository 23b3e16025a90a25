"""Resumable runs: a state is resumed only by the run that saved it, and every generator comes back."""

import random

import numpy as np
import torch

from reprise.core.resume import Resumable, random_state, restore_random_state


def test_a_state_saved_by_another_run_is_cleared_not_resumed(tmp_path):
    folder = tmp_path / "resume"
    Resumable(folder, {"lr": 0.1}, torch.ones(3)).save({"epoch": 2})
    (folder / "epoch_004.pt").write_bytes(b"kept by the other run")
    assert Resumable(folder, {"lr": 0.1}, torch.ones(3)).load()["epoch"] == 2
    assert Resumable(folder, {"lr": 0.1}, torch.zeros(3)).load() is None  # other inputs
    assert not folder.exists()  # its state and the checkpoint it kept are gone
    assert Resumable(None, {"lr": 0.1}).load() is None


def test_every_random_generator_comes_back():
    generator = torch.Generator().manual_seed(0)
    state = random_state(generator)
    drawn = (torch.rand(2, generator=generator), torch.rand(2), np.random.rand(2), random.random())
    restore_random_state(state, generator)
    again = (torch.rand(2, generator=generator), torch.rand(2), np.random.rand(2), random.random())
    assert torch.equal(drawn[0], again[0]) and torch.equal(drawn[1], again[1])
    assert np.array_equal(drawn[2], again[2]) and drawn[3] == again[3]
