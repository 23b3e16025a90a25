"""How long the checkpoint study must fine-tune: the training loss and test top-1 of FT for several
lengths, from the first and the last kept pre-training checkpoint.

    python benchmarks/checkpoint_finetune_length.py [--epochs 10 20 40 80] [--checkpoints 1 16] [--seed 0]

Run after `dvc repro` (it reads data/pretrain/). Every setting but the length comes from the
``checkpoints`` section of params.yaml (target, labels a class, batch, rate, momentum, weight
decay, the rate divided by 10 at 60% and 80% of the run); the paper's toy fine-tunes for 100
epochs. Writes one row per (checkpoint, length, epoch) to
benchmarks/results/checkpoint_finetune_length.csv and the curves to
benchmarks/results/checkpoint_finetune_length.png, and prints the final loss and top-1 per run.
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from reprise.checkpoints.settings import CheckpointSettings  # noqa: E402
from reprise.core.layout import PRETRAIN_DIR  # noqa: E402
from reprise.core.artifacts import write_csv  # noqa: E402
from reprise.core.checkpoints import kept_checkpoint, load_backbone  # noqa: E402
from reprise.core.device import pick_device  # noqa: E402
from reprise.core.finetune import finetune  # noqa: E402
from reprise.core.params import load_params  # noqa: E402
from reprise.world.targets import handwriting_target  # noqa: E402

OUT = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, nargs="+", default=[10, 20, 40, 80])
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    params = load_params()
    settings = CheckpointSettings.parse(params["checkpoints"], params["mode"])
    f, device = settings.finetune, pick_device(params["device"])
    splits = handwriting_target(settings.target, settings.labels_per_class, settings.test_per_class, args.seed)
    logs = []
    for epoch in args.checkpoints:
        for length in args.epochs:
            backbone, spec, _ = load_backbone(kept_checkpoint(PRETRAIN_DIR, epoch))
            _, _, log = finetune(
                backbone, spec, splits.train, None, epochs=length, batch_size=f.batch_size, lr=f.lr,
                momentum=f.momentum, weight_decay=f.weight_decay, lam=1.0, seed=args.seed,
                device=device, test=splits.test, eval_every=max(1, length // 5), progress=False,
            )
            logs.append(log.assign(checkpoint=epoch, length=length))
            last = log.iloc[-1]
            print(f"checkpoint {epoch}, {length} epochs: final training loss {last['target_loss']:.4f}, test top-1 {100 * last['test_acc']:.2f}", flush=True)
    table = pd.concat(logs, ignore_index=True)
    write_csv(table, OUT / "checkpoint_finetune_length.csv")
    fig, axes = plt.subplots(1, len(args.checkpoints), figsize=(5 * len(args.checkpoints), 3.6), dpi=120, squeeze=False)
    for ax, epoch in zip(axes[0], args.checkpoints):
        for length, part in table[table["checkpoint"] == epoch].groupby("length"):
            ax.plot(part["epoch"], part["target_loss"], label=f"{length} epochs")
        ax.set_yscale("log")
        ax.set_xlabel("fine-tuning epoch")
        ax.set_ylabel("target training loss")
        ax.set_title(f"FT from pre-training epoch {epoch} ({settings.target}, {settings.labels_per_class} a class)", fontsize=9)
        ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(OUT / "checkpoint_finetune_length.png")
    print(f"{platform.processor() or platform.machine()}, {device}")


if __name__ == "__main__":
    main()
