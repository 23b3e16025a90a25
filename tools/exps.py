#!/usr/bin/env python3
"""``make exps``: the experiments at a glance, in a terminal of 120 columns.

``dvc exp show`` lists every param, metric and dependency (about 280 columns); this prints one row
for the workspace, each commit and each experiment (queued, running, failed or done) with the
params people vary that differ between the rows, then the headline metrics, under short names:

    python tools/exps.py            # the experiments of HEAD (make exps)
    python tools/exps.py -A         # any `dvc exp show` selection flag: -A, -a, -n N, --rev R
    python tools/exps.py --width 160

Columns that do not fit the width are left out, the last first, and named under the table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys

PARAMS = {  # params people vary: shown when they differ between the rows (others too, after these)
    "uot.tau1": "tau1", "uot.tau2": "tau2", "uot.eps_c": "eps_c", "uot.eps": "eps", "uot.cost": "cost",
    "select.method": "method", "select.unit": "unit", "select.k": "k", "finetune.epochs": "epochs", "finetune.lr": "lr",
}
METRICS = {  # the headline metrics: (file, dotted key) -> column
    ("results/metrics.json", "top1.baseline"): "base",
    ("results/metrics.json", "top1.reuse"): "reuse",
    ("results/metrics.json", "gain"): "gain",
    ("results/zoo/headline.json", "full.lfc_spearman"): "LFC rho",
    ("results/zoo/headline.json", "full.lgc_spearman"): "LGC rho",
    ("results/checkpoints/headline.json", "best_fe_epoch"): "FE best",
    ("results/checkpoints/headline.json", "best_ft_epoch"): "FT best",
}
PARAMS_FILE = "params.yaml"


def flat(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in (tree or {}).items():
        name = f"{prefix}{key}"
        out.update(flat(value, f"{name}.") if isinstance(value, dict) else {name: value})
    return out


def rows(shown: list[dict]) -> list[dict]:
    """One row a revision of ``dvc exp show --json``: ``name``, ``created``, ``state``, its params
    (dotted keys) under ``params`` and the headline metrics under their columns."""
    out = []

    def row(rev: dict, name: str, state: str, indent: str) -> dict:
        data = rev.get("data") or {}
        params = flat((data.get("params") or {}).get(PARAMS_FILE, {}).get("data"))
        metrics = {file: flat(entry.get("data")) for file, entry in (data.get("metrics") or {}).items()}
        timestamp = data.get("timestamp") or ""
        return {"name": indent + name, "created": timestamp[11:16] if timestamp else "", "state": state, "params": params,
                **{column: metrics.get(file, {}).get(key) for (file, key), column in METRICS.items()}}

    for commit in shown:
        name = "workspace" if commit["rev"] == "workspace" else (commit.get("name") or commit["rev"][:7])
        out.append(row(commit, name, "failed" if commit.get("error") else "", ""))
        for experiment in commit.get("experiments") or []:
            executor = experiment.get("executor") or {}
            for rev in experiment.get("revs") or []:
                state = executor.get("state") or ("failed" if rev.get("error") else "done")
                out.append(row(rev, experiment.get("name") or rev.get("name") or rev["rev"][:7], state, "  "))
    return out


def table(revisions: list[dict], width: int) -> tuple[list[list[str]], list[str]]:
    """The lines of the table (header first) fitted to ``width``, and the columns left out."""
    varied = [key for key in {k for r in revisions for k in r["params"]} if len({repr(r["params"].get(key)) for r in revisions}) > 1]
    params = [k for k in PARAMS if k in varied] + sorted(k for k in varied if k not in PARAMS)
    metrics = [column for column in METRICS.values() if any(r[column] is not None for r in revisions)]
    columns = ["Experiment", "created", "state", *[PARAMS.get(k, k) for k in params], *metrics]
    cells = [[r["name"], r["created"], r["state"], *[_cell(r["params"].get(k)) for k in params], *[_cell(r[m]) for m in metrics]] for r in revisions]
    lines = [columns, *cells]
    dropped = []
    while len(lines[0]) > 1 and _width(lines) > width:
        dropped.insert(0, lines[0][-1])
        lines = [line[:-1] for line in lines]
    return lines, dropped


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _width(lines: list[list[str]]) -> int:
    return sum(max(len(line[i]) for line in lines) for i in range(len(lines[0]))) + 2 * (len(lines[0]) - 1)


def render(lines: list[list[str]]) -> str:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = ["  ".join(cell.ljust(w) if i < 3 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths))).rstrip() for line in lines]
    return "\n".join([text[0], "-" * len(text[0]), *text[1:]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The experiments at a glance (make exps).")
    parser.add_argument("--width", type=int, default=None, help="columns of the table (default: the terminal's, at most 120)")
    args, selection = parser.parse_known_args(argv)
    done = subprocess.run(["dvc", "exp", "show", "--json", *selection], capture_output=True, text=True)
    if done.returncode:
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit code {done.returncode}"
        print(f"error: dvc exp show failed: {last}", file=sys.stderr)
        return 2
    width = args.width or min(shutil.get_terminal_size((120, 24)).columns, 120)
    lines, dropped = table(rows(json.loads(done.stdout or "[]")), width)
    print(render(lines))
    if dropped:
        print(f"(left out for width: {', '.join(dropped)}; see dvc exp show)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
