"""The generators of :mod:`tools.generated_blocks`: committed results in, Markdown out.

Each generator is ``name(root, **arguments) -> str``, its arguments the marker's ``key=value``
words; it reads files under ``results/`` or ``benchmarks/results/`` of ``root`` (``param``: the
params files), never runs anything, and raises :class:`GeneratorError` (one line) when a file,
a column or a key is not there.

- ``param key=A.B.C [file=params.yaml] [fmt=F]``: a value of ``params.yaml`` (or ``params.real.yaml``,
  ``suite/params.yaml``).
- ``value file=F (path=A.B [over=C.D] | column=C | expr=E) [agg=A] [fmt=F] [where=Q] [COLUMN=VALUE ...]``:
  one number from a JSON file (its dotted ``path``, or its ratio to ``over``) or a CSV file (a column or a pandas ``expr``
  of its columns over the selected rows, which must be one unless ``agg`` says how to reduce them:
  mean, median, sum, min, max, std, count (rows), nunique (distinct values), first, join (the
  values in order, separated by spaces)).
- ``table file=F columns="HEADER=TEMPLATE|..." [rows=PATH] [group=C [split=S] [agg=sum]] [where=Q] [COLUMN=VALUE ...]``:
  a Markdown table, one row per selected row (of a CSV, or of the dict or list at ``rows`` in a
  JSON file; a dict's keys become the column ``key``), each cell a template such as
  ``{top1:.2f}``, in the file's order; ``group`` first reduces the rows sharing a value of C (or its part before
  ``split``) by ``agg``, counting them in ``n``.
- ``pivot file=F rows=R[,R2] cell="[LABEL=]TEMPLATE;..." [cols=C[,C2]] [value=V [per=P] [best=B]]
  [order=A,*,B] [sort=[-]FIELD@COL] [bold=max|min] [corner=TEXT] [label=TEMPLATE] [where=Q] [COLUMN=VALUE ...]``:
  a table of the row values against the column values (no ``cols``: one column of cells). A
  cell's template sees, over its group of rows, the mean of each numeric column (of a true/false
  column: the share of true), the first value of the others, ``all_COLUMN`` (every value, in
  order), and ``mean, std, n, min, max`` of V (over the means of V per value of P where ``per``
  is given: ``per=seed`` gives the spread over seeds) and ``best`` (the value of B with the
  highest mean of V). ``bold`` marks a row's best mean of V; with one column value, a labelled
  template's header is its label alone; ``order`` lists rows (``A/B`` for two row columns), ``*``
  standing for the rest, after ``sort`` by a field of one column.
- ``paired file=F a=A b=B [by=method] [pair=seed] [value=top1] [show=full|wins] [where=Q] [COLUMN=VALUE ...]``:
  the paired difference A − B over ``pair`` (rows with the same ``pair`` values averaged first;
  rows with a ``pretrain_seed`` pair on it too, their intervals over the pre-training runs),
  as "+1.12 [−2.79, +5.04], within noise": mean and 95% interval of
  :func:`reprise.core.findings.paired_interval`, verdict of :func:`reprise.core.findings.verdict`
  (``show=wins``: "6 of 10", the pairs on which A is higher).
- ``paired_table file=F pairs=A:B,... [cols=C] [layout=grid|detail] ...``: several of those, a
  row a pair, a column a value of C (``grid``), or one row a pair with the mean, both intervals,
  the seeds won and the verdict (``detail``).
- ``markdown file=F (table=N | paragraph=N)``: the N-th table or paragraph of a Markdown file a
  report wrote (``results/checkpoints/summary.md``), as it is.
- ``findings [study=S]``: ``results/findings.csv`` by :func:`reprise.core.findings.render_markdown`:
  one table of the papers' claims, each finding with its agreement with the paper.
- ``stage_params stage=S [pipeline=dvc.yaml]``: the params a stage declares in its pipeline.

Templates are Python format strings over the row's columns; ``{name!n}`` shows a method or score
by its name in the docs (``uot`` → UOT, :data:`NAMES`); every negative number is written with the
minus sign −; NaN as —; ``{seconds:duration}`` as "17 min 20 s".
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from reprise.core.errors import InputError
from reprise.core.findings import STUDIES, findings_frame, paired_interval, render_markdown, verdict
from reprise.core.paired import PRETRAIN_SEED, paired_difference
from reprise.core.score_names import SCORE_LABELS

SOURCES = ("results/", "benchmarks/results/")
PARAMS = ("params.yaml", "params.real.yaml", "suite/params.yaml")
PIPELINES = ("dvc.yaml", "suite/dvc.yaml")
NAMES = {
    "none": "plain fine-tuning", "uot": "UOT", "greedy": "Greedy-OT", "random": "random", "label": "label-based",
    "cotuning": "Co-Tuning", "uot (clusters)": "UOT (clusters)", "random (clusters)": "random (clusters)",
    **SCORE_LABELS, "oracle": "oracle",
    "supervised_resnet18": "supervised ResNet-18", "mocov2_resnet50": "MoCo-v2 ResNet-50", "cub": "CUB", "dogs": "Dogs", "pets": "Pets",
}
AGGREGATES = ("mean", "median", "sum", "min", "max", "std", "count", "nunique", "first", "join")


class GeneratorError(Exception):
    """What a generator cannot do, in one line."""


# ---------------------------------------------------------------- reading


def _source(root: Path, file: str) -> Path:
    if not file.startswith(SOURCES):
        raise GeneratorError(f"{file} is not a committed result; generators read {' or '.join(SOURCES)}")
    path = root / file
    if not path.is_file():
        raise GeneratorError(f"{file} not found")
    return path


def _json(root: Path, file: str) -> dict | list:
    return json.loads(_source(root, file).read_text())


def _lookup(data, path: str, file: str):
    for key in path.split("."):
        if isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        elif isinstance(data, dict) and key in data:
            data = data[key]
        else:
            raise GeneratorError(f"{file} has no {path!r} (no {key!r})")
    return data


def _frame(root: Path, file: str, rows: str | None = None) -> pd.DataFrame:
    """A CSV file, or the list or dict of records at ``rows`` of a JSON file (a dict's keys in ``key``)."""
    if file.endswith(".csv"):
        if rows is not None:
            raise GeneratorError("rows= is a path inside a JSON file; a CSV file is read whole")
        return pd.read_csv(_source(root, file))
    data = _json(root, file)
    data = _lookup(data, rows, file) if rows else data
    if isinstance(data, dict):
        return pd.DataFrame([{"key": key, **(value if isinstance(value, dict) else {"value": value})} for key, value in data.items()])
    if isinstance(data, list):
        return pd.DataFrame(data)
    raise GeneratorError(f"{file}: {rows or 'the file'} is not a list or a dict of rows")


def _select(frame: pd.DataFrame, filters: dict[str, str], where: str | None, file: str, empty: bool = False) -> pd.DataFrame:
    """The rows whose columns equal the ``filters`` (compared as text) and that satisfy ``where``
    (none is an error unless ``empty``)."""
    for column, wanted in filters.items():
        if column not in frame.columns:
            raise GeneratorError(f"{file} has no column {column!r} (columns: {', '.join(map(str, frame.columns))})")
        frame = frame[frame[column].astype(str) == wanted]
    if where:
        try:
            frame = frame.query(where, engine="python")
        except Exception as error:  # pandas raises many kinds for a bad expression
            raise GeneratorError(f"where={where!r} on {file}: {error}") from None
    if frame.empty and not empty:
        raise GeneratorError(f"no row of {file} matches {', '.join(f'{k}={v}' for k, v in filters.items()) or ''} {where or ''}".rstrip())
    return frame


# ---------------------------------------------------------------- formatting


def duration(seconds: float) -> str:
    """Seconds for people: "8.8 s", "67 s", "17 min 20 s", "1 h 2 min"."""
    seconds = float(seconds)
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


class _Formatter(string.Formatter):
    """str.format with ``!n`` (the docs' name of a method or score), ``:duration``, − for negatives and — for NaN."""

    def get_value(self, key, args, kwargs):
        if key not in kwargs:
            raise GeneratorError(f"no field {key!r} (fields: {', '.join(map(str, kwargs))})")
        return kwargs[key]

    def convert_field(self, value, conversion):
        return NAMES.get(value, value) if conversion == "n" else super().convert_field(value, conversion)

    def format_field(self, value, format_spec):
        if isinstance(value, (bool, np.bool_)):
            return str(bool(value)).lower()
        if isinstance(value, (int, float, np.integer, np.floating)):
            if isinstance(value, (float, np.floating)) and math.isnan(value):
                return "—"
            if format_spec == "duration":
                return duration(value)
            if isinstance(value, (float, np.floating)) and float(value).is_integer() and format_spec.endswith("d"):
                value = int(value)
            return format(value, format_spec).replace("-", "−")
        return format(value, format_spec)


FORMATTER = _Formatter()


def fill(template: str, fields: dict) -> str:
    """``template`` formatted with ``fields`` by :class:`_Formatter`; a field whose name a format
    string cannot hold ("UOT-l2 ε_c=0.01") is also there with every such character as ``_``."""
    fields = {**{re.sub(r"\W", "_", str(key)): value for key, value in fields.items()}, **fields}
    try:
        return FORMATTER.vformat(template, (), fields)
    except (ValueError, IndexError, TypeError) as error:
        raise GeneratorError(f"template {template!r}: {error}") from None


def number(value, fmt: str | None = None) -> str:
    """One value as the docs write it: ``fmt`` a format spec (or ``duration``); by default integers
    whole and other numbers with two decimals; lists joined with commas."""
    if isinstance(value, list):
        return ", ".join(number(v, fmt) for v in value)
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, np.bool_)):
        return "null" if value is None else str(bool(value)).lower()
    if fmt is None:
        fmt = "d" if float(value).is_integer() else ".2f"
    return fill("{v:" + fmt + "}", {"v": value})


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _templates(spec: str, separator: str) -> list[tuple[str, str]]:
    """``"A=t1|B=t2"`` → [("A", "t1"), ("B", "t2")]: a part's label is its text before an ``=`` that
    comes before any ``{``; a part without one has no label."""
    parts = []
    for part in spec.split(separator):
        equals, brace = part.find("="), part.find("{")
        parts.append((part[:equals].strip(), part[equals + 1:]) if equals >= 0 and (brace < 0 or equals < brace) else ("", part))
    return parts


