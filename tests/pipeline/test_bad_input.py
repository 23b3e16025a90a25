"""design.md's list of bad inputs: each gets a one-line error naming the problem and the fix,
and the failing stage leaves no artifact behind."""

import shutil

import numpy as np
import pytest
import yaml

from pipeline_utils import assert_one_line_error, dvc, run_module

# `make test` runs tests in two processes; those of one group share one, so the repository
# fixture they read is built once.
pytestmark = pytest.mark.xdist_group("tiny_repo")


@pytest.fixture
def repo(tiny_copy):
    return tiny_copy


def set_params(root, **sections) -> None:
    params = yaml.safe_load((root / "params.yaml").read_text())
    for key, value in sections.items():
        section, name = key.split("__")
        params[section][name] = value
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def test_nan_features(repo):
    features = np.load(repo / "data/features/pool.npy")
    features[4, 1] = np.nan
    np.save(repo / "data/features/pool.npy", features)
    shutil.rmtree(repo / "data/means")
    assert_one_line_error(run_module(repo, "stages.means"), "row 4", "NaN or Inf", "re-extract")
    assert not (repo / "data/means").exists()


def test_mismatched_feature_dimensions(repo):
    target = np.load(repo / "data/means/target.npy")
    np.save(repo / "data/means/target.npy", target[:, :-3])
    (repo / "data/selection/scores.parquet").unlink()
    assert_one_line_error(run_module(repo, "stages.score"), "dimensions", "same backbone layer")
    assert not (repo / "data/selection/scores.parquet").exists()


def test_k_larger_than_the_pool(repo):
    set_params(repo, select__k=10_000)
    (repo / "data/selection/manifest.parquet").unlink()
    assert_one_line_error(run_module(repo, "stages.select"), "select.k = 10000 is larger than the", "lower select.k")
    assert not (repo / "data/selection/manifest.parquet").exists()


@pytest.mark.parametrize("key,value", [("uot__eps", 0), ("uot__tau1", -1.0), ("uot__tau2", 0.0), ("uot__eps_c", -0.01)])
def test_non_positive_eps_and_tau(repo, key, value):
    set_params(repo, **{key: value})
    (repo / "data/selection/scores.parquet").unlink()
    assert_one_line_error(run_module(repo, "stages.score"), f"{key.split('__')[1]} must be a positive number")
    assert not (repo / "data/selection/scores.parquet").exists()


def test_missing_artifact_names_the_file(repo):
    (repo / "data/selection/scores.parquet").unlink()
    assert_one_line_error(run_module(repo, "stages.select"), "missing file data/selection/scores.parquet", "dvc repro")


def test_unknown_concept_and_method(repo):
    set_params(repo, world__concepts=["digit", "klingon"])
    assert_one_line_error(run_module(repo, "stages.world"), "klingon")
    set_params(repo, select__method="psychic")
    assert_one_line_error(run_module(repo, "stages.score"), "select.method must be one of uot, greedy", "got 'psychic'")


def test_zoo_member_with_no_pool_class(repo):
    # The tiny pool holds digits, Latin capitals and Greek lowercase: no Cyrillic class to train on.
    set_params(repo, zoo__members={"cyrillic": {"concepts": ["cyrillic_upper"], "arch": "glyph_resnet"}}, zoo__default="cyrillic")
    done = run_module(repo, "stages.zoo_pretrain", "cyrillic")
    assert_one_line_error(done, "zoo member cyrillic", "no class of concepts cyrillic_upper", "imported weights")
    assert not (repo / "data/zoo/models/cyrillic").exists()


def test_an_unknown_param_stops_every_stage_and_names_the_closest_key(repo):
    set_params(repo, uot__tau=0.5)
    (repo / "data/selection/scores.parquet").unlink()
    for stage in ("stages.score", "stages.params"):  # a stage checks each section it reads; the params stage, the whole file
        assert_one_line_error(run_module(repo, stage), "params.yaml: unknown key uot.tau; did you mean uot.tau1 or uot.tau2?")
    assert not (repo / "data/selection/scores.parquet").exists()


def test_a_param_added_by_an_experiment_fails_the_experiment(repo):
    run = dvc(repo, "exp", "run", "-S", "+uot.tau=0.5", check=False)
    assert run.returncode != 0
    assert "error: params.yaml: unknown key uot.tau" in run.stdout + run.stderr


def test_an_eps_c_so_large_that_every_score_is_equal_stops_the_stage(repo):
    set_params(repo, uot__eps_c=1.0e16)  # the means are float64: equal to within its precision
    (repo / "data/selection/scores.parquet").unlink()
    assert_one_line_error(run_module(repo, "stages.score"), "the UOT scores (log P1) are all equal, so they rank nothing",
                          "eps_c = 1e+16", "lower eps_c (the paper's: 0.01)")
    assert not (repo / "data/selection/scores.parquet").exists()
