"""Every section of ``params.yaml``, in the file's order, to check the whole file at once: the
``params`` stage does, so that a misspelt or unknown key stops ``dvc repro`` even where no stage
reads its section (a stage checks only the sections it reads, when it reads them)."""

from __future__ import annotations

from reprise.checkpoints.settings import CheckpointSettings
from reprise.core.schema import Section
from reprise.core.sections import DEVICE, JOBS, DistributedSettings, FinetuneSettings, LoaderSettings, PretrainSettings, RealSettings
from reprise.core.settings import MODE, PARAMS_FILE
from reprise.reuse.settings import ClusterSettings, ExtractSettings, SelectSettings, UotSettings
from reprise.world.settings import TargetSettings, WorldSettings
from reprise.zoo.settings import ZooSettings

SECTIONS = (
    MODE, WorldSettings, TargetSettings, RealSettings, PretrainSettings, DEVICE, JOBS, ExtractSettings, LoaderSettings,
    DistributedSettings, ClusterSettings, UotSettings, SelectSettings, FinetuneSettings, ZooSettings, CheckpointSettings,
)


def check_params(params: dict, where: str = PARAMS_FILE) -> None:
    """Raise a one-line :class:`~reprise.core.errors.InputError` for the first key of ``params``
    that no section declares, or that is missing, mistyped or out of range, or for values that
    disagree across keys (``zoo.default`` not a member)."""
    Section({s.section: s.rule() for s in SECTIONS}).check(params, "", where)
    for s in SECTIONS:
        s.parse(params[s.section], params["mode"], where)
