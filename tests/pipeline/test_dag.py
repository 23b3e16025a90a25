"""The DAG is complete: every stage's deps cover every package module its script imports, directly
or through other modules, so that editing a module makes `dvc status` name every stage that uses
it, and `dvc status` clean means every result is current."""

from __future__ import annotations

import ast
import copy
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from pipeline_utils import REPO, dvc

PACKAGES = ("reprise", "stages")


def module_file(module: str, root: Path = REPO) -> Path | None:
    """The file of a dotted module name in the repository, or None (a third-party module)."""
    base = root / module.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path) -> set[str]:
    """Every repository module that a file imports, anywhere in it (lazy imports included), with
    the packages above each (importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)  # `from pkg import module`
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    names = {name for name in names if name.split(".")[0] in PACKAGES}
    return {".".join(name.split(".")[:i]) for name in names for i in range(1, name.count(".") + 2)}


def import_closure(script: Path, root: Path = REPO) -> set[str]:
    """Repository-relative paths of every module the script needs, itself included."""
    seen, todo = {script}, [script]
    while todo:
        for module in imported_modules(todo.pop()):
            path = module_file(module, root)
            if path is not None and path not in seen:
                seen.add(path)
                todo.append(path)
    return {str(path.relative_to(root)) for path in seen}


def only_a_docstring(path: Path) -> bool:
    body = ast.parse(path.read_text()).body
    return all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body)


def stage_script(cmd: str) -> str:
    match = re.search(r"python3? -m ([\w.]+)", cmd)
    assert match, f"stage command {cmd!r} does not run a module with python -m"
    return match.group(1)


def missing_deps(stages: dict, root: Path = REPO) -> list[str]:
    """``<stage>: <module>`` for every module a stage's script needs that its deps do not cover
    (a dep covers itself and, for a folder, everything under it). An ``__init__.py`` that holds
    only a docstring runs no code and needs no dep."""
    missing = []
    for name, stage in stages.items():
        body = stage.get("do", stage)
        deps = [str(dep).rstrip("/") for dep in body.get("deps", [])]
        script = module_file(stage_script(body["cmd"]), root)
        for module in sorted(import_closure(script, root)):
            covered = any(module == dep or module.startswith(dep + "/") for dep in deps)
            if not covered and not (module.endswith("__init__.py") and only_a_docstring(root / module)):
                missing.append(f"{name}: {module}")
    return missing


def dvc_stages(root: Path = REPO) -> dict:
    return yaml.safe_load((root / "dvc.yaml").read_text())["stages"]


def test_every_stage_lists_every_module_its_script_imports():
    missing = missing_deps(dvc_stages())
    assert not missing, "dvc.yaml deps miss modules the stage scripts import:\n" + "\n".join(missing)


def test_every_stage_of_the_testbed_suite_lists_every_module_its_script_imports():
    stages = yaml.safe_load((REPO / "suite" / "dvc.yaml").read_text())["stages"]
    assert {body.get("wdir", body.get("do", {}).get("wdir")) for body in stages.values()} == {".."}  # paths from the repository root
    missing = missing_deps(stages)
    assert not missing, "suite/dvc.yaml deps miss modules the stage scripts import:\n" + "\n".join(missing)


def test_the_check_names_the_stage_and_the_module_when_a_dep_is_removed():
    stages = copy.deepcopy(dvc_stages())
    stages["score"]["deps"].remove("reprise/reuse")
    stages["checkpoint"]["do"]["deps"].remove("reprise/world")
    missing = missing_deps(stages)
    assert "score: reprise/reuse/uot.py" in missing and "score: reprise/reuse/cost.py" in missing
    assert "checkpoint: reprise/world/handwriting.py" in missing
    assert all(line.split(":")[0] in {"score", "checkpoint"} for line in missing)


def test_lazy_imports_count_too(tmp_path):
    (tmp_path / "stages").mkdir()
    (tmp_path / "reprise").mkdir()
    (tmp_path / "reprise" / "__init__.py").write_text('"""Docstring only."""\n')
    (tmp_path / "reprise" / "heavy.py").write_text("X = 1\n")
    (tmp_path / "stages" / "lazy.py").write_text("def main():\n    from reprise.heavy import X\n    return X\n")
    stages = {"lazy": {"cmd": "python -m stages.lazy", "deps": ["stages/lazy.py"]}}
    assert missing_deps(stages, tmp_path) == ["lazy: reprise/heavy.py"]


@pytest.mark.xdist_group("tiny_repo")
def test_editing_a_module_makes_dvc_status_name_every_stage_that_imports_it(tiny_repo, tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(tiny_repo, root, symlinks=True)
    assert json.loads(dvc(root, "status", "--json").stdout) == {}
    edited = "reprise/reuse/cost.py"
    with open(root / edited, "a") as f:
        f.write("\n# an edit\n")
    changed = set(json.loads(dvc(root, "status", "--json").stdout))
    importers = {name for name, stage in dvc_stages(root).items()
                 if edited in import_closure(module_file(stage_script(stage.get("do", stage)["cmd"]), root), root)}
    assert importers == {"score", "select", "evaluate"}
    named = {name.split("@")[0] for name in changed}
    assert importers <= named, f"dvc status misses {importers - named}"
    assert not named & {"world", "target", "pretrain", "extract", "zoo_scores", "checkpoint"}  # these do not use the module
