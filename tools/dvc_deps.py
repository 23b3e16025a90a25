#!/usr/bin/env python3
"""Write each DVC stage's code deps and params from its script: the deps are exactly the package
files the script imports, directly or through other modules (lazy imports included:
:func:`reprise.core.imports.import_closure`), and the params exactly what the script's ``READS``
declares (:mod:`reprise.core.settings`); every other dep (data, real-mode inputs) is kept.

    python tools/dvc_deps.py          # rewrite dvc.yaml and suite/dvc.yaml
    python tools/dvc_deps.py --check  # list every difference, write nothing; exit 1 if any

Run from the repository root after adding an import or a param to a stage."""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedSeq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reprise.core.imports import PACKAGES, import_closure  # noqa: E402
from reprise.core.settings import PARAMS_FILE, dvc_params  # noqa: E402

PIPELINES = ("dvc.yaml", "suite/dvc.yaml")


def stage_reads(module: str, argument: str | None, items: list | None) -> tuple:
    """The ``READS`` of a stage script for the stage's argument (a foreach's items must agree)."""
    reads = importlib.import_module(module).READS
    if not isinstance(reads, dict):
        return reads
    if argument in reads:
        return reads[argument]
    chosen = {tuple(map(repr, reads[str(item)])) for item in items or []}
    if len(chosen) != 1:
        raise SystemExit(f"{module}: its items {items} read different params; give each its own stage")
    return reads[str(items[0])]


def expected(name: str, stage: dict) -> tuple[list[str], list]:
    """The deps and params the stage ``name`` should list."""
    body = stage.get("do", stage)
    match = re.fullmatch(r"python3? -m ([\w.]+)(?: (\S+))?", body["cmd"])
    if not match:
        raise SystemExit(f"{name}: its command {body['cmd']!r} does not run a stage module (python -m stages.<name> [argument])")
    module, argument = match.groups()
    script = module.replace(".", "/") + ".py"
    code = import_closure(script, ROOT)
    data = [d for d in body.get("deps", []) if str(d).split("/")[0] not in PACKAGES]
    deps = [script, *[c for c in code if c != script], *data]
    by_file = dvc_params(stage_reads(module, argument, stage.get("foreach")))
    params = list(by_file.pop(PARAMS_FILE, []))
    params = [{f: names} for f, names in by_file.items()] + params
    return deps, params


def block(items: list) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_block_style()
    return seq


def differences(pipeline: str, stages: dict) -> list[str]:
    """``<pipeline>: <stage>: deps|params lacks|lists ...`` for every entry of ``stages`` (a
    pipeline's ``stages`` mapping) that differs from what its script imports and reads."""
    out = []
    for name, stage in stages.items():
        body = stage.get("do", stage)
        deps, params = expected(name, stage)
        have = {"deps": [str(d) for d in body.get("deps", [])], "params": _plain(body.get("params", []))}
        for what, want in (("deps", deps), ("params", _plain(params))):
            out += [f"{pipeline}: {name}: {what} lacks {w}" for w in want if w not in have[what]]
            out += [f"{pipeline}: {name}: {what} lists {h}, which the stage does not use" for h in have[what] if h not in want]
    return out


def write(pipeline: str, doc: dict) -> None:
    """Rewrite the deps and params of every stage of ``doc`` (the loaded ``pipeline``) in place."""
    for name, stage in doc["stages"].items():
        body = stage.get("do", stage)
        deps, params = expected(name, stage)
        body["deps"] = block(deps)
        if params:
            body["params"] = block(params)
        elif "params" in body:
            del body["params"]


def yaml_io() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 200
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="list the differences, write nothing")
    args = parser.parse_args()
    yaml, found = yaml_io(), []
    for pipeline in PIPELINES:
        path = ROOT / pipeline
        doc = yaml.load(path.read_text())
        found += differences(pipeline, doc["stages"])
        if not args.check:
            write(pipeline, doc)
            with path.open("w") as f:
                yaml.dump(doc, f)
    if args.check:
        print("\n".join(found) or "every stage lists exactly the code it imports and the params it reads")
        return 1 if found else 0
    print(f"wrote {', '.join(PIPELINES)} ({len(found)} changes)")
    return 0


def _plain(params) -> list[str]:
    """Params entries as ``name`` or ``file:name`` strings, to compare."""
    out = []
    for entry in params:
        if isinstance(entry, dict):
            out += [f"{f}:{n}" for f, names in entry.items() for n in names]
        else:
            out.append(str(entry))
    return out


if __name__ == "__main__":
    sys.exit(main())
