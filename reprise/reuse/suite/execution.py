"""Running the testbed suite's experiments: one run (:func:`execute`), and a whole experiment,
resumably (:func:`run_experiment`): rows are kept as runs finish, under a fingerprint of the
settings, the code the suite imports and its inputs, and a rerun after an interruption runs only
the runs not yet kept under the same fingerprint."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import multiprocessing
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from reprise.core.artifacts import read_npy
from reprise.core.checkpoints import kept_checkpoint
from reprise.core.images import ImageTable, validation_split
from reprise.core.imports import import_closure
from reprise.core.layout import POOL_TABLE
from reprise.core.progress import progress_bar
from reprise.reuse.clustering import spherical_kmeans
from reprise.reuse.comparison import ReuseSetting, ReuseSource, reuse_finetune, unit_scores
from reprise.reuse.settings import ClusterSettings
from reprise.reuse.suite.layout import BACKBONES_DIR, TUNED, backbone_dir, pool_features
from reprise.reuse.suite.plan import CLUSTER_METHOD, RUN_KEY, Run, run_key
from reprise.reuse.suite.settings import TestbedSettings
from reprise.reuse.testbed import balanced_counts, draw_target, fraction_counts, pareto_counts, per_class_subset

STAGE_SCRIPT = "stages/testbed.py"  # the script whose imports are the suite's code


@dataclass
class Context:
    """What every run of an experiment reads: the ``testbed`` settings, the shared selection and
    fine-tuning settings (``setting.checkpoint`` is set per run), and, per pre-training run, its
    backbones' features and source units (built once per process)."""

    cfg: TestbedSettings
    setting: ReuseSetting
    cluster: ClusterSettings | None  # k-means, for the experiments that reuse clusters
    device: torch.device
    assignments: dict = field(default_factory=dict)  # (pretrain_seed, backbone, clusters) -> k-means assignment
    _sources: dict = field(default_factory=dict)
    _features: dict = field(default_factory=dict)
    _pool: ImageTable | None = None

    @staticmethod
    def checkpoint(pretrain_seed: int, backbone: str) -> Path:
        return kept_checkpoint(backbone_dir(pretrain_seed, backbone), "last", fix=f"dvc repro suite/dvc.yaml:testbed_backbone@{pretrain_seed}")

    @property
    def pool(self) -> ImageTable:
        if self._pool is None:
            self._pool = ImageTable.read(POOL_TABLE)
        return self._pool

    def features(self, pretrain_seed: int, backbone: str) -> np.ndarray:
        """The pool's features from ``backbone`` of the pre-training run ``pretrain_seed``."""
        key = (pretrain_seed, backbone)
        if key not in self._features:
            self._features[key] = read_npy(pool_features(pretrain_seed, backbone))
        return self._features[key]

    def source(self, pretrain_seed: int, backbone: str, clusters: int | None) -> ReuseSource:
        key = (pretrain_seed, backbone, clusters)
        if key not in self._sources:
            self._sources[key] = ReuseSource.of_features(self.pool, self.features(pretrain_seed, backbone), self.assignments.get(key))
        return self._sources[key]

    def make_clusters(self, runs: list[Run]) -> None:
        """The k-means assignments the runs need, computed once (before the runs are shared out)."""
        for key in sorted({(r.pretrain_seed, r.knobs.get("backbone", "supervised"), r.knobs["clusters"]) for r in runs if "clusters" in r.knobs}):
            if key not in self.assignments:
                self.assignments[key], _ = spherical_kmeans(self.features(*key[:2]), key[2], self.cluster.iterations, self.cluster.seed)


def context_for(cfg: TestbedSettings, extract, finetune, uot, select, cluster: ClusterSettings | None, device: torch.device) -> Context:
    """The :class:`Context` of the ``testbed`` settings and the pipeline's settings (``extract``,
    ``finetune``, ``uot``, ``select`` and ``cluster`` sections)."""
    setting = ReuseSetting(
        checkpoint=Path(), layer=extract.layer, k=select.k, uot=uot, greedy_cost=select.greedy_cost,
        concept=None, epochs=finetune.epochs, batch_size=finetune.batch_size, momentum=finetune.momentum, weight_decay=finetune.weight_decay,
    )
    return Context(cfg, setting, cluster, device)


