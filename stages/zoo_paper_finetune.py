"""zoo_paper_finetune PRETRAIN_SEED: the ground truth of one pre-training run of the zoo in the
paper's regime (suite/dvc.yaml): every member fine-tuned (zoo.finetune at zoo_paper.lrs, zoo_paper.epochs long) on
every target and regime of zoo_paper_targets, on the fine-tuning seed that is the run's place in
zoo_paper.pretrain_seeds. Resumable member by member (reprise.zoo.runs): a finished member's rows
are kept under data/resume until the stage ends."""

import shutil
import sys

from reprise.core.artifacts import write_csv
from reprise.core.device import pick_device
from reprise.core.images import configure_loading
from reprise.core.layout import RESUME_DIR
from reprise.core.sections import DEVICE, JOBS, FinetuneSettings, LoaderSettings
from reprise.core.stage import run_stage
from reprise.zoo.ground_truth import finetune_member
from reprise.zoo.layout import PAPER_ZOO_TARGETS, paper_zoo_accuracy, paper_zoo_run
from reprise.zoo.members import parse_member
from reprise.zoo.runs import member_by_member
from reprise.zoo.settings import PaperZooSettings, ZooSettings, paper_run_seed
from reprise.zoo.targets import parse_targets

READS = (
    LoaderSettings, DEVICE, JOBS, PaperZooSettings.keys("pretrain_seeds", "lrs", "epochs"),
    ZooSettings.keys("members", "multidomain.domains", "targets", "split_seed", "finetune.milestones", "finetune.weight_decay",
                     "finetune.val_fraction"),
    FinetuneSettings.keys("batch_size", "momentum"),
)


def main(p) -> None:
    configure_loading(p.loader)
    zoo, paper, g = p.zoo, p.zoo_paper, p.zoo.finetune
    pretrain_seed = paper_run_seed("zoo_paper_finetune", sys.argv[1], paper.pretrain_seeds)
    seed = paper.pretrain_seeds.index(pretrain_seed)
    keep_dir = f"{RESUME_DIR}/zoo_paper_finetune_{pretrain_seed}"
    targets, device = [t.name for t in parse_targets(zoo.targets)], pick_device(p.device)
    ground_truth = {"lrs": paper.lrs, "epochs": paper.epochs, "milestones": g.milestones, "batch_size": p.finetune.batch_size,
                    "momentum": p.finetune.momentum, "weight_decay": g.weight_decay, "val_fraction": g.val_fraction, "split_seed": zoo.split_seed}
    runs = member_by_member(
        [parse_member(name, spec, zoo.multidomain.domains) for name, spec in zoo.members.items()], paper_zoo_run(pretrain_seed),
        PAPER_ZOO_TARGETS, {"ground_truth": ground_truth, "seed": seed, "targets": targets}, keep_dir,
        lambda member, checkpoint: finetune_member(member.name, checkpoint, targets, [seed], device=device, jobs=p.jobs,
                                                   targets_root=PAPER_ZOO_TARGETS, **ground_truth),
    )
    runs.insert(runs.columns.get_loc("seed"), "pretrain_seed", pretrain_seed)
    write_csv(runs, paper_zoo_accuracy(pretrain_seed))
    shutil.rmtree(keep_dir, ignore_errors=True)


if __name__ == "__main__":
    run_stage(main, READS)
