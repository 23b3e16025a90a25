"""zoo_paper_scores PRETRAIN_SEED: every transferability score of every member of one pre-training
run of the zoo in the paper's regime (suite/dvc.yaml), on every target and regime of
zoo_paper_targets. Resumable member by member (reprise.zoo.runs): a finished member's rows are kept
under data/resume until the stage ends."""

import shutil
import sys

from reprise.core.artifacts import write_csv
from reprise.core.device import pick_device
from reprise.core.images import ImageTable, configure_loading
from reprise.core.layout import POOL_TABLE, RESUME_DIR
from reprise.core.sections import DEVICE, LoaderSettings
from reprise.core.stage import run_stage
from reprise.zoo.layout import PAPER_ZOO_TARGETS, paper_zoo_run, paper_zoo_scores
from reprise.zoo.members import parse_member
from reprise.zoo.runs import member_by_member
from reprise.zoo.scoring import score_zoo_member
from reprise.zoo.settings import PaperZooSettings, ZooSettings, paper_run_seed
from reprise.zoo.targets import parse_targets

READS = (
    LoaderSettings, DEVICE, PaperZooSettings.keys("pretrain_seeds", "images_per_class"),
    ZooSettings.keys("members", "multidomain.domains", "targets", "lgc_projection_dim", "ds_min_count", "split_seed"),
)


def main(p) -> None:
    configure_loading(p.loader)
    zoo = p.zoo
    pretrain_seed = paper_run_seed("zoo_paper_scores", sys.argv[1], p.zoo_paper.pretrain_seeds)
    keep_dir = f"{RESUME_DIR}/zoo_paper_scores_{pretrain_seed}"
    targets, pool, device = [t.name for t in parse_targets(zoo.targets)], ImageTable.read(POOL_TABLE), pick_device(p.device)
    scoring = {"images_per_class": p.zoo_paper.images_per_class, "lgc_projection_dim": zoo.lgc_projection_dim, "seed": zoo.split_seed,
               "ds_min_count": zoo.ds_min_count}
    scores = member_by_member(
        [parse_member(name, spec, zoo.multidomain.domains) for name, spec in zoo.members.items()], paper_zoo_run(pretrain_seed),
        PAPER_ZOO_TARGETS, {"scoring": scoring, "targets": targets}, keep_dir,
        lambda member, checkpoint: score_zoo_member(member, checkpoint, pool, targets, device=device, targets_root=PAPER_ZOO_TARGETS, **scoring),
    )
    scores.insert(1, "pretrain_seed", pretrain_seed)
    write_csv(scores, paper_zoo_scores(pretrain_seed))
    shutil.rmtree(keep_dir, ignore_errors=True)


if __name__ == "__main__":
    run_stage(main, READS)
