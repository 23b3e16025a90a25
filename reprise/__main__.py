"""Command line: ``python -m reprise <command>`` (or ``reprise <command>`` once installed).

``score`` ranks source units for users who bring their own features::

    python -m reprise score --source S.npy --target T.npy --method uot --out scores.parquet

S and T are float arrays with one unit (a class or cluster mean, or an image) per row. The
output has one row per source unit: ``unit`` (row of S), ``score``, ``rank`` (1 = most similar)
and, for UOT, ``log_score`` (log P1, which the rank is taken on). Outputs are checked before
any compute: an output that is one of the inputs, a folder or not writable is a one-line error.
S is memory-mapped; the UOT kernel is held in memory up to ``--memory-budget`` GB and streamed
beyond. Under ``torchrun --nproc_per_node N -m reprise score ...`` (same flags) every process
scores its share of S's rows and rank 0 writes the same Parquet as one process would.

``selection`` measures how well each method finds a concept when the source units carry one
(the paper's Table 4 and Fig. 4a)::

    python -m reprise selection --source S.npy --target T.npy --concepts classes.csv \
        --concept bird --k 100 --out-dir selection-report

``compare`` tells which differences between methods are real, from per-seed results (columns
``experiment, target, setting, method, seed, top1``, and ``pretrain_seed`` where the backbone was
pre-trained more than once): every method against plain fine-tuning and random reuse, paired by
(pretrain_seed,) seed, with 95% bootstrap and t intervals, over pre-training runs where there are
several (see :mod:`reprise.core.paired`)::

    python -m reprise compare benchmarks/results/reuse_methods.csv --out comparison.csv --plot comparison.png

``rank`` ranks pre-trained models for a target without fine-tuning them (the model-selection
paper's question, :mod:`reprise.zoo.rank`): each model's features on at most 25 training images a
class, every transferability score that needs only those, and each score's ranking::

    python -m reprise rank --train target/train --models a.pt resnet50=b.safetensors torchvision:resnet18 --out ranking.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from reprise.core.artifacts import FIGURE_FORMATS, check_figure_path, check_outputs, read_csv, read_npy, write_csv, write_parquet
from reprise.core.device import pick_device
from reprise.core.distributed import processes
from reprise.core.errors import InputError
from reprise.core.messages import error
from reprise.core.paired import compare, plot_intervals
from reprise.reuse.cost import COSTS
from reprise.reuse.recall import eps_c_sweep, plot_eps_c_sweep, recall_table
from reprise.reuse.selection import score_units, scores_table
from reprise.reuse.settings import UotSettings, gigabytes

SELECTION_FILES = ("recall.csv", "eps_c_sweep.csv", "eps_c_sweep.png")  # what `selection` writes in --out-dir


def _score(args: argparse.Namespace) -> None:
    _check_score_args(args)
    group = processes()
    device = group.place(pick_device(args.device)) if args.device is not None else None
    source = read_npy(args.source, mmap=True)
    target = read_npy(args.target)
    for path, array in ((args.source, source), (args.target, target)):
        if array.dtype.kind != "f":
            raise InputError(f"{path} holds {array.dtype} values; features must be a float array, one unit per row")
    uot = UotSettings(eps=args.eps, tau1=args.tau1, tau2=args.tau2, eps_c=args.eps_c, cost=args.cost, source_weight=args.source_weight,
                      block_rows=args.block_rows, memory_budget=gigabytes(args.memory_budget), tol=args.tol, max_iter=args.max_iter)
    scores = score_units(source, target, args.method, **uot.solver_args(args.method), seed=args.seed, cost_cache=args.cost_cache, device=device,
                         dtype=torch.float64 if args.float64 else None, sharded=True)
    if not group.is_main:
        return
    table = scores_table(scores)
    write_parquet(table, args.out)
    solver, timing = scores.solver, scores.timing
    report = (f", {solver['n_iter']} iterations, converged: {solver['converged']}, log P1 from {solver['log_score_min']:.4g} to "
              f"{solver['log_score_max']:.4g}, kernel {solver['kernel']} ({timing['kernel_bytes'] / 1e9:.3g} GB, "
              f"{timing['iteration_seconds'] * 1e3:.3g} ms an iteration" + (f", {timing['gb_per_second']:.3g} GB/s read)" if solver["kernel"] == "in memory" else ")")) if solver else ""
    processes_note = f" on {group.world_size} processes" if group.several else ""
    print(f"wrote {len(table)} scores to {args.out}{processes_note}{report}")


def _check_score_args(args: argparse.Namespace) -> None:
    """The flags of ``score`` that can be judged before reading anything."""
    if args.method not in ("uot", "greedy", "random"):
        raise InputError(f"--method must be uot, greedy or random, got {args.method!r}")
    if args.block_rows is not None and args.block_rows < 1:
        raise InputError(f"--block-rows must be a positive number of rows, got {args.block_rows}")
    if args.seed < 0:
        raise InputError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.memory_budget is not None and not args.memory_budget >= 0:
        raise InputError(f"--memory-budget must be a non-negative number of GB, got {args.memory_budget}")
    outputs = [("--out", args.out)] + ([("--cost-cache", args.cost_cache)] if args.cost_cache is not None else [])
    check_outputs(outputs, [("--source", args.source), ("--target", args.target)])


def _selection(args: argparse.Namespace) -> None:
    out = Path(args.out_dir)
    check_outputs([("--out-dir", out / name) for name in SELECTION_FILES], [("--source", args.source), ("--target", args.target), ("--concepts", args.concepts)])
    source, target = read_npy(args.source), read_npy(args.target)
    concepts = _read_concepts(args.concepts)
    relevant = np.isin(concepts, args.concept)
    uot = {"eps": args.eps, "tau1": args.tau1, "tau2": args.tau2}
    table = recall_table(source, target, relevant, args.k, args.eps_c, **uot)
    sweep = eps_c_sweep(source, target, relevant, args.k, args.sweep, **uot)
    recall_csv, sweep_csv, sweep_png = (out / name for name in SELECTION_FILES)
    write_csv(table, recall_csv)
    write_csv(sweep, sweep_csv)
    title = f"recall of {'/'.join(args.concept)} ({int(relevant.sum())} units) in the top {args.k}"
    plot_eps_c_sweep(sweep, sweep_png, title)
    print(table.round(2).to_string(index=False))
    print(sweep.round({"uot_recall": 2, "greedy_recall": 2}).to_string(index=False))
    print(f"wrote {', '.join(SELECTION_FILES)} to {out}")


def _rank(args: argparse.Namespace) -> None:
    from reprise.zoo.rank import parse_scores, rank_models, ranking_text, target_sample  # here: it loads the model stack

    scores = parse_scores(args.scores)
    if args.out:
        check_outputs([("--out", args.out)], [("--train", args.train)])
    sample = target_sample(args.train, args.per_class, args.seed)
    table = rank_models(args.models, sample, scores, arch=args.arch, image_size=args.image_size, seed=args.seed,
                        lgc_projection_dim=args.lgc_projection_dim, device=pick_device(args.device or "cpu"))
    print(f"{len(args.models)} models on {len(sample)} images of {sample.num_classes} classes ({args.train}); higher is better")
    print(ranking_text(table))
    if args.out:
        write_csv(table, args.out)
        print(f"wrote {args.out}")


def _read_concepts(path: str) -> np.ndarray:
    """Concepts of the source units from a CSV with a ``concept`` column, one row per unit."""
    frame = read_csv(path)
    if "concept" not in frame.columns:
        raise InputError(f"{path} has no 'concept' column; give one row per source unit with its concept")
    return frame["concept"].astype(str).to_numpy()


def _compare(args: argparse.Namespace) -> None:
    if args.plot is not None:
        check_figure_path("--plot", args.plot)
    outputs = [(flag, path) for flag, path in (("--out", args.out), ("--plot", args.plot)) if path is not None]
    check_outputs(outputs, [("RESULTS", path) for path in args.results])
    table = pd.concat([read_csv(path) for path in args.results], ignore_index=True)
    comparison = compare(table, against=args.against, value=args.value)
    if comparison.empty:
        raise InputError(f"nothing to compare: no method shares at least 2 seeds with {' or '.join(args.against)} in {', '.join(args.results)}")
    if args.out is not None:
        write_csv(comparison, args.out)
    if args.plot is not None:
        plot_intervals(comparison, args.plot, args.value)
    shown = comparison.assign(
        bootstrap=[f"[{lo:+.2f}, {hi:+.2f}]" for lo, hi in zip(comparison["boot_low"], comparison["boot_high"])],
        t=[f"[{lo:+.2f}, {hi:+.2f}]" for lo, hi in zip(comparison["t_low"], comparison["t_high"])],
        record=[f"{w}/{t}/{l}" for w, t, l in zip(comparison["wins"], comparison["ties"], comparison["losses"])],
    )
    columns = ["target", "setting", "method", "against", "seeds", "pretrain_runs", "mean", "bootstrap", "t", "wilcoxon_p", "record", "verdict"]
    print(shown[columns].round({"mean": 2, "wilcoxon_p": 3}).to_string(index=False))


class _Parser(argparse.ArgumentParser):
    """argparse with a usage error on one line, as every other error (exit code 2)."""

    def error(self, message: str):
        error(f"{self.prog}: {message}; see {self.prog} --help")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="reprise", description="Select pre-training data for a target task by unbalanced optimal transport.")
    commands = parser.add_subparsers(dest="command", required=True)

    score = commands.add_parser("score", help="score source units against target units")
    score.add_argument("--source", required=True, help="source unit features, .npy [n, d]")
    score.add_argument("--target", required=True, help="target unit features, .npy [m, d]")
    score.add_argument("--method", default="uot", help="uot | greedy | random (default uot)")
    score.add_argument("--cost", default=None, choices=COSTS, help="cos: (1 - cos)/eps_c; l2: ||a - b||/eps_c (default: the paper's, cos for uot, l2 for greedy)")
    score.add_argument("--eps-c", type=float, default=0.01, help="cost scale eps_c (default 0.01)")
    score.add_argument("--eps", type=float, default=1.0, help="entropic regularisation (default 1)")
    score.add_argument("--tau1", type=float, default=1.0, help="source marginal relaxation (default 1)")
    score.add_argument("--tau2", type=float, default=100.0, help="target marginal relaxation (default 100)")
    score.add_argument("--source-weight", type=float, default=None, help="weight of every source unit (default 1)")
    score.add_argument("--seed", type=int, default=0, help="seed for --method random")
    score.add_argument("--block-rows", type=int, default=None, help="rows of the source read at a time (default: about 64 MB of cost a block)")
    score.add_argument("--memory-budget", type=float, default=None, help="GB the UOT kernel may take in memory; beyond it the cost is streamed (default: half the free memory; 0: always stream)")
    score.add_argument("--cost-cache", default=None, help="stream the cost through this file (written on the first pass, read on the others) instead of holding the kernel")
    score.add_argument("--device", default=None, help="auto, cpu, cuda or cuda:N (default cpu)")
    score.add_argument("--float64", action="store_true", help="solve in float64 (default: float64 only for float64 input)")
    score.add_argument("--tol", type=float, default=1e-9, help="convergence tolerance (default 1e-9)")
    score.add_argument("--max-iter", type=int, default=1000, help="iteration cap (default 1000)")
    score.add_argument("--out", required=True, help="output Parquet: unit, score, rank (and log_score for uot)")
    score.set_defaults(run=_score)

    report = commands.add_parser("selection", help="recall of a concept in the top K for every method and cost, and over eps_c")
    report.add_argument("--source", required=True, help="source unit features, .npy [n, d]")
    report.add_argument("--target", required=True, help="target unit features, .npy [m, d]")
    report.add_argument("--concepts", required=True, help="CSV with a 'concept' column, one row per source unit")
    report.add_argument("--concept", required=True, nargs="+", help="the target's concept(s), e.g. bird")
    report.add_argument("--k", type=int, default=100, help="units selected (default 100)")
    report.add_argument("--eps-c", type=float, default=0.01, help="eps_c of the UOT rows of the table (default 0.01)")
    report.add_argument("--eps", type=float, default=1.0)
    report.add_argument("--tau1", type=float, default=1.0)
    report.add_argument("--tau2", type=float, default=100.0)
    report.add_argument("--sweep", type=float, nargs="+", default=[0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0], help="eps_c values of the sweep")
    report.add_argument("--out-dir", required=True, help="folder for recall.csv, eps_c_sweep.csv, eps_c_sweep.png")
    report.set_defaults(run=_selection)

    pairs = commands.add_parser("compare", help="paired differences over seeds between methods, with 95%% intervals and a verdict")
    pairs.add_argument("results", nargs="+", help="CSV(s) with one row per seed: experiment, target, setting, method, seed (and pretrain_seed) and --value")
    pairs.add_argument("--against", nargs="+", default=["none", "random"], help="reference methods (default: none random)")
    pairs.add_argument("--value", default="top1", help="the column compared (default top1; higher is better)")
    pairs.add_argument("--out", default=None, help="CSV of every comparison")
    pairs.add_argument("--plot", default=None, help=f"figure of the intervals ({', '.join('.' + f for f in FIGURE_FORMATS)})")
    pairs.set_defaults(run=_compare)

    rank = commands.add_parser("rank", help="rank pre-trained models for a target by transferability scores, without fine-tuning")
    rank.add_argument("--train", required=True, help="the target's training images: a folder with one sub-folder of images a class")
    rank.add_argument("--models", required=True, nargs="+", help="models: a Reprise checkpoint or weights file, ARCH=FILE (torchvision state dict) "
                                                                 "or torchvision:ARCH (weights from the local torch hub cache)")
    rank.add_argument("--scores", default="all", help="all, or a comma-separated list of lfc, logme, h_score, shrinkage_h_score, transrate, "
                                                      "sfda, parc, nleep, leep, nce, feature_metrics, lgc (default all)")
    rank.add_argument("--out", default=None, help="CSV of model, score, value, seconds, rank (1 = best)")
    rank.add_argument("--per-class", type=int, default=25, help="training images a class the scores see (default 25, the paper's)")
    rank.add_argument("--arch", default="resnet50", help="torchvision architecture of a weights file named without ARCH= (default resnet50)")
    rank.add_argument("--image-size", type=int, default=224, help="side in pixels of the images imported weights see (default 224)")
    rank.add_argument("--lgc-projection-dim", type=int, default=10_000, help="dimension LGC projects the gradients to (default 10000)")
    rank.add_argument("--seed", type=int, default=0, help="seed of the sample, NLEEP's mixture and LGC's projection (default 0)")
    rank.add_argument("--device", default=None, help="auto, cpu, cuda or cuda:N (default cpu)")
    rank.set_defaults(run=_rank)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except InputError as exc:
        error(str(exc))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
