"""checkpoint: FE, FT, spectral components and transferability scores of one kept pre-training
checkpoint (``python -m stages.checkpoint <epoch>``; dvc.yaml runs one per ``checkpoints.epochs``)."""

import sys

from reprise import layout
from reprise.device import pick_device
from reprise.errors import InputError
from reprise.params import section
from reprise.stage import run_stage
from reprise.trajectory import settings_from_params, study_checkpoint, study_dir


def main(params: dict) -> None:
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        raise InputError("usage: python -m stages.checkpoint <pre-training epoch>, an epoch of checkpoints.epochs")
    epoch = int(sys.argv[1])
    settings = settings_from_params(section(params, "checkpoints"))
    study = study_checkpoint(layout.PRETRAIN_DIR, epoch, settings, pick_device(params["device"]))
    study.write(study_dir(epoch))
    print(study.seeds.to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
