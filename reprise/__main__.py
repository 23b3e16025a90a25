"""Command line: ``reprise <command>`` (the console script; ``python -m reprise <command>`` runs
the same code).

``score`` ranks source units for users who bring their own features::

    reprise score --source S.npy --target T.npy --method uot --out scores.parquet

S and T are float arrays with one unit (a class or cluster mean, or an image) per row. The
output has one row per source unit: ``unit`` (row of S), ``score``, ``rank`` (1 = most similar)
and, for UOT, ``log_score`` (log P1, which the rank is taken on). Inputs and outputs are checked
before any compute: a missing input, an output that is one of the inputs, a folder or not
writable is a one-line error. S is memory-mapped; the UOT kernel is held in memory up to
``--memory-budget`` GB and streamed beyond. Under ``torchrun --nproc_per_node N -m reprise
score ...`` (same flags) every process scores its share of S's rows and rank 0 writes the same
Parquet as one process would.

``selection`` measures how well each method finds a concept when the source units carry one
(the paper's Table 4 and Fig. 4a)::

    reprise selection --source S.npy --target T.npy --concepts classes.csv \
        --concept bird --k 100 --out-dir selection-report

``compare`` tells which differences between methods are real, from per-seed results (columns
``experiment, target, setting, method, seed, top1``, and ``pretrain_seed`` where the backbone was
pre-trained more than once): every method against plain fine-tuning and random reuse, paired by
(pretrain_seed,) seed, with 95% bootstrap and t intervals, over pre-training runs where there are
several (see :mod:`reprise.core.paired`)::

    reprise compare benchmarks/results/reuse_methods.csv --out comparison.csv --plot comparison.png

``rank`` ranks pre-trained models for a target without fine-tuning them (the model-selection
paper's question, :mod:`reprise.zoo.rank`): each model's features on at most 25 training images a
class, every transferability score that needs only those, and each score's ranking::

    reprise rank --train target/train --models a.pt resnet50=b.safetensors resnet50.IMAGENET1K_V2 --out ranking.csv

Building the parser imports nothing heavy, so that ``reprise --help`` answers at once: torch,
numpy, pandas, matplotlib, tqdm and the modules that import them are imported where they are
used, inside the command that needs them or the error path.
"""

from __future__ import annotations

import argparse
import os
import sys

from reprise import __version__
from reprise.core.errors import InputError
from reprise.reuse.settings import COSTS, UotSettings, gigabytes

SCORE_METHODS = ("uot", "greedy", "random")  # the selection methods that need only features (not label, none, cotuning)
SELECTION_FILES = ("recall.csv", "eps_c_sweep.csv", "eps_c_sweep.png")  # what `selection` writes in --out-dir

DESCRIPTION = """\
Reprise answers three questions of fine-tuning, each after a paper:

  which pre-training data to reuse:  `score` ranks source units (classes, clusters, images) by
      their similarity to the target under unbalanced optimal transport (UOT), Greedy-OT or at
      random; `selection` measures how well each method finds a concept; `compare` says which
      differences between methods, over seeds, are real;
  which pre-trained model to start from:  `rank` ranks models by transferability scores,
      without fine-tuning them;
  which checkpoint of a pre-training run:  the checkpoint study is a DVC pipeline, not a
      command (`dvc repro checkpoint_report`; README.md, "The pipeline", and docs/checkpoints.md).

`reprise COMMAND --help` for a command's options."""


def _score(args: argparse.Namespace) -> None:
    import torch

    from reprise.core.artifacts import read_npy, write_parquet
    from reprise.core.device import pick_device
    from reprise.core.distributed import processes
    from reprise.reuse.selection import score_units, scores_table

    _check_score_args(args)
    _check_paths([("--out", args.out)] + ([("--cost-cache", args.cost_cache)] if args.cost_cache is not None else []),
                 [("--source", args.source), ("--target", args.target)])
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
    """The flags of ``score`` that can be judged before looking at any file."""
    if args.block_rows is not None and args.block_rows < 1:
        raise InputError(f"--block-rows must be a positive number of rows, got {args.block_rows}")
    if args.seed < 0:
        raise InputError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.memory_budget is not None and not args.memory_budget >= 0:
        raise InputError(f"--memory-budget must be a non-negative number of GB, got {args.memory_budget}")


def _check_paths(outputs: list[tuple[str, str]], inputs: list[tuple[str, str]]) -> None:
    """Before any compute: every input file is there, then every output can be written and is no
    input (:func:`reprise.core.artifacts.check_outputs`). A missing input is named plainly here:
    the pipeline's readers add which stage writes it, which means nothing outside the pipeline."""
    from reprise.core.artifacts import check_outputs

    for name, path in inputs:
        try:
            os.stat(path)
        except FileNotFoundError:
            raise InputError(f"no such file: {path} ({name})") from None
        except OSError:
            pass  # a file that is there but cannot be read: reading it names the reason
    check_outputs(outputs, inputs)


