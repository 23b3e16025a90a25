"""The DAG is exact: every stage's deps are the package files its script imports (directly or
through other modules, lazy imports included) and its params are what its script's READS
declares, so that editing a module or a key reruns exactly the stages that use it, and
`dvc status` clean means every result is current."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import shared_dir
from pipeline_utils import REPO, dvc
from reprise.core.imports import import_closure
from tools.dvc_deps import PIPELINES, differences

DVC_STAGES = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_every_stage_lists_exactly_the_modules_it_imports_and_the_params_it_reads(pipeline):
    stages = yaml.safe_load((REPO / pipeline).read_text())["stages"]
    found = differences(pipeline, stages)
    assert not found, "run python tools/dvc_deps.py:\n" + "\n".join(found)


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_every_stage_says_what_it_does_in_a_line_dvc_stage_list_shows_whole(pipeline):
    stages = yaml.safe_load((REPO / pipeline).read_text())["stages"]
    descriptions = {name: stage.get("do", stage).get("desc", "") for name, stage in stages.items()}
    assert all(descriptions.values()), [name for name, desc in descriptions.items() if not desc]
    assert max(map(len, descriptions.values())) <= 80  # beside the longest name, in a 120-column terminal


def test_the_shared_deps_check_passes_with_exact():
    shared = shared_dir()
    tool = shared / "tools" / "dvc-deps-check.py" if shared else None
    if tool is None or not tool.exists():
        pytest.skip("../shared/tools/dvc-deps-check.py not found (set REPRISE_SHARED)")
    done = subprocess.run([sys.executable, str(tool), "--exact", *PIPELINES], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_difference_names_the_stage_and_the_module_or_key():
    stages = copy.deepcopy(DVC_STAGES)
    stages["score"]["deps"].remove("reprise/reuse/uot.py")
    stages["score"]["deps"].append("reprise/zoo/report.py")
    stages["checkpoint"]["do"]["params"].remove("jobs")
    stages["select"]["params"].append("uot.tau1")
    assert sorted(differences("dvc.yaml", stages)) == [
        "dvc.yaml: checkpoint: params lacks jobs",
        "dvc.yaml: score: deps lacks reprise/reuse/uot.py",
        "dvc.yaml: score: deps lists reprise/zoo/report.py, which the stage does not use",
        "dvc.yaml: select: params lists uot.tau1, which the stage does not use",
    ]


def test_lazy_imports_count_too_and_modules_that_run_nothing_are_left_out(tmp_path):
    (tmp_path / "stages").mkdir()
    (tmp_path / "reprise").mkdir()
    (tmp_path / "reprise" / "__init__.py").write_text('"""Docstring only."""\n')
    (tmp_path / "reprise" / "heavy.py").write_text("from reprise.light import Y\nX = 1\n")
    (tmp_path / "reprise" / "light.py").write_text("Y = 2\n")
    (tmp_path / "stages" / "lazy.py").write_text("def main():\n    from reprise.heavy import X\n    return X\n")
    assert import_closure("stages/lazy.py", tmp_path) == ["reprise/heavy.py", "reprise/light.py", "stages/lazy.py"]


def test_a_study_never_imports_another():
    studies = ("reuse", "zoo", "checkpoints")
    for study in studies:
        for module in sorted((REPO / "reprise" / study).rglob("*.py")):
            closure = import_closure(module.relative_to(REPO), REPO)
            others = [m for m in closure if m.split("/")[1] in studies and m.split("/")[1] != study]
            assert not others, f"{module.relative_to(REPO)} imports {others}"


def importers(module: str) -> set[str]:
    return {name for name, stage in DVC_STAGES.items() if module in stage.get("do", stage)["deps"]}


@pytest.mark.xdist_group("tiny_repo")
@pytest.mark.parametrize("edited", ["reprise/core/paired.py", "reprise/reuse/cost.py", "reprise/zoo/settings.py", "reprise/reuse/suite/execution.py"])
def test_editing_a_module_makes_dvc_status_name_only_the_stages_that_import_it(tiny_repo, tmp_path, edited):
    root = tmp_path / "repo"
    shutil.copytree(tiny_repo, root, symlinks=True)
    assert json.loads(dvc(root, "status", "--json").stdout) == {}
    with open(root / edited, "a") as f:
        f.write("\n# an edit\n")
    named = {name.split("@")[0] for name in json.loads(dvc(root, "status", "--json").stdout)}
    assert named == importers(edited), f"{edited}: dvc status names {sorted(named)}"
    if edited.startswith("reprise/reuse/suite/"):
        assert named == set()  # the testbed suite's code reruns no stage of the default pipeline
    if edited == "reprise/zoo/settings.py":
        assert not named & {"world", "target", "pretrain", "extract", "score", "finetune_reuse", "checkpoint"}  # the zoo's schema: no data reuse
