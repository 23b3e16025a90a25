"""The command line: ``reprise score``, ``selection`` and ``compare``, and what ``reprise --help`` imports."""

import errno
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import reprise.reuse.selection
from builders import clustered
from reprise.__main__ import main as cli


def test_cli_writes_scores(tmp_path, capsys):
    source, target = clustered(8)
    np.save(tmp_path / "S.npy", source)
    np.save(tmp_path / "T.npy", target)
    out = tmp_path / "scores.parquet"
    assert cli(["score", "--source", str(tmp_path / "S.npy"), "--target", str(tmp_path / "T.npy"), "--method", "uot", "--cost", "cos", "--eps-c", "0.01", "--eps", "1", "--tau1", "1", "--tau2", "100", "--out", str(out)]) == 0
    table = pd.read_parquet(out)
    assert list(table.columns) == ["unit", "score", "rank", "log_score"] and len(table) == 60
    assert set(table.nsmallest(10, "rank")["unit"]) == set(range(10))
    assert "converged: True" in capsys.readouterr().out


def test_cli_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    source, target = clustered(9)
    source[3, 2] = np.nan
    np.save(tmp_path / "S.npy", source)
    np.save(tmp_path / "T.npy", target)
    out = tmp_path / "scores.parquet"
    code = cli(["score", "--source", str(tmp_path / "S.npy"), "--target", str(tmp_path / "T.npy"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: source features row 3") and err.count("\n") == 1
    assert not out.exists() and list(tmp_path.iterdir()) == sorted(tmp_path.iterdir()) and len(list(tmp_path.iterdir())) == 2


@pytest.fixture
def features(tmp_path):
    source, target = clustered(10)
    np.save(tmp_path / "S.npy", source.astype(np.float32))
    np.save(tmp_path / "T.npy", target.astype(np.float32))
    return tmp_path / "S.npy", tmp_path / "T.npy"


@pytest.fixture
def no_compute(monkeypatch):
    """Fail the test if scoring starts: these checks must come before any compute."""
    def refuse(*args, **kwargs):
        raise AssertionError("score_units ran before the bad argument was refused")
    monkeypatch.setattr(reprise.reuse.selection, "score_units", refuse)


def one_line_error(capsys, *fragments) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err
    return err


def test_an_output_that_is_an_input_is_refused_and_the_input_kept(features, tmp_path, capsys, no_compute):
    source, target = features
    original = source.read_bytes()
    os.link(source, tmp_path / "hardlink.npy")
    for out, named in ((source, "--source"), (tmp_path / "hardlink.npy", "--source"), (tmp_path / "." / "T.npy", "--target")):
        assert cli(["score", "--source", str(source), "--target", str(target), "--out", str(out)]) == 2
        one_line_error(capsys, "--out", f"is the same file as {named}", "choose another --out")
    assert cli(["score", "--source", str(source), "--target", str(target), "--block-rows", "10", "--cost-cache", str(target), "--out", str(tmp_path / "s.parquet")]) == 2
    one_line_error(capsys, "--cost-cache", "is the same file as --target")
    assert cli(["score", "--source", str(source), "--target", str(target), "--block-rows", "10", "--cost-cache", str(tmp_path / "c.bin"), "--out", str(tmp_path / "c.bin")]) == 2
    one_line_error(capsys, "--cost-cache", "is the same file as --out")
    assert source.read_bytes() == original and not (tmp_path / "s.parquet").exists()


def test_a_cost_cache_on_the_memory_mapped_source_is_refused_not_a_crash(features, tmp_path):
    source, target = features
    original = source.read_bytes()
    done = subprocess.run([sys.executable, "-m", "reprise", "score", "--source", str(source), "--target", str(target), "--block-rows", "10",
                           "--cost-cache", str(source), "--out", str(tmp_path / "s.parquet")], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.startswith("error: --cost-cache") and done.stderr.count("\n") == 1, done.stderr
    assert source.read_bytes() == original


def test_an_output_that_cannot_be_written_is_refused_before_any_compute(features, tmp_path, capsys, no_compute):
    source, target = features
    (tmp_path / "folder").mkdir()
    assert cli(["score", "--source", str(source), "--target", str(target), "--out", str(tmp_path / "folder")]) == 2
    one_line_error(capsys, "--out", "is a folder")
    assert cli(["score", "--source", str(source), "--target", str(target), "--out", str(source / "scores.parquet")]) == 2
    one_line_error(capsys, "--out", "is a file, not a folder")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert cli(["score", "--source", str(source), "--target", str(target), "--out", str(locked / "scores.parquet")]) == 2
        one_line_error(capsys, "--out", "is not writable")
    assert cli(["selection", "--source", str(source), "--target", str(target), "--concepts", str(target), "--concept", "a", "--out-dir", str(source)]) == 2
    one_line_error(capsys, "--out-dir", "is a file, not a folder")


def test_help_imports_neither_torch_nor_pandas_nor_matplotlib():
    """``reprise --help`` and a command's help answer at once: the heavy imports wait for a command."""
    for argv in (["--help"], ["score", "--help"], ["compare", "--help"]):
        probe = (f"import sys\nfrom reprise.__main__ import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
                 "print([m for m in ('torch', 'matplotlib', 'pandas') if m in sys.modules])")
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
        assert done.stdout.splitlines()[-1] == "[]", (argv, done.stdout[-300:])


def test_version_is_the_packages(capsys):
    """One version: reprise/__init__.py's, which the installed metadata reads (pyproject.toml)."""
    with pytest.raises(SystemExit) as exit:
        cli(["--version"])
    assert exit.value.code == 0 and capsys.readouterr().out == f"reprise {reprise.__version__}\n"
    assert importlib.metadata.version("reprise") == reprise.__version__


@pytest.mark.parametrize("command", ["score", "selection", "compare"])
def test_a_missing_input_is_named_plainly_not_as_a_stage_to_run(features, tmp_path, capsys, command):
    source, target = features
    missing = str(tmp_path / "missing.npy")
    argv = {"score": ["score", "--source", str(source), "--target", missing, "--out", str(tmp_path / "s.parquet")],
            "selection": ["selection", "--source", str(source), "--target", str(target), "--concepts", missing, "--concept", "a",
                          "--out-dir", str(tmp_path / "report")],
            "compare": ["compare", missing, "--out", str(tmp_path / "cmp.csv")]}[command]
    assert cli(argv) == 2
    err = one_line_error(capsys, f"no such file: {missing}")
    assert "dvc repro" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["S.npy", "T.npy"]


def test_method_is_one_of_the_three_that_need_only_features(features, tmp_path, capsys):
    source, target = features
    with pytest.raises(SystemExit) as exit:
        cli(["score", "--source", str(source), "--target", str(target), "--method", "label", "--out", str(tmp_path / "s.parquet")])
    assert exit.value.code == 2
    one_line_error(capsys, "--method: invalid choice: 'label' (choose from 'uot', 'greedy', 'random')")


@pytest.mark.parametrize("flags,fragment", [
    (["--block-rows", "0"], "--block-rows must be a positive number of rows, got 0"),
    (["--block-rows", "-5"], "--block-rows must be a positive number of rows, got -5"),
    (["--memory-budget", "-1"], "--memory-budget must be a non-negative number of GB, got -1.0"),
    (["--device", "gpu"], "unknown device 'gpu'"),
    (["--method", "random", "--seed", "-1"], "--seed must be a non-negative integer, got -1"),
])
def test_block_rows_memory_budget_and_device_are_checked_alike(features, tmp_path, capsys, no_compute, flags, fragment):
    source, target = features
    assert cli(["score", "--source", str(source), "--target", str(target), "--out", str(tmp_path / "s.parquet"), *flags]) == 2
    one_line_error(capsys, fragment)
    assert not (tmp_path / "s.parquet").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_one_line(features, tmp_path, capsys, no_compute):
    source, target = features
    assert cli(["score", "--source", str(source), "--target", str(target), "--out", str(tmp_path / "s.parquet"), "--device", "cuda"]) == 2
    one_line_error(capsys, "CUDA is not available")


def test_a_run_stopped_at_max_iter_says_so_on_stderr(features, tmp_path, capsys):
    source, target = features
    assert cli(["score", "--source", str(source), "--target", str(target), "--max-iter", "2", "--out", str(tmp_path / "s.parquet")]) == 0
    captured = capsys.readouterr()
    assert "converged: False" in captured.out and "log P1 from" in captured.out
    assert captured.err.startswith("warning: the UOT solver stopped at max_iter = 2 without converging"), captured.err


def test_compare_prints_the_verdicts_and_writes_the_table_and_the_figure(tmp_path, capsys):
    rows = [{"experiment": "e", "target": "mnist", "setting": "class k=20", "method": m, "seed": s, "top1": 90 + s + shift}
            for m, shift in (("none", 0.0), ("random", 0.05), ("label", 1.0)) for s in range(5)]
    rows[-1]["top1"] += 0.2  # label's gain varies a little, so its interval has a width
    results = tmp_path / "results.csv"
    pd.DataFrame(rows).to_csv(results, index=False)
    assert cli(["compare", str(results), "--out", str(tmp_path / "cmp.csv"), "--plot", str(tmp_path / "cmp.png")]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(tmp_path / "cmp.csv").set_index(["method", "against"])
    assert table.loc[("label", "none"), "verdict"] == "beats" and table.loc[("label", "random"), "verdict"] == "beats"
    assert len(table) == 3 and "beats" in printed and (tmp_path / "cmp.png").stat().st_size > 0
    assert cli(["compare", str(results), "--out", str(results)]) == 2  # the input is never overwritten
    assert "error: --out" in capsys.readouterr().err and pd.read_csv(results).shape == (15, 6)


def _torchrun(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "reprise", *args],
                          capture_output=True, text=True, timeout=120)


def test_score_under_torchrun_equals_one_process(tmp_path):
    """Two gloo processes, each scoring half of the rows, write what one process writes, to 1e-6
    relative (float64: in float32 the shards' sums in another order differ by its rounding)."""
    rng = np.random.default_rng(0)
    np.save(tmp_path / "S.npy", rng.normal(size=(3001, 16)).astype(np.float32))
    np.save(tmp_path / "T.npy", rng.normal(size=(40, 16)).astype(np.float32))
    common = ["--source", str(tmp_path / "S.npy"), "--target", str(tmp_path / "T.npy")]
    runs = {"uot": ["--float64"], "greedy": ["--method", "greedy"], "streamed": ["--float64", "--memory-budget", "0"]}
    for name, flags in runs.items():
        reference = "uot" if name == "streamed" else name
        if name != "streamed":
            assert cli(["score", *common, *flags, "--out", str(tmp_path / f"one_{name}.parquet")]) == 0
        done = _torchrun("score", *common, *flags, "--out", str(tmp_path / f"two_{name}.parquet"))
        assert done.returncode == 0, done.stderr[-3000:]
        assert "on 2 processes" in done.stdout
        one, two = pd.read_parquet(tmp_path / f"one_{reference}.parquet"), pd.read_parquet(tmp_path / f"two_{name}.parquet")
        np.testing.assert_allclose(two["score"], one["score"], rtol=1e-6)
        assert (two["rank"] == one["rank"]).mean() > 0.99


def test_a_bad_row_in_one_shard_stops_every_process(tmp_path):
    source = np.random.default_rng(0).normal(size=(100, 8)).astype(np.float32)
    source[90] = np.nan  # in the second process's half
    np.save(tmp_path / "S.npy", source)
    np.save(tmp_path / "T.npy", source[:5])
    done = _torchrun("score", "--source", str(tmp_path / "S.npy"), "--target", str(tmp_path / "T.npy"), "--out", str(tmp_path / "s.parquet"))
    assert done.returncode != 0 and "error: source features row 90 contains NaN or Inf" in done.stderr
    assert not (tmp_path / "s.parquet").exists()


def _two_method_results(path, uot_top1) -> str:
    rows = [{"experiment": "e", "target": "t", "setting": "s", "method": m, "seed": s, "top1": v}
            for m, values in (("none", [1.0, 2.0, 3.0]), ("uot", uot_top1)) for s, v in enumerate(values)]
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize("uot_top1,flags,fragment", [
    (["a", "b", "c"], [], "top1 of row 4 is 'a', not a finite number (3 such rows)"),
    ([np.inf, 5.0, 6.0], [], "top1 of row 4 is inf, not a finite number"),
    ([4.0, 5.0, 7.0], ["--value", "method"], "the compared value 'method' is one of the columns that name a row"),
    ([4.0, 5.0, 7.0], ["--plot", "figure.xyz"], "--plot figure.xyz must end in .png, .pdf, .svg"),
])
def test_compare_refuses_bad_values_and_suffixes_before_writing_anything(tmp_path, capsys, monkeypatch, uot_top1, flags, fragment):
    monkeypatch.chdir(tmp_path)
    results = _two_method_results(tmp_path / "results.csv", uot_top1)
    assert cli(["compare", results, "--out", "comparison.csv", *flags]) == 2
    one_line_error(capsys, fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]


@pytest.mark.parametrize("flags,fragment", [
    (["--eps-c", "1e30"], "the UOT scores (log P1) are all equal, so they rank nothing: the source units' costs over eps differ by at most"),
    (["--eps", "1e-30"], "eps = 1e-30 is too small for costs up to"),
    (["--method", "greedy", "--eps-c", "1e30"], "the Greedy-OT scores are all equal, so they rank nothing"),
])
def test_degenerate_scores_exit_2_and_write_nothing(features, tmp_path, capsys, flags, fragment):
    source, target = features
    out = tmp_path / "scores.parquet"
    assert cli(["score", "--source", str(source), "--target", str(target), "--out", str(out), *flags]) == 2
    one_line_error(capsys, fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["S.npy", "T.npy"]


def test_a_full_disk_is_one_line_and_leaves_nothing(features, tmp_path, capsys, monkeypatch):
    def full(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PAR1")  # part of the file, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    source, target = features
    assert cli(["score", "--source", str(source), "--target", str(target), "--out", str(tmp_path / "scores.parquet")]) == 2
    one_line_error(capsys, "cannot write", "scores.parquet: No space left on device; free some space")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["S.npy", "T.npy"]


def test_two_runs_sharing_a_cost_cache_give_their_solo_results(tmp_path):
    """Two runs started together on different pools, through one --cost-cache file: each reads only
    the cost it wrote, so each gives the ranking it gives alone."""
    rng = np.random.default_rng(0)
    target = rng.normal(size=(20, 32)).astype(np.float32)
    np.save(tmp_path / "T.npy", target)
    runs = []
    for name in ("A", "B"):
        np.save(tmp_path / f"{name}.npy", rng.normal(size=(20_000, 32)).astype(np.float32))
        runs.append(subprocess.Popen([sys.executable, "-m", "reprise", "score", "--source", str(tmp_path / f"{name}.npy"), "--target",
                                      str(tmp_path / "T.npy"), "--block-rows", "500", "--cost-cache", str(tmp_path / "cost.bin"),
                                      "--out", str(tmp_path / f"{name}.parquet")], stderr=subprocess.PIPE, text=True))
    for run in runs:
        assert run.wait() == 0, run.stderr.read()
    for name in ("A", "B"):
        assert cli(["score", "--source", str(tmp_path / f"{name}.npy"), "--target", str(tmp_path / "T.npy"), "--block-rows", "500",
                    "--cost-cache", str(tmp_path / f"{name}-solo.bin"), "--out", str(tmp_path / f"{name}-solo.parquet")]) == 0
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"{name}.parquet"), pd.read_parquet(tmp_path / f"{name}-solo.parquet"))


def test_compare_pairs_by_pretraining_run_and_seed_and_says_so(tmp_path, capsys):
    rows = [{"experiment": "e", "target": "t", "setting": "s", "method": m, "pretrain_seed": r, "seed": s, "top1": 90.0 + 2 * r + s + gain + 0.1 * r * s}
            for m, gain in (("none", 0.0), ("uot", 1.0)) for r in range(3) for s in range(3)]
    results = tmp_path / "results.csv"
    pd.DataFrame(rows).to_csv(results, index=False)
    assert cli(["compare", str(results), "--out", str(tmp_path / "cmp.csv")]) == 0
    table = pd.read_csv(tmp_path / "cmp.csv")
    assert table.loc[0, "pretrain_runs"] == 3 and table.loc[0, "seeds"] == 9 and "pretrain_runs" in capsys.readouterr().out