# ---------------------------------------------------------------- paired differences


def _paired_result(frame: pd.DataFrame, a: str, b: str, by: str, pair: list[str], value: str, file: str) -> dict:
    """``a`` − ``b`` paired on the ``pair`` columns; rows with a ``pretrain_seed`` pair on it too,
    and their intervals are over pre-training runs (:func:`reprise.core.paired.paired_difference`)."""
    if PRETRAIN_SEED in frame.columns and PRETRAIN_SEED not in pair:
        pair = [PRETRAIN_SEED, *pair]
    for column in (by, value, *pair):
        if column not in frame.columns:
            raise GeneratorError(f"{file} has no column {column!r}")
    sides = []
    for side in (a, b):
        rows = frame[frame[by].astype(str) == side]
        if rows.empty:
            raise GeneratorError(f"{file}: no row with {by}={side} among the selected ones")
        sides.append(rows.groupby(pair)[value].mean())
    both = pd.concat(sides, axis=1, keys=["a", "b"]).dropna()
    if len(both) < 2:
        raise GeneratorError(f"{file}: {a} and {b} share {len(both)} {'/'.join(pair)}; a paired difference needs 2")
    runs = both.index.get_level_values(PRETRAIN_SEED) if PRETRAIN_SEED in pair else None
    return paired_difference(both["a"], both["b"], runs=runs)