def _selection(args: argparse.Namespace) -> None:
    from pathlib import Path

    import numpy as np

    from reprise.core.artifacts import read_npy, write_csv
    from reprise.reuse.recall import eps_c_sweep, plot_eps_c_sweep, recall_table

    out = Path(args.out_dir)
    _check_paths([("--out-dir", out / name) for name in SELECTION_FILES], [("--source", args.source), ("--target", args.target), ("--concepts", args.concepts)])
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
    from reprise.core.artifacts import check_outputs, write_csv
    from reprise.core.device import pick_device
    from reprise.zoo.rank import parse_scores, rank_models, ranking_text, target_sample

    scores = parse_scores(args.scores)
    if args.out:
        check_outputs([("--out", args.out)], [("--train", args.train)])  # a missing --train folder: target_sample says so
    sample = target_sample(args.train, args.per_class, args.seed)
    table = rank_models(args.models, sample, scores, arch=args.arch, image_size=args.image_size, seed=args.seed,
                        lgc_projection_dim=args.lgc_projection_dim, device=pick_device(args.device or "cpu"))
    print(f"{len(args.models)} models on {len(sample)} images of {sample.num_classes} classes ({args.train}); higher is better")
    print(ranking_text(table))
    if args.out:
        write_csv(table, args.out)
        print(f"wrote {args.out}")


def _read_concepts(path: str):
    """Concepts of the source units (a numpy array) from a CSV with a ``concept`` column, one row per unit."""
    from reprise.core.artifacts import read_csv

    frame = read_csv(path)
    if "concept" not in frame.columns:
        raise InputError(f"{path} has no 'concept' column; give one row per source unit with its concept")
    return frame["concept"].astype(str).to_numpy()


def _compare(args: argparse.Namespace) -> None:
    import pandas as pd

    from reprise.core.artifacts import check_figure_path, read_csv, write_csv
    from reprise.core.paired import compare, plot_intervals

    if args.plot is not None:
        check_figure_path("--plot", args.plot)
    outputs = [(flag, path) for flag, path in (("--out", args.out), ("--plot", args.plot)) if path is not None]
    _check_paths(outputs, [("RESULTS", path) for path in args.results])
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
        from reprise.core.messages import error

        error(f"{self.prog}: {message}; see {self.prog} --help")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="reprise", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    score = commands.add_parser("score", help="rank source units by their similarity to the target (UOT, Greedy-OT or random)")
    score.add_argument("--source", required=True, help="source unit features, .npy [n, d]")
    score.add_argument("--target", required=True, help="target unit features, .npy [m, d]")
    score.add_argument("--method", default="uot", choices=SCORE_METHODS, help="UOT (eq. 5 of the UOT paper), Greedy-OT or random (default uot)")
    score.add_argument("--cost", default=None, choices=COSTS.values, help="cos: (1 - cos)/eps_c; l2: ||a - b||/eps_c (default: the paper's, cos for uot, l2 for greedy)")
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
    report.add_argument("--eps", type=float, default=1.0, help="entropic regularisation of UOT (default 1)")
    report.add_argument("--tau1", type=float, default=1.0, help="source marginal relaxation of UOT (default 1)")
    report.add_argument("--tau2", type=float, default=100.0, help="target marginal relaxation of UOT (default 100)")
    report.add_argument("--sweep", type=float, nargs="+", default=[0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0], help="eps_c values of the sweep")
    report.add_argument("--out-dir", required=True, help=f"folder for {', '.join(SELECTION_FILES)}")
    report.set_defaults(run=_selection)

    pairs = commands.add_parser("compare", help="paired differences over seeds between methods, with 95%% intervals and a verdict")
    pairs.add_argument("results", nargs="+", help="CSV(s) with one row per seed: experiment, target, setting, method, seed (and pretrain_seed) and --value")
    pairs.add_argument("--against", nargs="+", default=["none", "random"], help="reference methods (default: none random)")
    pairs.add_argument("--value", default="top1", help="the column compared (default top1; higher is better)")
    pairs.add_argument("--out", default=None, help="CSV of every comparison")
    pairs.add_argument("--plot", default=None, help="figure of the intervals, in the format its suffix names (checked before any compute)")
    pairs.set_defaults(run=_compare)

    rank = commands.add_parser("rank", help="rank pre-trained models for a target by transferability scores, without fine-tuning")
    rank.add_argument("--train", required=True, help="the target's training images: a folder with one sub-folder of images a class")
    rank.add_argument("--models", required=True, nargs="+", help="models: a Reprise checkpoint or weights file; ARCH=FILE (a state dict of ARCH); "
                                                                 "named weights from the local cache, never downloaded: ARCH.ENUM (resnet50.IMAGENET1K_V2), "
                                                                 "timm:NAME (timm:convnext_tiny.fb_in1k, with timm installed) or torchvision:ARCH (= ARCH.DEFAULT); "
                                                                 "NAME=FILE reads named weights from a file. Named weights bring their own preprocessing")
    rank.add_argument("--scores", default="all", help="all, or a comma-separated list of lfc, logme, h_score, shrinkage_h_score, transrate, "
                                                      "sfda, parc, nleep, leep, nce, feature_metrics, lgc (default all)")
    rank.add_argument("--out", default=None, help="CSV of model, score, value, seconds, rank (1 = best)")
    rank.add_argument("--per-class", type=int, default=25, help="training images a class the scores see (default 25, the paper's)")
    rank.add_argument("--arch", default="resnet50", help="architecture of a weights file named without ARCH= (a torchvision model or named weights; default resnet50)")
    rank.add_argument("--image-size", type=int, default=224, help="side in pixels of the images a weights file of a plain architecture sees (named weights bring their own; default 224)")
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
        from reprise.core.messages import error

        error(str(exc))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
