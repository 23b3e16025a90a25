"""zoo_finetune: the ground truth of model selection, one zoo member fine-tuned on every zoo
target, regime and seed (test top-1 and seconds).

Usage: python -m stages.zoo_finetune <member>
"""

import sys
import time

import pandas as pd

from reprise import layout
from reprise.artifacts import write_parquet
from reprise.device import pick_device
from reprise.errors import InputError
from reprise.finetune import finetune
from reprise.images import ImageTable
from reprise.models import load_backbone
from reprise.params import section
from reprise.pretrain import resolve_checkpoint
from reprise.stage import run_stage
from reprise.training import accuracy
from reprise.zoo import REGIMES, parse_targets


def main(params: dict) -> None:
    zoo, f = section(params, "zoo"), section(params, "finetune")
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in zoo["members"]:
        raise InputError(f"usage: python -m stages.zoo_finetune <member>, one of {', '.join(zoo['members'])}")
    device = pick_device(params["device"])
    checkpoint = resolve_checkpoint(f"{layout.ZOO_DIR}/models/{name}", "last")
    rows = []
    for target in [t.name for t in parse_targets(zoo["targets"])]:
        folder = f"{layout.ZOO_DIR}/targets/{target}"
        test = ImageTable.read(f"{folder}/test")
        for regime in REGIMES:
            train = ImageTable.read(f"{folder}/{regime}")
            for seed in zoo["seeds"]:
                backbone, spec, _ = load_backbone(checkpoint)
                started = time.perf_counter()
                backbone, head, _ = finetune(
                    backbone, spec, train, None, epochs=zoo["finetune_epochs"], batch_size=f["batch_size"], lr=zoo["lr"],
                    momentum=f["momentum"], weight_decay=f["weight_decay"], lam=0.0, seed=seed, device=device, progress=False,
                )
                seconds = time.perf_counter() - started
                rows.append({"member": name, "target": target, "regime": regime, "seed": seed, "top1": 100 * accuracy(backbone, head, test, spec, device), "seconds": seconds})
                print(rows[-1], flush=True)
    write_parquet(pd.DataFrame(rows), f"{layout.ZOO_DIR}/finetune/{name}.parquet")


if __name__ == "__main__":
    run_stage(main)
