"""The model zoo's target tasks, each in a full regime and few-shot ones (the linearized
model-selection paper, §4.2: 5-shot, 20-shot and full): embedded ones by name (``mnist`` or ``digits``, real handwriting, or
a glyph concept rendered anew), real ones as ImageFolder directories (``{name: cub, train_dir:
DIR, test_dir: DIR}``). With each regime come the sample that the scores read and the features
of that sample from a probe network trained on the target (RSA's reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from reprise.core.artifacts import read_json, read_npy, write_json, write_npy
from reprise.core.backbones import build_backbone
from reprise.core.errors import InputError
from reprise.core.features import extract_features
from reprise.core.finetune import finetune
from reprise.core.images import GLYPH_SPEC, ImageSpec, ImageTable, imagenet_spec
from reprise.core.training import seed_all
from reprise.core.sampling import sample_per_class
from reprise.world.glyphs import CONCEPTS
from reprise.world.handwriting import HANDWRITING
from reprise.world.targets import TargetSplits, folder_target, glyph_target, handwriting_target
from reprise.zoo.layout import zoo_target_dir

FULL = "full"  # the regime of every training image of the target
REAL_TARGET = "target"  # zoo.targets entry: real mode's own target, from the real params


@dataclass(frozen=True)
class ZooTarget:
    name: str                    # also the folder of its artifacts under data/zoo/targets
    train_dir: str | None = None  # real target: ImageFolder directories
    test_dir: str | None = None


def parse_targets(entries, real=None) -> list[ZooTarget]:
    """``zoo.targets``: embedded names, ``{name, train_dir, test_dir}`` for a real target, or
    ``target``, real mode's own target (``real.target_train_dir`` and ``real.target_test_dir``
    of ``real``, the ``real`` params section; without it the entry gives only the name); a
    malformed list is a one-line error."""
    if not isinstance(entries, list) or not entries:
        raise InputError(f"zoo.targets must be a non-empty list of targets, got {entries!r}")
    targets = []
    for entry in entries:
        if isinstance(entry, dict):
            if set(entry) != {"name", "train_dir", "test_dir"}:
                raise InputError(f"a real zoo target needs exactly name, train_dir and test_dir; got {entry!r}")
            target = ZooTarget(str(entry["name"]), str(entry["train_dir"]), str(entry["test_dir"]))
        elif entry == REAL_TARGET:
            target = ZooTarget(REAL_TARGET, *((real.target_train_dir, real.target_test_dir) if real else (None, None)))
        elif entry in HANDWRITING or entry in CONCEPTS:
            target = ZooTarget(entry)
        else:
            raise InputError(f"unknown zoo target {entry!r}; use one of {', '.join(HANDWRITING + CONCEPTS)}, {REAL_TARGET} or {{name, train_dir, test_dir}}")
        if not target.name or "/" in target.name or target.name.startswith("."):
            raise InputError(f"zoo target name {target.name!r} must be a plain folder name")
        targets.append(target)
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise InputError(f"zoo.targets names must be distinct, got {names}")
    return targets


def target_splits(target: ZooTarget, full_per_class: int, test_per_class: int, seed: int) -> TargetSplits:
    """A zoo target's training and test images: ``mnist`` or ``digits`` (real handwriting) and
    glyph concepts rendered anew take ``full_per_class`` and ``test_per_class`` images a class; a
    real target takes every image of its folders, its training images shuffled by ``seed`` (so
    that :func:`few_shot` draws at random)."""
    if target.name == REAL_TARGET and target.train_dir is None:
        raise InputError(f"zoo target {REAL_TARGET!r} is real mode's own target (real.target_train_dir, real.target_test_dir); set mode: real")
    if target.train_dir is not None:
        splits = folder_target(target.train_dir, target.test_dir, None)
        order = np.random.default_rng(seed).permutation(len(splits.train))
        return TargetSplits(splits.train.subset(order), splits.test, {**splits.meta, "name": target.name})
    if target.name in HANDWRITING:
        return handwriting_target(target.name, full_per_class, test_per_class, seed)
    return glyph_target(target.name, full_per_class, test_per_class, seed)


def few_shot(train: ImageTable, per_class: int) -> ImageTable:
    """The first ``per_class`` images of every class of a (shuffled) training split."""
    position = train.index.groupby("label").cumcount().to_numpy()
    return train.subset(np.flatnonzero(position < per_class))


@dataclass(frozen=True)
class Regime:
    """One regime of a zoo target: its training images, the rows of them that the scores read
    (at most ``zoo.score_per_class`` a class) and a probe network's features of those rows."""

    train: ImageTable
    score_rows: np.ndarray      # int64 [sample]
    probe_features: np.ndarray  # float32 [sample, d]

    @property
    def sample(self) -> ImageTable:
        return self.train.subset(self.score_rows)


