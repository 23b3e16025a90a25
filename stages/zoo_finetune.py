"""zoo_finetune: the ground truth of model selection, one zoo member fine-tuned on every zoo
target, regime and seed at every rate of zoo.finetune.lrs (validation and test top-1, seconds).

Usage: python -m stages.zoo_finetune <member>; on distributed.processes processes
(reprise.core.distributed), rank 0 writing.
"""

import sys

from reprise.core import layout
from reprise.core.artifacts import write_parquet
from reprise.core.checkpoints import kept_checkpoint
from reprise.core.device import pick_device
from reprise.core.distributed import processes
from reprise.core.errors import InputError
from reprise.core.images import configure_loading
from reprise.core.jobs import job_count
from reprise.core.params import for_mode, section
from reprise.core.stage import run_stage
from reprise.zoo.ground_truth import finetune_member
from reprise.zoo.targets import REGIMES, parse_targets


def main(params: dict) -> None:
    configure_loading(section(params, "loader"))
    zoo, f = section(params, "zoo"), section(params, "finetune")
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in zoo["members"]:
        raise InputError(f"usage: python -m stages.zoo_finetune <member>, one of {', '.join(zoo['members'])}")
    g = {key: for_mode(value, params["mode"]) for key, value in zoo["finetune"].items()}
    device = pick_device(params["device"])
    runs = finetune_member(
        name, kept_checkpoint(layout.zoo_member_dir(name), "last"), [t.name for t in parse_targets(zoo["targets"])], zoo["seeds"],
        lrs=g["lrs"], epochs=g["epochs"], milestones=g["milestones"], batch_size=f["batch_size"], momentum=f["momentum"],
        weight_decay=g["weight_decay"], val_fraction=g["val_fraction"], split_seed=zoo["split_seed"], device=device,
        jobs=job_count(params["jobs"], len(zoo["targets"]) * len(REGIMES) * len(zoo["seeds"]) * len(g["lrs"]), device, params["mode"]),
    )
    if processes().is_main:
        write_parquet(runs, layout.zoo_finetune(name))


if __name__ == "__main__":
    run_stage(main, several=True)
