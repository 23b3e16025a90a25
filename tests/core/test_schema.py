"""params.yaml against its declared schema: unknown keys, types, ranges and allowed values."""

import copy
import re

import pytest
import yaml

from pipeline_utils import REPO, TINY, merged, real_params
from reprise.core.errors import InputError
from reprise.settings import SECTIONS, check_params

DEFAULT = yaml.safe_load((REPO / "params.yaml").read_text())


def changed(path: str, value=None, delete: bool = False) -> dict:
    params = copy.deepcopy(DEFAULT)
    *parents, last = path.split(".")
    node = params
    for name in parents:
        node = node[name]
    if delete:
        del node[last]
    else:
        node[last] = value
    return params


def test_the_repository_and_the_test_params_are_valid(tmp_path):
    from pipeline.test_checkpoint_pipeline import PARAMS as CHECKPOINT_STUDY
    from pipeline.test_unlabelled_pipeline import UNLABELLED

    check_params(DEFAULT)
    for overrides in (TINY, CHECKPOINT_STUDY, UNLABELLED, real_params(tmp_path), merged(real_params(tmp_path), {"real": {"weights_format": "moco_v2"}})):
        check_params(merged(DEFAULT, overrides))


@pytest.mark.parametrize("path,closest", [("uot.tau", "uot.tau1 or uot.tau2"), ("uot.tau_1", "uot.tau1"), ("select.kk", "select.k"),
                                          ("finetune.epoch", "finetune.epochs"), ("zoo.probe.epoch", "zoo.probe.epochs"), ("checkpoint", "checkpoints")])
def test_an_unknown_key_names_the_closest_valid_one(path, closest):
    with pytest.raises(InputError) as error:
        check_params(changed(path, 0.5))
    assert str(error.value) == f"params.yaml: unknown key {path}; did you mean {closest}?"


def test_an_unknown_key_with_nothing_close_lists_the_section():
    with pytest.raises(InputError, match=r"unknown key uot.zzzz; uot holds eps, tau1, tau2, eps_c, cost"):
        check_params(changed("uot.zzzz", 1))


@pytest.mark.parametrize("path,value,message", [
    ("uot.eps", 0, "uot.eps must be a positive number, got 0"),
    ("uot.tol", "1e-9", "uot.tol must be a positive number, got '1e-9' (YAML reads a number like 1e-9 as text: write 1.0e-9)"),
    ("uot.eps_c", float("inf"), "uot.eps_c must be a positive number"),
    ("select.k", 2.5, "select.k must be a positive integer, got 2.5"),
    ("select.k", True, "select.k must be a positive integer, got True"),
    ("select.method", "psychic", "select.method must be one of uot, greedy, random, label, none, cotuning, got 'psychic'"),
    ("cluster.k", 1, "cluster.k must be an integer of at least 2, got 1"),
    ("pretrain.widths", [16, 0], "pretrain.widths[1] must be a positive integer, got 0"),
    ("pretrain.widths", [], "pretrain.widths must be a non-empty list"),
    ("zoo.finetune.milestones", [0.5, 1.0], "zoo.finetune.milestones[1] must be a number in (0, 1), got 1.0"),
    ("zoo.finetune.epochs", {"embedded": 0, "real": 30}, "zoo.finetune.epochs.embedded must be a positive integer, got 0"),
    ("zoo.finetune.epochs", {"embedded": 10}, "zoo.finetune.epochs must be a positive integer or a mapping of embedded, real"),
    ("finetune.epochs", {"embedded": 10, "real": 30}, "finetune.epochs must be a positive integer, got"),  # not a per-mode key
    ("uot.block_rows", 0, "uot.block_rows must be null or a positive integer, got 0"),
    ("target.test_per_class", None, None),
    ("real.weights", "weights.pth", None),
    ("extract.checkpoint", "first", "extract.checkpoint must be one of last or a non-negative integer, got 'first'"),
    ("checkpoints.spectral_threshold", 1.0, None),
    ("zoo.members", {}, "zoo.members must be a non-empty mapping"),
    ("zoo.members", {"greek": {"concepts": ["greek_lower"], "arch": "glyph_resnet", "epochs": 3}}, "zoo.members.greek must be a mapping of concepts, arch or"),
    ("zoo.members", {"r18": {"weights": "r18.pth", "arch": 18}}, "zoo.members.r18.arch must be a string, got 18"),
    ("zoo.members", {"all": {"weights": "mocov3.pth", "arch": "resnet50", "key_prefix": "module.base_encoder."}}, None),
    ("zoo.members", {"mbn": {"multidomain": "greek"}, "all": {"weights": "r50.pth", "arch": "resnet50"}}, None),
    ("zoo.members", {"greek": {"concepts": ["greek_lower"], "arch": "glyph_resnet"}}, "zoo.default 'all' is not a zoo member (greek)"),
    ("zoo.seeds", [0, 0], "zoo.seeds must be a non-empty list of distinct items"),
    ("mode", "fake", "mode must be one of embedded, real"),
])
def test_types_ranges_allowed_values_and_nulls(path, value, message):
    params = changed(path, value)
    if message is None:
        check_params(params)
    else:
        with pytest.raises(InputError, match=re.escape(f"params.yaml: {message}")):
            check_params(params)


def test_a_missing_key_is_an_error():
    with pytest.raises(InputError, match="params.yaml: uot.max_iter is missing; add it"):
        check_params(changed("uot.max_iter", delete=True))


def test_every_error_is_one_line():
    for params in (changed("uot.tau", 1), changed("zoo.probe.lr", {"embedded": -1, "real": 0.005}), changed("world", [1, 2])):
        with pytest.raises(InputError) as error:
            check_params(params)
        assert "\n" not in str(error.value)


def test_the_allowed_values_are_those_of_the_modules_that_use_them():
    from reprise.core.backbones import ARCHS
    from reprise.core.checkpoints import FEATURE_LAYERS
    from reprise.core.pretrain import MODES
    from reprise.core.weights import WEIGHT_FORMATS
    from reprise.reuse.cost import COSTS
    from reprise.reuse.selection import METHODS
    from reprise.reuse.units import UNITS
    from reprise.world.handwriting import HANDWRITING

    keys = {s.section: s.rule() for s in SECTIONS}
    assert keys["select"].keys["method"].values == METHODS and keys["select"].keys["unit"].values == UNITS
    assert keys["uot"].keys["cost"].values == keys["select"].keys["greedy_cost"].values == COSTS
    assert keys["pretrain"].keys["mode"].values == MODES and keys["pretrain"].keys["arch"].values == ARCHS
    assert keys["real"].keys["weights_format"].values == WEIGHT_FORMATS and keys["extract"].keys["layer"].values == FEATURE_LAYERS
    from reprise.checkpoints.settings import REAL_TARGET

    assert keys["target"].keys["name"].values == HANDWRITING and keys["checkpoints"].keys["target"].values == (*HANDWRITING, REAL_TARGET)
