"""What fine-tuning reuses of the source, for a selection method and unit: the selected images,
by eq. 6 with their labels (classes, single images) or by eq. 7 without (clusters), or, for
Co-Tuning, no image but the relationship of the source classifier to the target's classes. The
finetune stage and the reuse comparisons decide it here, the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import torch

from reprise.core.images import ImageSpec, ImageTable
from reprise.reuse.cotuning import cotuning_relationship
from reprise.reuse.manifest import reused_source


@dataclass(frozen=True)
class Reused:
    """The ``source``, ``source_labels`` and ``relationship`` arguments of
    :func:`reprise.core.finetune.finetune`, and a line that says what they are."""

    source: ImageTable | None
    source_labels: bool
    relationship: np.ndarray | None
    description: str


def reused_data(method: str, unit: str, manifest: pd.DataFrame, pool: Callable[[], ImageTable], *, backbone: torch.nn.Module,
                spec: ImageSpec, source_head: dict | None, target: ImageTable, pool_val: Callable[[], ImageTable],
                device: torch.device) -> Reused:
    """What a run of ``method`` over ``unit`` units reuses: the images of ``manifest`` from the
    ``pool`` (read only when needed), or Co-Tuning's relationship of ``source_head`` for
    ``target``, its temperature fitted on ``pool_val`` (held-out source images)."""
    if method == "cotuning":
        relationship, temperature = cotuning_relationship(backbone, spec, source_head, target, pool_val(), device)
        shape = relationship.shape
        return Reused(None, True, relationship, f"Co-Tuning: {shape[0]} target classes over {shape[1]} source classes, temperature {temperature:.3f}")
    if not len(manifest):
        return Reused(None, True, None, "no source image reused")
    return Reused(reused_source(pool(), manifest), unit != "cluster", None, f"{len(manifest)} source images reused ({'eq. 7' if unit == 'cluster' else 'eq. 6'})")