def _show(result: dict, show: str) -> str:
    lo, hi = paired_interval(result)
    mean, interval = number(result["mean"], "+.2f"), f"[{number(lo, '+.2f')}, {number(hi, '+.2f')}]"
    shown = {"full": f"{mean} {interval}, {verdict(lo, hi)}", "wins": f"{result['wins']} of {result['seeds']}"}
    if show not in shown:
        raise GeneratorError(f"show={show!r}: one of {', '.join(shown)}")
    return shown[show]


# ---------------------------------------------------------------- the generators


def param(root: Path, key: str, file: str = "params.yaml", fmt: str | None = None) -> str:
    """A value of ``params.yaml`` (or of ``file``, one of :data:`PARAMS`; a list joined with commas)."""
    if file not in PARAMS:
        raise GeneratorError(f"file={file}: params come from {', '.join(PARAMS)}")
    params = yaml.safe_load((root / file).read_text())
    value = _lookup(params, key, file)
    if isinstance(value, dict):
        raise GeneratorError(f"{file}: {key} is a section ({', '.join(value)}); name one of its keys")
    return number(value, fmt or "g")


def value(root: Path, file: str, path: str | None = None, over: str | None = None, column: str | None = None, expr: str | None = None,
          agg: str | None = None, fmt: str | None = None, where: str | None = None, **filters: str) -> str:
    """One number of a JSON file (``path``, divided by the value at ``over`` if given) or of the
    selected rows of a CSV file (``column``, ``expr``, ``agg``)."""
    if file.endswith(".json"):
        if column or expr or agg or where or filters:
            raise GeneratorError("a JSON value is named by path= (and over=) alone")
        if not path:
            raise GeneratorError("a JSON value needs path=")
        data = _json(root, file)
        found = _lookup(data, path, file)
        if over:
            found = found / _lookup(data, over, file)
    else:
        frame = _select(_frame(root, file), filters, where, file, empty=agg == "count")
        if agg == "count":
            found = len(frame)
        else:
            if bool(column) == bool(expr):
                raise GeneratorError("a CSV value needs column= or expr=, one of them")
            if column and column not in frame.columns:
                raise GeneratorError(f"{file} has no column {column!r}")
            series = frame[column] if column else frame.eval(expr, engine="python")
            if agg is None:
                if len(series) != 1:
                    raise GeneratorError(f"{len(series)} rows of {file} match; select one or give agg= ({', '.join(AGGREGATES)})")
                found = series.iloc[0]
            elif agg == "join":
                found = " ".join(number(v, fmt) if isinstance(v, (int, float, np.number)) else str(v) for v in series)
            elif agg in AGGREGATES:
                found = series.iloc[0] if agg == "first" else getattr(series, agg)()
            else:
                raise GeneratorError(f"agg={agg!r}: one of {', '.join(AGGREGATES)}")
    return number(found.item() if isinstance(found, np.generic) else found, fmt)


