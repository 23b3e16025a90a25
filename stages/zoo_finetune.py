"""zoo_finetune: the ground truth of model selection, one zoo member fine-tuned on every zoo
target, regime and seed at every rate of zoo.finetune.lrs (validation and test top-1, seconds).

Usage: python -m stages.zoo_finetune <member>; on distributed.processes processes
(reprise.core.distributed), rank 0 writing.
"""

import sys

from reprise.core.artifacts import write_parquet
from reprise.core.checkpoints import kept_checkpoint
from reprise.core.device import pick_device
from reprise.core.distributed import processes
from reprise.core.images import configure_loading
from reprise.core.sections import DEVICE, JOBS, DistributedSettings, FinetuneSettings, LoaderSettings
from reprise.core.settings import MODE
from reprise.core.stage import run_stage
from reprise.zoo.ground_truth import finetune_member
from reprise.zoo.layout import zoo_finetune, zoo_member_dir
from reprise.zoo.settings import ZooSettings
from reprise.zoo.targets import parse_targets

READS = (
    LoaderSettings, MODE, ZooSettings.keys("members.${key}", "targets", "seeds", "finetune", "split_seed"),
    FinetuneSettings.keys("batch_size", "momentum"), DEVICE, DistributedSettings, JOBS,
)


def main(p) -> None:
    configure_loading(p.loader)
    zoo, g, f, name = p.zoo, p.zoo.finetune, p.finetune, sys.argv[1]
    runs = finetune_member(
        name, kept_checkpoint(zoo_member_dir(name), "last"), [t.name for t in parse_targets(zoo.targets)], zoo.seeds, lrs=g.lrs,
        epochs=g.epochs, milestones=g.milestones, batch_size=f.batch_size, momentum=f.momentum, weight_decay=g.weight_decay,
        val_fraction=g.val_fraction, split_seed=zoo.split_seed, device=pick_device(p.device), jobs=p.jobs, mode=p.mode,
    )
    if processes().is_main:
        write_parquet(runs, zoo_finetune(name))


if __name__ == "__main__":
    run_stage(main, READS, several=True)