def execute(run: Run, context: Context) -> dict:
    """One run's row: the :data:`~reprise.reuse.suite.plan.COLUMNS` and the fine-tuning's record
    (recall, units, images, ...)."""
    cfg, knobs = context.cfg, run.knobs
    spec = cfg.targets[run.target]
    per_class = max(spec["labels_per_class"], cfg.long_tail.largest) if "profile" in knobs else spec["labels_per_class"]
    splits = draw_target(run.target, per_class, spec["test_per_class"], run.seed, elastic_alpha=spec["elastic_alpha"], elastic_sigma=cfg.elastic_sigma)
    train, test = splits.train, splits.test
    if "fraction" in knobs:
        train = per_class_subset(train, fraction_counts(per_class, train.num_classes, knobs["fraction"]))
    if "profile" in knobs:
        long_tail = pareto_counts(cfg.long_tail.largest, train.num_classes, cfg.long_tail.ratio, run.seed)
        counts = long_tail if knobs["profile"] == "long tail" else balanced_counts(int(long_tail.sum()), train.num_classes)
        train = per_class_subset(train, counts)
    if run.experiment == "tuning":
        train, test = validation_split(train, cfg.tuning.val_fraction, run.seed)
    backbone = knobs.get("backbone", "supervised")
    setting = replace(context.setting, checkpoint=context.checkpoint(run.pretrain_seed, backbone), k=knobs.get("k", context.setting.k),
                      concept=splits.meta["concept"])
    source = context.source(run.pretrain_seed, backbone, knobs.get("clusters"))
    method, selected = run.method.removesuffix(CLUSTER_METHOD), None
    if "decile" in knobs:
        order = unit_scores(setting, source, "uot", train, run.seed, context.device).order()
        selected, method = np.array_split(order, cfg.deciles)[knobs["decile"] - 1], "uot"
    record = reuse_finetune(setting, source, method, train, test, lr=run.lr, lam=run.lam, seed=run.seed, device=context.device, selected=selected)
    return {**dict(zip(RUN_KEY, run_key(vars(run)))), "top1": record.pop("top1"), "lr": run.lr, "lambda": run.lam, "train_images": len(train), **record}


def experiment_inputs(experiment: str) -> list[Path]:
    """The files an experiment's rows depend on besides its settings: the code the suite imports,
    the pool and the backbones (folders: every file under them)."""
    code = [Path(p) for p in import_closure(STAGE_SCRIPT)]
    data = [Path(BACKBONES_DIR), Path(f"{POOL_TABLE}.npy"), Path(f"{POOL_TABLE}.parquet")]
    return code + data + ([Path(TUNED)] if experiment != "tuning" else [])


def fingerprint(context: Context, files: list[Path]) -> str:
    """What the rows of an experiment depend on: its settings, and the bytes of ``files``
    (folders: every file under them). Rows kept from an interrupted run are reused only under
    the same fingerprint."""
    settings = [dataclasses.asdict(context.cfg), context.cluster and dataclasses.asdict(context.cluster), dataclasses.asdict(context.setting.uot),
                {k: v for k, v in dataclasses.asdict(context.setting).items() if k not in ("uot", "checkpoint")}]
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for path in sorted(p for f in files for p in ([f] if Path(f).is_file() else sorted(Path(f).rglob("*"))) if p.is_file()):
        if path.suffix != ".pyc":
            digest.update(str(path).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_WORKER: Context | None = None


def _init_worker(context: Context) -> None:
    global _WORKER
    torch.set_num_threads(1)
    _WORKER = context


def _execute_in_worker(run: Run) -> dict:
    return execute(run, _WORKER)


def run_experiment(runs: list[Run], context: Context, partial: Path, key: str, workers: int, progress: bool = True) -> pd.DataFrame:
    """Every run's row, in plan order. Rows are appended to ``partial`` as they finish (with the
    fingerprint ``key``); a rerun after an interruption keeps the rows of the same key and runs
    only the others. ``workers`` > 1 shares the runs out to that many processes of one thread."""
    done = {}
    if partial.exists():
        kept = pd.read_csv(partial)
        kept = kept[kept["fingerprint"] == key].drop(columns="fingerprint")
        done = {run_key(row): row for row in kept.to_dict("records")}
    todo = [r for r in runs if run_key(vars(r)) not in done]
    if done:
        print(f"resuming: {len(runs) - len(todo)} of {len(runs)} runs kept from {partial}")
    partial.parent.mkdir(parents=True, exist_ok=True)

    def keep(row: dict) -> None:
        done[run_key(row)] = row
        pd.DataFrame([{**row, "fingerprint": key}]).to_csv(partial, mode="a", header=not partial.exists() or partial.stat().st_size == 0, index=False)

    with progress_bar(len(todo), f"{runs[0].experiment if runs else ''} runs", "run", progress) as bar:
        if workers <= 1 or len(todo) <= 1:
            for run in todo:
                keep(execute(run, context))
                bar.update()
        else:
            spawn = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(workers, mp_context=spawn, initializer=_init_worker, initargs=(context,)) as pool:
                for future in concurrent.futures.as_completed([pool.submit(_execute_in_worker, run) for run in todo]):
                    keep(future.result())
                    bar.update()
    return pd.DataFrame([done[run_key(vars(r))] for r in runs])