@dataclass(frozen=True)
class PreparedTarget:
    regimes: dict[str, Regime]
    test: ImageTable
    meta: dict  # name, concept, class_names, and the image counts

    def write(self, out_dir: str | Path) -> None:
        """``<regime>`` image tables, ``score_rows_<regime>.npy``, ``probe_<regime>.npy``,
        the ``test`` table and ``meta.json`` under ``out_dir``."""
        for name, regime in self.regimes.items():
            regime.train.write(f"{out_dir}/{name}")
            write_npy(regime.score_rows, f"{out_dir}/score_rows_{name}.npy")
            write_npy(regime.probe_features, f"{out_dir}/probe_{name}.npy")
        self.test.write(f"{out_dir}/test")
        write_json(self.meta, f"{out_dir}/meta.json")


def regime_names(target_dir: str | Path) -> list[str]:
    """The regimes a prepared target has (its ``meta.json``), the largest first."""
    sizes = read_json(f"{target_dir}/meta.json")["train"]
    return sorted(sizes, key=lambda name: -sizes[name])


def read_regime(target_dir: str | Path, regime: str) -> Regime:
    return Regime(ImageTable.read(f"{target_dir}/{regime}"), read_npy(f"{target_dir}/score_rows_{regime}.npy"), read_npy(f"{target_dir}/probe_{regime}.npy"))


def read_test(target_dir: str | Path) -> ImageTable:
    return ImageTable.read(f"{target_dir}/test")


def probe_network(arch: str, widths: list[int], image_size: int) -> tuple[torch.nn.Module, ImageSpec]:
    """RSA's probe, untrained: the glyph ResNet (embedded) or a torchvision ResNet (the paper's
    ResNet-18) at ``image_size``, with the image spec it reads."""
    if arch.startswith("glyph"):
        return build_backbone(arch, {"widths": list(widths)}), GLYPH_SPEC
    return build_backbone(arch), imagenet_spec(image_size)


def prepare_target(
    target: ZooTarget, *, full_per_class: int, shots: dict[str, int], test_per_class: int, score_per_class: int, seed: int,
    probe_arch: str, probe_widths: list[int], probe_lr: float, probe_epochs: int, image_size: int, batch_size: int, momentum: float,
    weight_decay: float, device: torch.device,
) -> PreparedTarget:
    """A zoo target's regimes (``full``, and for every ``shots`` entry, a regime name → images a
    class, the first that many images of every class of it), each with its score sample and RSA probe: ``probe_arch`` trained from scratch on the regime's
    training images for ``probe_epochs`` at ``probe_lr`` (paper App. C: a ResNet-18 at 0.005)."""
    splits = target_splits(target, full_per_class, test_per_class, seed)
    regimes = {}
    if FULL in shots:
        raise InputError(f"a few-shot regime cannot be named {FULL!r}: {shots}")
    for name, train in ((FULL, splits.train), *((regime, few_shot(splits.train, n)) for regime, n in shots.items())):
        rows = sample_per_class(train.labels, score_per_class, seed=seed)
        seed_all(seed)  # the probe's initial weights come from the seed, not from what ran before
        network, spec = probe_network(probe_arch, probe_widths, image_size)
        probe, _, _ = finetune(
            network, spec, train, None, epochs=probe_epochs, batch_size=batch_size, lr=probe_lr, momentum=momentum,
            weight_decay=weight_decay, lam=0.0, seed=seed, device=device, desc=f"probe {target.name} {name}",
        )
        regimes[name] = Regime(train, rows, extract_features(probe, spec, train.subset(rows), device, progress=False))
    meta = {**splits.meta, "train": {name: len(r.train) for name, r in regimes.items()}, "test": len(splits.test)}
    return PreparedTarget(regimes, splits.test, meta)


def prepare_targets(zoo, root: str, *, shots: dict[str, int], full_per_class: int, widths: list[int], image_size: int, finetune,
                    device: torch.device, real=None) -> None:
    """Every target of ``zoo.targets`` (``zoo``: the zoo section's settings) prepared by
    :func:`prepare_target` in the regimes ``full`` and ``shots``, written under ``root``;
    ``finetune``: the pipeline's fine-tuning section (the probe's batch, momentum and weight
    decay); ``real``: the real section, for real mode's own target."""
    for target in parse_targets(zoo.targets, real):
        prepared = prepare_target(
            target, full_per_class=full_per_class, shots=shots, test_per_class=zoo.test_per_class, score_per_class=zoo.score_per_class,
            seed=zoo.split_seed, probe_arch=zoo.probe.arch, probe_widths=widths, probe_lr=zoo.probe.lr, probe_epochs=zoo.probe.epochs,
            image_size=image_size, batch_size=finetune.batch_size, momentum=finetune.momentum, weight_decay=finetune.weight_decay,
            device=device,
        )
        prepared.write(zoo_target_dir(target.name, root))
        print(f"{target.name}: " + ", ".join(f"{n} {name}" for name, n in prepared.meta["train"].items()) + f", {prepared.meta['test']} test images")
