"""Typed settings: a section checked and resolved once, and a stage that can read only what it
declares (reprise.core.settings)."""

import pytest
import yaml

from pipeline_utils import REPO
from reprise.core.errors import InputError
from reprise.core.sections import DEVICE, FinetuneSettings, LoaderSettings
from reprise.core.settings import MODE, StageParams, UndeclaredParam, dvc_params
from reprise.reuse.settings import SelectSettings, UotSettings
from reprise.zoo.settings import ZooSettings

PARAMS = yaml.safe_load((REPO / "params.yaml").read_text())


def params(**changes) -> dict:
    out = {**PARAMS}
    for section, values in changes.items():
        out[section] = {**PARAMS[section], **values} if isinstance(values, dict) else values
    return out


def test_a_section_is_checked_and_resolved_once():
    uot = UotSettings.parse({**PARAMS["uot"], "memory_budget": 1.5})
    assert uot.memory_budget == 1_500_000_000 and UotSettings.parse(PARAMS["uot"]).memory_budget is None  # auto: half the free memory
    assert FinetuneSettings.parse(PARAMS["finetune"]).lambda_ == PARAMS["finetune"]["lambda"]
    assert LoaderSettings.parse({"num_workers": 3, "prefetch_factor": 2}).num_workers == 3
    zoo = ZooSettings.parse(PARAMS["zoo"], "real")
    assert zoo.finetune.epochs == PARAMS["zoo"]["finetune"]["epochs"]["real"] and zoo.probe.arch == "resnet18"
    with pytest.raises(InputError, match=r"^params.yaml: uot.eps must be a positive number, got 0$"):
        UotSettings.parse({**PARAMS["uot"], "eps": 0})


def test_the_solver_arguments_carry_every_key_of_the_uot_section():
    uot = UotSettings.parse(PARAMS["uot"])
    args = uot.solver_args("greedy", "l2")
    assert args["cost"] == "l2" and uot.solver_args("uot", "l2")["cost"] == PARAMS["uot"]["cost"]
    assert {"eps", "tau1", "tau2", "eps_c", "source_weights", "block_rows", "tol", "max_iter", "memory_budget"} <= set(args)


def test_a_stage_reads_only_what_it_declares():
    p = StageParams({"params.yaml": PARAMS}, (SelectSettings.keys("method", "k"), UotSettings, DEVICE))
    assert (p.select.method, p.select.k, p.uot.tau2, p.device) == ("uot", PARAMS["select"]["k"], PARAMS["uot"]["tau2"], "auto")
    with pytest.raises(UndeclaredParam, match="select.seed"):
        p.select.seed
    with pytest.raises(UndeclaredParam, match="finetune"):
        p.finetune
    assert dvc_params((SelectSettings.keys("method", "k"), UotSettings, DEVICE)) == {"params.yaml": ["select.method", "select.k", "uot", "device"]}


def test_a_value_written_by_mode_needs_mode_declared():
    zoo = ZooSettings.keys("finetune")
    with pytest.raises(UndeclaredParam, match="declare mode"):
        StageParams({"params.yaml": PARAMS}, (zoo,)).zoo
    p = StageParams({"params.yaml": params(mode="real")}, (zoo, MODE))
    assert p.zoo.finetune.epochs == PARAMS["zoo"]["finetune"]["epochs"]["real"] and p.mode == "real"
    assert StageParams({"params.yaml": PARAMS}, (ZooSettings.keys("targets"),)).zoo.targets == PARAMS["zoo"]["targets"]  # no such value read


def test_a_member_key_reads_the_entry_of_the_stage_argument_only():
    p = StageParams({"params.yaml": PARAMS}, (ZooSettings.keys("members.${key}"),), argument="greek")
    assert p.zoo.members["greek"] == PARAMS["zoo"]["members"]["greek"]
    with pytest.raises(UndeclaredParam, match="zoo.members.cyrillic"):
        p.zoo.members["cyrillic"]


def test_a_declared_key_must_exist():
    with pytest.raises(ValueError, match="select has no key kk"):
        SelectSettings.keys("kk")


def test_cross_key_errors_are_one_line():
    with pytest.raises(InputError, match="zoo.default 'nobody' is not a zoo member"):
        ZooSettings.parse({**PARAMS["zoo"], "default": "nobody"})
