"""Training and extraction on two processes (torchrun, gloo on the CPU) against one process.

One launch does it all: this file, run as a stage with ``distributed.processes: 2``
(:func:`reprise.core.stage.run_stage` re-executes it under torchrun), extracts features,
pre-trains and fine-tunes (eq. 6, resumable) on tiny glyph tables, and rank 0 saves what it got;
the test then does the same on one process and compares.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
import yaml

REPO = Path(__file__).resolve().parents[2]
CPU = torch.device("cpu")
TOLERANCE = 0.1  # test top-1 (0-1) of two processes against one: 4 of 40 test images; measured difference 0


def shapes(n: int, seed: int):
    """``n`` 32×32 images of four classes that the glyph augmentation keeps apart: a horizontal
    bar, a vertical bar, a square, nothing (plus noise)."""
    import pandas as pd

    from reprise.core.images import ImageTable

    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 4
    pixels = rng.integers(0, 40, (n, 32, 32)).astype(np.uint8)
    for image, bright in zip(pixels, [np.s_[14:18, 4:28], np.s_[4:28, 14:18], np.s_[8:24, 8:24], np.s_[0:0]] * n):
        image[bright] = 255
    return ImageTable(pd.DataFrame({"image": np.arange(n), "label": labels, "class_name": labels.astype(str)}), pixels)


def extract():
    """Features of 37 images in batches of 8: the last batch gives the ranks 3 and 2 rows."""
    from builders import glyph_table
    from reprise.core.backbones import GlyphResNet
    from reprise.core.features import extract_features
    from reprise.core.images import GLYPH_SPEC

    torch.manual_seed(0)
    return extract_features(GlyphResNet(widths=(8, 16)), GLYPH_SPEC, glyph_table(37, 4, 0), CPU, batch_size=8, progress=False)


def train(folder: Path):
    """Pre-train one epoch (checkpoints in ``folder/pretrain``), then fine-tune with eq. 6 on 50
    target images of :func:`shapes` (the last batch of 2: one a rank) and a source stream of 31 images (passes that
    start at odd positions), resumable in ``folder/resume``; the fine-tuning log."""
    from builders import glyph_table
    from reprise.core.backbones import GlyphResNet
    from reprise.core.finetune import finetune
    from reprise.core.images import GLYPH_SPEC
    from reprise.core.pretrain import pretrain

    pretrain(glyph_table(32, 4, 4), glyph_table(8, 4, 5), GLYPH_SPEC, folder / "pretrain", mode="supervised", arch="glyph_resnet",
             arch_kwargs={"widths": [8, 16]}, epochs=1, keep_epochs=[], batch_size=8, lr=0.05, momentum=0.9, weight_decay=0.0, seed=0,
             device=CPU, progress=False, resume_dir=folder / "pretrain_resume")
    torch.manual_seed(0)
    _, _, log = finetune(GlyphResNet(widths=(8, 16)), GLYPH_SPEC, shapes(50, 1), glyph_table(31, 3, 3), epochs=4, batch_size=8,
                         lr=0.1, momentum=0.9, weight_decay=0.0, lam=0.5, seed=0, device=CPU, test=shapes(40, 2), eval_every=2,
                         progress=False, resume_dir=folder / "resume")
    return log


def work(params) -> None:
    """The launched stage: every write of a checkpoint or a resume state is recorded with the
    rank that made it, in ``writes.txt``."""
    from reprise.core import pretrain as pretrain_module
    from reprise.core.distributed import processes
    from reprise.core.errors import InputError
    from reprise.core.resume import Resumable

    folder, group = Path(sys.argv[1]), processes()
    if sys.argv[2:] == ["bad"]:
        raise InputError("tiny.table is empty; give it images")

    def recorded(write):
        def call(*args, **kwargs):
            with open(folder / "writes.txt", "a") as f:
                f.write(f"{group.rank} {write.__name__}\n")
            return write(*args, **kwargs)
        return call

    pretrain_module.write_checkpoint = recorded(pretrain_module.write_checkpoint)
    Resumable.save = recorded(Resumable.save)
    features, log = extract(), train(folder)
    if group.is_main:
        np.save(folder / "features.npy", features)
        log.to_csv(folder / "log.csv", index=False)
        (folder / "world_size.txt").write_text(str(group.world_size))


def launched(folder: Path, *args: str) -> subprocess.CompletedProcess:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["distributed"]["processes"] = 2
    (folder / "params.yaml").write_text(yaml.safe_dump(params))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "tests" / "core"), str(REPO / "tests"), str(REPO)])}
    return subprocess.run([sys.executable, "-m", "test_distributed", str(folder), *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)


def test_two_processes_extract_the_same_features_and_fine_tune_as_well_as_one(tmp_path):
    """Two processes with gloo, launched from ``distributed.processes: 2``: the features are
    those of one process, row for row (within float rounding: the processes' batches are smaller);
    fine-tuning with the same global batch of 8 reaches the same test top-1 within
    :data:`TOLERANCE` (both above 0.9); only rank 0 wrote checkpoints and resume states."""
    done = launched(tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "world_size.txt").read_text() == "2"
    np.testing.assert_allclose(np.load(tmp_path / "features.npy"), extract(), rtol=1e-5, atol=1e-6)

    import pandas as pd

    two = pd.read_csv(tmp_path / "log.csv")
    one = train(tmp_path / "one")
    print(f"test top-1: one process {one['test_acc'].iloc[-1]:.3f}, two {two['test_acc'].iloc[-1]:.3f}")
    assert one["test_acc"].iloc[-1] >= 0.9 and two["test_acc"].iloc[-1] >= 0.9
    assert abs(two["test_acc"].iloc[-1] - one["test_acc"].iloc[-1]) <= TOLERANCE
    assert list(two["epoch"]) == [1, 2, 3, 4] and two["target_loss"].iloc[-1] < two["target_loss"].iloc[0]

    writes = (tmp_path / "writes.txt").read_text().split("\n")[:-1]
    assert sorted(set(writes)) == ["0 save", "0 write_checkpoint"], writes  # a pretrain and a fine-tuning state each epoch
    assert writes.count("0 save") == 1 + 4 and (tmp_path / "pretrain" / "epoch_001.pt").exists()
    assert not (tmp_path / "resume").exists() and not (tmp_path / "pretrain_resume").exists()  # finished runs leave no state


def test_bad_input_on_every_process_is_one_line(tmp_path):
    """Both processes stop on the same bad input: the launcher prints its error once, exit 2."""
    done = launched(tmp_path, "bad")
    assert done.returncode == 2
    assert done.stderr.count("error: ") == 1 and done.stderr.endswith("error: tiny.table is empty; give it images\n"), done.stderr


if __name__ == "__main__":
    sys.path[:0] = [str(REPO / "tests")]
    from reprise.core.sections import DistributedSettings
    from reprise.core.stage import run_stage

    run_stage(work, (DistributedSettings,), several=True)
