"""zoo_paper PRETRAIN_SEED: one pre-training run of the zoo in the paper's regime, scored and
fine-tuned (suite/dvc.yaml): every member's transferability scores on every target and regime
(zoo_paper_targets), and its ground truth (zoo.finetune, zoo_paper.epochs long) on the fine-tuning
seed that is the run's place in zoo_paper.pretrain_seeds. Resumable member by member
(reprise.zoo.runs): a finished member's rows are kept under data/resume until the stage ends."""

import shutil
import sys

from reprise.core.artifacts import write_csv
from reprise.core.device import pick_device
from reprise.core.errors import InputError
from reprise.core.images import ImageTable, configure_loading
from reprise.core.layout import POOL_TABLE, RESUME_DIR
from reprise.core.sections import DEVICE, JOBS, FinetuneSettings, LoaderSettings
from reprise.core.stage import run_stage
from reprise.zoo.layout import PAPER_ZOO_TARGETS, paper_zoo_rows, paper_zoo_run
from reprise.zoo.members import parse_member
from reprise.zoo.runs import score_and_finetune
from reprise.zoo.settings import PaperZooSettings, ZooSettings
from reprise.zoo.targets import parse_targets

READS = (
    LoaderSettings, DEVICE, JOBS, PaperZooSettings.keys("pretrain_seeds", "epochs"),
    ZooSettings.keys("members", "multidomain.domains", "targets", "images_per_class", "lgc_projection_dim", "ds_min_count", "split_seed",
                     "finetune.lrs", "finetune.milestones", "finetune.weight_decay", "finetune.val_fraction"),
    FinetuneSettings.keys("batch_size", "momentum"),
)


def main(p) -> None:
    configure_loading(p.loader)
    zoo, paper, g = p.zoo, p.zoo_paper, p.zoo.finetune
    if sys.argv[1] not in map(str, paper.pretrain_seeds):
        raise InputError(f"usage: python -m stages.zoo_paper PRETRAIN_SEED, one of zoo_paper.pretrain_seeds {paper.pretrain_seeds}; "
                         f"got {sys.argv[1]!r}")
    pretrain_seed = int(sys.argv[1])
    keep_dir = f"{RESUME_DIR}/zoo_paper_rows_{pretrain_seed}"
    scores, runs = score_and_finetune(
        [parse_member(name, spec, zoo.multidomain.domains) for name, spec in zoo.members.items()], paper_zoo_run(pretrain_seed),
        [t.name for t in parse_targets(zoo.targets)], PAPER_ZOO_TARGETS, pool=ImageTable.read(POOL_TABLE),
        seed=paper.pretrain_seeds.index(pretrain_seed),
        scoring={"images_per_class": zoo.images_per_class, "lgc_projection_dim": zoo.lgc_projection_dim, "seed": zoo.split_seed,
                 "ds_min_count": zoo.ds_min_count},
        ground_truth={"lrs": g.lrs, "epochs": paper.epochs, "milestones": g.milestones, "batch_size": p.finetune.batch_size,
                      "momentum": p.finetune.momentum, "weight_decay": g.weight_decay, "val_fraction": g.val_fraction, "split_seed": zoo.split_seed},
        device=pick_device(p.device), jobs=p.jobs, keep_dir=keep_dir,
    )
    out = paper_zoo_rows(pretrain_seed)
    scores.insert(1, "pretrain_seed", pretrain_seed)
    runs.insert(runs.columns.get_loc("seed"), "pretrain_seed", pretrain_seed)
    write_csv(scores, f"{out}/scores.csv")
    write_csv(runs, f"{out}/accuracy.csv")
    shutil.rmtree(keep_dir, ignore_errors=True)


if __name__ == "__main__":
    run_stage(main, READS)
