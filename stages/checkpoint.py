"""checkpoint: FE, FT, spectral components and transferability scores of one kept pre-training
checkpoint (``python -m stages.checkpoint <epoch>``; dvc.yaml runs one per ``checkpoints.epochs``)."""

import sys

from reprise.checkpoints.settings import settings_from_params
from reprise.checkpoints.study import study_checkpoint
from reprise.core import layout
from reprise.core.device import pick_device
from reprise.core.errors import InputError
from reprise.core.images import configure_loading
from reprise.core.jobs import job_count
from reprise.core.params import section
from reprise.core.stage import run_stage


def main(params: dict) -> None:
    configure_loading(section(params, "loader"))
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        raise InputError("usage: python -m stages.checkpoint <pre-training epoch>, an epoch of checkpoints.epochs")
    epoch = int(sys.argv[1])
    settings = settings_from_params(section(params, "checkpoints"), params["mode"], section(params, "real"))
    device = pick_device(params["device"])
    study = study_checkpoint(layout.PRETRAIN_DIR, epoch, settings, device, jobs=job_count(params["jobs"], len(settings.seeds), device, params["mode"]))
    study.write(layout.checkpoint_study_dir(epoch))
    print(study.seeds.to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