def table(root: Path, file: str, columns: str, rows: str | None = None, group: str | None = None, split: str | None = None,
          agg: str = "sum", where: str | None = None, **filters: str) -> str:
    """A Markdown table: a row per selected row (or group), a column per ``HEADER=TEMPLATE``."""
    frame = _select(_frame(root, file, rows), filters, where, file)
    if group:
        keys = frame[group].astype(str).str.split(split).str[0] if split else frame[group]
        numeric = frame.select_dtypes("number").columns
        reduced = frame.groupby(keys.rename(group), sort=False)[list(numeric)].agg(agg)
        frame = reduced.join(keys.value_counts().rename("n")).reset_index()
    parts = _templates(columns, "|")
    return _table([label for label, _ in parts], [[fill(t, row) for _, t in parts] for row in frame.to_dict("records")])


def pivot(root: Path, file: str, rows: str, cell: str, cols: str | None = None, value: str | None = None, per: str | None = None,
          best: str | None = None, order: str | None = None,
          sort: str | None = None, bold: str | None = None, corner: str | None = None, label: str | None = None,
          where: str | None = None, **filters: str) -> str:
    """A table of the values of ``rows`` against those of ``cols`` (each one column or several,
    joined by commas), a cell per group of rows: its template sees the mean of every numeric
    column, the first value of every other, and ``mean, std, n, min, max`` of ``value``."""
    frame = _select(_frame(root, file), filters, where, file)
    if cols is None:
        frame, cols = frame.assign(_all=""), "_all"
    row_keys, col_keys = rows.split(","), cols.split(",")
    for column in (*row_keys, *col_keys, *([value] if value else [])):
        if column not in frame.columns:
            raise GeneratorError(f"{file} has no column {column!r}")
    groups = {}
    for key, part in frame.groupby([*row_keys, *col_keys], sort=False):
        fields = {c: part[c].mean() if pd.api.types.is_numeric_dtype(part[c]) else part[c].iloc[0] for c in part.columns}
        fields.update({f"all_{c}": " ".join(number(v, "g") if isinstance(v, (int, float, np.number)) else str(v) for v in part[c])
                       for c in part.columns})
        if value:
            values = part.groupby(per.split(","))[value].mean() if per else part[value].astype(float)
            fields.update(mean=values.mean(), std=values.std(ddof=1) if len(values) > 1 else float("nan"), n=len(values),
                          min=values.min(), max=values.max())
            if best:
                fields["best"] = part.groupby(best)[value].mean().idxmax()
        groups[(key[:len(row_keys)], key[len(row_keys):])] = fields
    row_values = list(dict.fromkeys(r for r, _ in groups))
    columns = list(dict.fromkeys(c for _, c in groups))
    if sort:
        field, _, at = sort.lstrip("-").partition("@")
        column = next((c for c in columns if ", ".join(map(str, c)) == at), columns[0]) if at else columns[0]
        row_values.sort(key=lambda r: groups.get((r, column), {}).get(field, float("nan")), reverse=sort.startswith("-"))
    if order:
        names = [name.split("/") for name in order.split(",")]
        rest = [r for r in row_values if list(map(str, r)) not in names]
        row_values = [r for name in names for r in (rest if name == ["*"] else [r for r in row_values if list(map(str, r)) == name])]
    parts = _templates(cell, ";")
    header = [", ".join(row_keys) if corner is None else corner]
    header += [lab if lab and len(columns) == 1 else ", ".join(filter(None, [lab, *(fill("{v!n}", {"v": v}) for v in c)]))
               for lab, _ in parts for c in columns]
    body = []
    for r in row_values:
        line = [fill(label, dict(zip(row_keys, r))) if label else ", ".join(fill("{v!n}", {"v": v}) for v in r)]
        for i, (_, template) in enumerate(parts):
            cells = {c: groups.get((r, c)) for c in columns}
            boldest = None
            if bold and i == 0 and value:
                present = {c: f["mean"] for c, f in cells.items() if f is not None}
                boldest = (max if bold == "max" else min)(present, key=present.get)
            line += ["" if f is None else f"**{fill(template, f)}**" if c == boldest else fill(template, f) for c, f in cells.items()]
        body.append(line)
    return _table(header, body)


