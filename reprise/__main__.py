"""Command line: ``python -m reprise <command>`` (or ``reprise <command>`` once installed).

``score`` ranks source units for users who bring their own features::

    python -m reprise score --source S.npy --target T.npy --method uot --out scores.parquet

S and T are float arrays with one unit (a class or cluster mean, or an image) per row. The
output has one row per source unit: ``unit`` (row of S), ``score``, ``rank`` (1 = most similar).
"""

from __future__ import annotations

import argparse
import sys

import torch

from reprise.artifacts import read_npy, write_parquet
from reprise.errors import InputError
from reprise.selection import COSTS, score_units, scores_table


def _score(args: argparse.Namespace) -> None:
    if args.method not in ("uot", "greedy", "random"):
        raise InputError(f"--method must be uot, greedy or random, got {args.method!r}")
    source = read_npy(args.source, mmap=args.block_rows is not None)
    target = read_npy(args.target)
    for path, array in ((args.source, source), (args.target, target)):
        if array.dtype.kind != "f":
            raise InputError(f"{path} holds {array.dtype} values; features must be a float array, one unit per row")
    scores = score_units(
        source,
        target,
        args.method,
        cost=args.cost,
        eps_c=args.eps_c,
        eps=args.eps,
        tau1=args.tau1,
        tau2=args.tau2,
        source_weights=args.source_weight,
        seed=args.seed,
        block_rows=args.block_rows,
        cost_cache=args.cost_cache,
        device=args.device,
        dtype=torch.float64 if args.float64 else None,
        tol=args.tol,
        max_iter=args.max_iter,
    )
    table = scores_table(scores)
    write_parquet(table, args.out)
    report = f", {scores.solver['n_iter']} iterations, converged: {scores.solver['converged']}" if scores.solver else ""
    print(f"wrote {len(table)} scores to {args.out}{report}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reprise", description="Select pre-training data for a target task by unbalanced optimal transport.")
    commands = parser.add_subparsers(dest="command", required=True)

    score = commands.add_parser("score", help="score source units against target units")
    score.add_argument("--source", required=True, help="source unit features, .npy [n, d]")
    score.add_argument("--target", required=True, help="target unit features, .npy [m, d]")
    score.add_argument("--method", default="uot", help="uot | greedy | random (default uot)")
    score.add_argument("--cost", default="cos", choices=COSTS, help="cos: (1 - cos)/eps_c; l2: ||a - b||/eps_c (default cos)")
    score.add_argument("--eps-c", type=float, default=0.01, help="cost scale eps_c (default 0.01)")
    score.add_argument("--eps", type=float, default=1.0, help="entropic regularisation (default 1)")
    score.add_argument("--tau1", type=float, default=1.0, help="source marginal relaxation (default 1)")
    score.add_argument("--tau2", type=float, default=100.0, help="target marginal relaxation (default 100)")
    score.add_argument("--source-weight", type=float, default=None, help="weight of every source unit (default 1)")
    score.add_argument("--seed", type=int, default=0, help="seed for --method random")
    score.add_argument("--block-rows", type=int, default=None, help="stream the source in blocks of this many rows")
    score.add_argument("--cost-cache", default=None, help="with --block-rows: file to cache the cost blocks in")
    score.add_argument("--device", default=None, help="cpu, cuda, ... (default cpu)")
    score.add_argument("--float64", action="store_true", help="solve in float64 (default: float64 only for float64 input)")
    score.add_argument("--tol", type=float, default=1e-9, help="convergence tolerance (default 1e-9)")
    score.add_argument("--max-iter", type=int, default=1000, help="iteration cap (default 1000)")
    score.add_argument("--out", required=True, help="output Parquet: unit, score, rank")
    score.set_defaults(run=_score)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
