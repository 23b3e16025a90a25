"""The UOT paper's experiments (§4.2–4.4) on the testbed (:mod:`reprise.reuse.testbed`), as runs
of plain or reusing fine-tuning paired by seed, resumable.

Each experiment is a list of :class:`Run` s (:func:`plan`); a run is one fine-tuning, identified by
``experiment, target, setting, method, seed``, and gives one row with ``top1`` on the target's
test set (``tuning``: on a validation split of the training set). Every seed draws its own
target split (and, for glyph targets, its own renderings and distortions), fine-tuning order and
random selection; the methods of one (target, setting, seed) share them, so their differences are
paired.

- ``tuning``: the rate and λ, chosen by the mean top-1 on validation splits of the training sets
  of ``tuning.seeds`` seeds (with 5 labels a class one seed's validation split is 26 images, too
  few to choose by), one point per target for every method (``tuning.shared``) or per method as
  the paper grid-searches them (see :func:`chosen`); the other experiments read the choice.
- ``table1`` (Table 1): every method at K = the target concept's classes in the pool, on every
  target, ``seeds`` seeds.
- ``k`` (Fig. 3a): UOT and random at K = ``k_multiples`` × the concept's classes.
- ``low_data`` (Fig. 3b): plain and UOT fine-tuning on ``fractions`` of each class's images.
- ``long_tail`` (Table 3): plain and UOT on a Pareto-profiled training set (largest class
  ``ratio`` × the smallest) and on a balanced one of the same size.
- ``deciles`` (Fig. 4b): the pool's classes ranked by UOT score and cut into ``deciles`` groups,
  each reused in turn, and plain fine-tuning.
- ``clusters`` (Table 2): UOT and random over k-means clusters of the pool (eq. 7) for each
  cluster number, selecting the clusters that hold about as many images as the concept's classes.
- ``table1b`` (Table 1b): the self-supervised backbone, reusing classes (labels) and clusters.

The sweeps run ``sweep_seeds`` seeds with the rate and λ that ``tuning`` chose for the method.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import multiprocessing
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from reprise.core import layout
from reprise.core.artifacts import read_npy, write_csv
from reprise.core.checkpoints import kept_checkpoint, load_feature_model
from reprise.core.device import pick_device
from reprise.core.errors import InputError
from reprise.core.features import extract_features
from reprise.core.images import ImageTable, validation_split
from reprise.core.progress import progress_bar
from reprise.reuse.clustering import spherical_kmeans
from reprise.reuse.comparison import ReuseSetting, ReuseSource, reuse_finetune, unit_scores
from reprise.reuse.testbed import balanced_counts, draw_target, fraction_counts, pareto_counts, per_class_subset
from reprise.world.handwriting import HANDWRITING

EXPERIMENTS = ("tuning", "table1", "k", "low_data", "long_tail", "deciles", "clusters", "table1b")
COLUMNS = ("experiment", "target", "setting", "method", "seed", "top1")
CLUSTER_METHOD = " (clusters)"  # suffix of a method that reuses k-means clusters (table1b)
CONTRASTIVE_DIR = "data/testbed/contrastive"  # the self-supervised backbone of table1b
PARTIAL_DIR = "data/testbed/partial"          # rows of an unfinished experiment, for resuming
RESULTS_DIR = "results/testbed"               # <experiment>.csv: one row per run (committed)
TUNED = "results/testbed/tuned.csv"           # target, method, lr, lambda, val_top1: the chosen point


def results(experiment: str) -> str:
    return f"{RESULTS_DIR}/{experiment}.csv"


@dataclass(frozen=True)
class Run:
    """One fine-tuning of an experiment. ``knobs``: how it departs from plain Table 1 reuse
    (``k``, ``counts`` of the training set, ``decile``, ``clusters``, ``backbone``)."""

    experiment: str
    target: str
    setting: str
    method: str
    seed: int
    lr: float
    lam: float
    knobs: dict = field(default_factory=dict, hash=False)


def related_classes(target: str, pool_concepts: list[str]) -> int:
    """The pool's classes of the target's concept (the classes label-based selection reuses)."""
    concept = "digit" if target in HANDWRITING else target  # handwriting's concept in the pool
    related = sum(c == concept for c in pool_concepts)
    if not related:
        raise InputError(f"testbed target {target}: the pool has no class of its concept {concept!r}; add it to world.concepts")
    return related


def plan(experiment: str, cfg: dict, pool_concepts: list[str], tuned: pd.DataFrame | None = None) -> list[Run]:
    """Every run of ``experiment`` under the ``testbed`` params ``cfg`` on a pool whose classes
    have the concepts ``pool_concepts``; all but ``tuning`` take each method's rate and λ from
    ``tuned`` (the ``tuning`` experiment's :func:`chosen`)."""
    if experiment not in EXPERIMENTS:
        raise InputError(f"unknown testbed experiment {experiment!r}; use one of {', '.join(EXPERIMENTS)}")
    runs = []
    for target in cfg["targets"]:
        related = related_classes(target, pool_concepts)

        def add(setting, method, seeds, tuned_as=None, **knobs):
            lr, lam = _hyper(tuned, target, tuned_as or method)
            runs.extend(Run(experiment, target, setting, method, s, lr, lam, knobs) for s in seeds)

        seeds, sweep = range(cfg["seeds"]), range(cfg["sweep_seeds"])
        if experiment == "tuning":
            t = cfg["tuning"]
            for method in cfg["methods"]:
                for lr in t["lrs"]:
                    for lam in (t["lambdas"] if method != "none" else [0.0]):
                        setting = f"lr={lr:g} lambda={lam:g}"
                        runs.extend(Run(experiment, target, setting, method, s, lr, lam, {"k": related}) for s in range(t["seeds"]))
        elif experiment == "table1":
            for method in cfg["methods"]:
                add(f"K={related}", method, seeds, k=related)
        elif experiment == "k":
            for multiple in cfg["k_multiples"]:
                k = max(1, round(multiple * related))
                for method in ("uot", "random"):
                    add(f"K={k} ({multiple:g}x)", method, sweep, k=k)
        elif experiment == "low_data":
            for fraction in cfg["fractions"]:
                for method in ("none", "uot"):
                    add(f"{round(100 * fraction)}%", method, sweep, k=related, fraction=fraction)
        elif experiment == "long_tail":
            for profile in ("balanced", "long tail"):
                for method in ("none", "uot"):
                    add(profile, method, sweep, k=related, profile=profile)
        elif experiment == "deciles":
            add("deciles", "none", sweep)
            for d in range(1, cfg["deciles"] + 1):
                add("deciles", f"decile {d}", sweep, tuned_as="uot", decile=d)
        elif experiment == "clusters":
            for n in cfg["clusters"]:
                k = max(1, round(n * related / len(pool_concepts)))
                for method in ("uot", "random"):
                    add(f"{n} clusters, K={k}", method, sweep, k=k, clusters=n)
        else:  # table1b
            n = cfg["contrastive"]["clusters"]
            k_clusters = max(1, round(n * related / len(pool_concepts)))
            for method in ("none", "random", "uot", "label"):
                add("self-supervised", method, sweep, k=related, backbone="contrastive")
            for method in ("random", "uot"):
                add("self-supervised", method + CLUSTER_METHOD, sweep, tuned_as=method, k=k_clusters, clusters=n, backbone="contrastive")
    return runs


def _hyper(tuned: pd.DataFrame | None, target: str, method: str) -> tuple[float, float]:
    if tuned is None:
        return float("nan"), float("nan")
    row = tuned[(tuned["target"] == target) & (tuned["method"] == method)]
    if len(row) != 1:
        raise InputError(f"the tuning results have no chosen rate for {method} on {target}; run the testbed's tuning stage")
    return float(row["lr"].iloc[0]), float(row["lambda"].iloc[0])


def chosen(tuning: pd.DataFrame, shared: bool) -> pd.DataFrame:
    """Each (target, method)'s rate and λ, from the validation top-1 averaged over the tuning
    seeds (ties to the first tried): per method (``shared`` false, the paper's protocol), or one
    point per target for every method (``shared``: the point best on average over the reusing
    methods; plain fine-tuning takes its rate), so that paired differences are the reused data's
    alone. ``val_top1``: the method's own mean validation top-1 at its point."""
    mean = tuning.groupby(["target", "method", "lr", "lambda"], sort=False)["top1"].mean().reset_index()
    if not shared:
        best = mean.loc[mean.groupby(["target", "method"], sort=False)["top1"].idxmax()]
        return best.rename(columns={"top1": "val_top1"}).reset_index(drop=True)
    rows = []
    for target, group in mean.groupby("target", sort=False):
        reusing = group[group["method"] != "none"]
        pooled = (reusing if len(reusing) else group).groupby(["lr", "lambda"], sort=False)["top1"].mean()
        lr, lam = pooled.idxmax()
        for method, own in group.groupby("method", sort=False):
            point = own[(own["lr"] == lr) & (own["lambda"] == (0.0 if method == "none" else lam))]
            rows.append({"target": target, "method": method, "lr": lr, "lambda": float(point["lambda"].iloc[0]), "val_top1": float(point["top1"].iloc[0])})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- running one fine-tuning


@dataclass
class Context:
    """What every run of an experiment reads: the ``testbed`` params, the shared fine-tuning and
    UOT params, the backbones' checkpoints, and the source units (built once per process)."""

    cfg: dict
    setting: ReuseSetting
    device: torch.device
    contrastive: Path | None = None
    assignments: dict = field(default_factory=dict)  # (backbone, clusters) -> k-means assignment
    _sources: dict = field(default_factory=dict)
    _features: dict = field(default_factory=dict)

    def checkpoint(self, backbone: str) -> Path:
        return self.contrastive if backbone == "contrastive" else self.setting.checkpoint

    def features(self, backbone: str) -> np.ndarray:
        """The pool's features from ``backbone``: the pipeline's for the supervised one."""
        if backbone not in self._features:
            if backbone == "supervised":
                self._features[backbone] = read_npy(layout.POOL_FEATURES)
            else:
                model, spec, _ = load_feature_model(self.contrastive, self.setting.layer)
                self._features[backbone] = extract_features(model, spec, ImageTable.read(layout.POOL_TABLE), self.device, progress=False)
        return self._features[backbone]

    def source(self, backbone: str, clusters: int | None) -> ReuseSource:
        key = (backbone, clusters)
        if key not in self._sources:
            if backbone == "supervised" and clusters is None:
                self._sources[key] = ReuseSource.of_pipeline("class")
            else:
                self._sources[key] = ReuseSource.of_features(ImageTable.read(layout.POOL_TABLE), self.features(backbone), self.assignments.get(key))
        return self._sources[key]

    def cluster(self, runs: list[Run], params: dict) -> None:
        """The k-means assignments the runs need, computed once (before the runs are shared out)."""
        c = params["cluster"]
        for key in sorted({(r.knobs.get("backbone", "supervised"), r.knobs["clusters"]) for r in runs if "clusters" in r.knobs}):
            if key not in self.assignments:
                self.assignments[key], _ = spherical_kmeans(self.features(key[0]), key[1], c["iterations"], c["seed"])


def execute(run: Run, context: Context) -> dict:
    """One run's row: the :data:`COLUMNS` and the fine-tuning's record (recall, units, images, ...)."""
    cfg, knobs = context.cfg, run.knobs
    spec = cfg["targets"][run.target]
    per_class = max(spec["labels_per_class"], cfg["long_tail"]["largest"]) if "profile" in knobs else spec["labels_per_class"]
    splits = draw_target(run.target, per_class, spec["test_per_class"], run.seed, elastic_alpha=spec["elastic_alpha"],
                            elastic_sigma=cfg["elastic_sigma"])
    train, test = splits.train, splits.test
    if "fraction" in knobs:
        train = per_class_subset(train, fraction_counts(per_class, train.num_classes, knobs["fraction"]))
    if "profile" in knobs:
        long_tail = pareto_counts(cfg["long_tail"]["largest"], train.num_classes, cfg["long_tail"]["ratio"], run.seed)
        counts = long_tail if knobs["profile"] == "long tail" else balanced_counts(int(long_tail.sum()), train.num_classes)
        train = per_class_subset(train, counts)
    if run.experiment == "tuning":
        train, test = validation_split(train, cfg["tuning"]["val_fraction"], run.seed)
    backbone = knobs.get("backbone", "supervised")
    setting = replace(context.setting, checkpoint=context.checkpoint(backbone), k=knobs.get("k", context.setting.k), concept=splits.meta["concept"])
    source = context.source(backbone, knobs.get("clusters"))
    method, selected = run.method.removesuffix(CLUSTER_METHOD), None
    if "decile" in knobs:
        order = unit_scores(setting, source, "uot", train, run.seed, context.device).order()
        selected, method = np.array_split(order, cfg["deciles"])[knobs["decile"] - 1], "uot"
    record = reuse_finetune(setting, source, method, train, test, lr=run.lr, lam=run.lam, seed=run.seed, device=context.device,
                            selected=selected)
    return {**{c: getattr(run, c) for c in COLUMNS[:-1]}, "top1": record.pop("top1"), "lr": run.lr, "lambda": run.lam,
            "train_images": len(train), **record}


# ---------------------------------------------------------------- running an experiment, resumably

_WORKER: Context | None = None


def _init_worker(context: Context) -> None:
    global _WORKER
    torch.set_num_threads(1)
    _WORKER = context


def _execute_in_worker(run: Run) -> dict:
    return execute(run, _WORKER)


def fingerprint(context: Context, params: dict, files: list[Path]) -> str:
    """What the rows of an experiment depend on: the params, and the bytes of the code and of the
    inputs in ``files`` (folders: every file under them). Rows kept from an interrupted run are
    reused only under the same fingerprint."""
    digest = hashlib.sha256(json.dumps([context.cfg, {k: params[k] for k in ("finetune", "uot", "select", "extract", "cluster")}],
                                       sort_keys=True, default=str).encode())
    for path in sorted(p for f in files for p in ([f] if Path(f).is_file() else sorted(Path(f).rglob("*"))) if p.is_file()):
        if path.suffix != ".pyc":
            digest.update(str(path).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def run_experiment(runs: list[Run], context: Context, partial: Path, key: str, workers: int, progress: bool = True) -> pd.DataFrame:
    """Every run's row, in plan order. Rows are appended to ``partial`` as they finish (with the
    fingerprint ``key``); a rerun after an interruption keeps the rows of the same key and runs
    only the others. ``workers`` > 1 shares the runs out to that many processes of one thread."""
    done = {}
    if partial.exists():
        kept = pd.read_csv(partial)
        kept = kept[kept["fingerprint"] == key].drop(columns="fingerprint")
        done = {tuple(row[c] for c in COLUMNS[:-1]): row for row in kept.to_dict("records")}
    todo = [r for r in runs if _key(r) not in done]
    if done:
        print(f"resuming: {len(runs) - len(todo)} of {len(runs)} runs kept from {partial}")
    partial.parent.mkdir(parents=True, exist_ok=True)

    def keep(row: dict) -> None:
        done[_key_of(row)] = row
        pd.DataFrame([{**row, "fingerprint": key}]).to_csv(partial, mode="a", header=not partial.exists() or partial.stat().st_size == 0,
                                                            index=False)

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
    return pd.DataFrame([done[_key(r)] for r in runs])


def _key(run: Run) -> tuple:
    return tuple(getattr(run, c) for c in COLUMNS[:-1])


def _key_of(row: dict) -> tuple:
    return tuple(row[c] for c in COLUMNS[:-1])


def context_for(params: dict, cfg: dict) -> Context:
    """The :class:`Context` of the pipeline's params and artifacts and the ``testbed`` params."""
    f, s = params["finetune"], params["select"]
    setting = ReuseSetting(
        checkpoint=kept_checkpoint(layout.PRETRAIN_DIR, params["extract"]["checkpoint"]), layer=params["extract"]["layer"], k=s["k"],
        uot=params["uot"], greedy_cost=s["greedy_cost"], concept=None, epochs=f["epochs"], batch_size=f["batch_size"],
        momentum=f["momentum"], weight_decay=f["weight_decay"],
    )
    contrastive = kept_checkpoint(CONTRASTIVE_DIR, "last", fix="testbed.contrastive.epochs") if Path(CONTRASTIVE_DIR).exists() else None
    return Context(cfg, setting, pick_device(params["device"]), contrastive)




# ---------------------------------------------------------------- the suite's params (suite/params.yaml)

PARAMS_FILE = "suite/params.yaml"


def _schema():
    from reprise.core.schema import COUNT, NON_NEGATIVE, POSITIVE, Choice, Int, ListOf, MapOf, Nullable, Real, Rule, Section

    class Bool(Rule):
        description = "true or false"

        def accepts(self, value) -> bool:
            return isinstance(value, bool)

    target = Section({"labels_per_class": COUNT, "test_per_class": Nullable(COUNT), "elastic_alpha": NON_NEGATIVE})
    return Section({"testbed": Section({
        "targets": MapOf(target), "elastic_sigma": POSITIVE, "seeds": Int(2), "sweep_seeds": Int(2),
        "workers": COUNT, "methods": ListOf(Choice("none", "random", "greedy", "uot", "label", "cotuning")),
        "tuning": Section({"lrs": ListOf(POSITIVE), "lambdas": ListOf(POSITIVE), "val_fraction": Real(0, 1), "seeds": COUNT, "shared": Bool()}),
        "k_multiples": ListOf(POSITIVE), "fractions": ListOf(Real(0, 1, high_closed=True)),
        "long_tail": Section({"largest": COUNT, "ratio": Real(1, 1000, low_closed=True, high_closed=True)}), "deciles": Int(2),
        "clusters": ListOf(COUNT), "contrastive": Section({"epochs": COUNT, "clusters": COUNT}),
    })})


def load_testbed(path: str | Path = PARAMS_FILE) -> dict:
    """The ``testbed`` section of the suite's params file, checked like ``params.yaml``."""
    from reprise.core.params import load_params

    params = load_params(path)
    _schema().check(params, "", str(path))
    return params["testbed"]