def paired(root: Path, file: str, a: str, b: str, by: str = "method", pair: str = "seed", value: str = "top1", show: str = "full",
           where: str | None = None, **filters: str) -> str:
    """The paired difference ``a`` − ``b`` among the selected rows, as a phrase (``show``)."""
    frame = _select(_frame(root, file), filters, where, file)
    return _show(_paired_result(frame, a, b, by, pair.split(","), value, file), show)


def paired_table(root: Path, file: str, pairs: str, cols: str | None = None, layout: str = "grid", transpose: str = "false",
                 by: str = "method", pair: str = "seed", value: str = "top1", show: str = "full", corner: str = "",
                 where: str | None = None, **filters: str) -> str:
    """Several paired differences: a row a pair ``A:B`` and a column a value of ``cols`` (one column,
    or several joined by commas; ``transpose=true`` swaps rows and columns) in the ``grid`` layout;
    or, in the ``detail`` layout, a row a pair with the mean, the bootstrap and t intervals, the
    seeds won and the verdict."""
    frame = _select(_frame(root, file), filters, where, file)
    comparisons = [tuple(p.split(":", 1)) for p in pairs.split(",")]
    name = lambda p: f"{NAMES.get(p[0], p[0])} − {NAMES.get(p[1], p[1])}"  # noqa: E731
    if layout == "detail":
        rows = []
        for p in comparisons:
            r = _paired_result(frame, *p, by, pair.split(","), value, file)
            lo, hi = paired_interval(r)
            rows.append([name(p), number(r["mean"], "+.2f"), f"[{number(r['boot_low'], '+.2f')}, {number(r['boot_high'], '+.2f')}]",
                         f"[{number(r['t_low'], '+.2f')}, {number(r['t_high'], '+.2f')}]", f"{r['wins']} of {r['seeds']}", verdict(lo, hi)])
        return _table([corner or "comparison", "mean", "bootstrap 95%", "t 95%", "seeds won", "verdict"], rows)
    if layout != "grid" or not cols:
        raise GeneratorError("layout=grid needs cols=; layout=detail needs none")
    keys = cols.split(",")
    for column in keys:
        if column not in frame.columns:
            raise GeneratorError(f"{file} has no column {column!r}")
    groups = list(frame.groupby(keys, sort=False))
    cells = [[_show(_paired_result(part, *p, by, pair.split(","), value, file), show) for _, part in groups] for p in comparisons]
    labels = [", ".join(map(str, key)) for key, _ in groups]
    if transpose == "true":
        return _table([corner or ", ".join(keys)] + [name(p) for p in comparisons],
                      [[label] + [row[i] for row in cells] for i, label in enumerate(labels)])
    return _table([corner] + labels, [[name(p)] + row for p, row in zip(comparisons, cells)])


def markdown(root: Path, file: str, table: str | None = None, paragraph: str | None = None) -> str:
    """The ``table``-th table or the ``paragraph``-th paragraph (from 1; headings are neither) of a
    Markdown file a report wrote, as it is."""
    if (table is None) == (paragraph is None):
        raise GeneratorError("give table=N or paragraph=N")
    parts = [part.strip("\n") for part in re.split(r"\n\s*\n", _source(root, file).read_text())]
    parts = [part for part in parts if part and not part.startswith("#")]
    tables = [part for part in parts if part.startswith("|")]
    chosen, index = (tables, table) if table is not None else ([part for part in parts if not part.startswith("|")], paragraph)
    if not index.isdigit() or not 1 <= int(index) <= len(chosen):
        raise GeneratorError(f"{file} has {len(chosen)} {'tables' if table is not None else 'paragraphs'}; asked for number {index}")
    return chosen[int(index) - 1]


def findings(root: Path, study: str | None = None) -> str:
    """``results/findings.csv``, every study's claims with their paired evidence, as tables."""
    path = root / "results" / "findings.csv"
    if not path.is_file():
        raise GeneratorError("results/findings.csv not found: the report stages write it (dvc repro)")
    try:
        frame = findings_frame(pd.read_csv(path, keep_default_na=False, dtype={"target": str, "setting": str}))
    except InputError as error:
        raise GeneratorError(f"results/findings.csv: {error}") from None
    if study is not None:
        if study not in STUDIES:
            raise GeneratorError(f"study={study!r}: one of {', '.join(STUDIES)}")
        frame = frame[frame["study"] == study]
    return render_markdown(frame)


def stage_params(root: Path, stage: str, pipeline: str = "dvc.yaml") -> str:
    """The params a stage of ``pipeline`` (``dvc.yaml`` or ``suite/dvc.yaml``) declares, as code
    spans (``—`` for none): the list ``tools/dvc_deps.py`` writes from the stage's ``READS``."""
    if pipeline not in PIPELINES:
        raise GeneratorError(f"pipeline={pipeline!r}: one of {', '.join(PIPELINES)}")
    stages = yaml.safe_load((root / pipeline).read_text())["stages"]
    if stage not in stages:
        raise GeneratorError(f"{pipeline} has no stage {stage!r}")
    names = []
    for entry in stages[stage].get("do", stages[stage]).get("params", []):
        names += [f"{file}: {n}" for file, keys in entry.items() for n in keys] if isinstance(entry, dict) else [str(entry)]
    return ", ".join(f"`{name.replace('${key}', '<member>')}`" for name in names) or "—"


GENERATORS: dict[str, Callable[..., str]] = {
    f.__name__: f for f in (param, value, table, pivot, paired, paired_table, markdown, findings, stage_params)
}
