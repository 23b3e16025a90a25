"""``reprise score`` on arrays of any dtype, byte order, shape and scale, and on files
that are not arrays, with any solver settings: a valid scores file or a one-line error."""

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from fuzz_contract import assert_kept, outcome, record, run_cli

FLOATS = ["<f4", ">f4", "<f8", ">f8", "<f2"]
DTYPES = FLOATS * 6 + ["<i4", ">i8", "|u1", "|b1", "<c8", "<U3", [("a", "<f4"), ("b", "<f4")]]
SCALES = [1.0, 1e-30, 1e-20, 1e-12, 1e8, 1e20, 1e30, 1e300, 0.0, -1.0]
NUMBERS = st.none() | st.sampled_from(["0", "-1", "1e-300", "1e-30", "0.001", "0.01", "1", "100", "1e30", "1e300", "inf", "nan", "-inf"])  # None: the default


@st.composite
def array_file(draw) -> bytes | np.ndarray:
    """An array to save as .npy (any dtype, shape and scale, NaN or Inf anywhere), or raw bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([b"", b"\x93NUMPY", b"PK\x03\x04 not an npy", b"\x00" * 64, b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (9, 9), }"]))
    shape = draw(st.sampled_from([(6, 4), (12, 4), (1, 4), (25, 4), (3, 4)] * 3 + [(0, 4), (6, 0), (4,), (), (3, 4, 2), (25, 3)]))
    values = np.asarray(draw(st.lists(st.floats(-3, 3, width=32), min_size=int(np.prod(shape)), max_size=int(np.prod(shape)))), dtype=np.float64).reshape(shape)
    values = values * draw(st.sampled_from(SCALES))
    if values.size and draw(st.integers(0, 5)) == 0:
        values.flat[draw(st.integers(0, values.size - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    with np.errstate(all="ignore"):
        if dtype.names:
            array = np.zeros(shape, dtype=dtype)
        elif dtype.kind in "iub":
            array = np.nan_to_num(values).clip(-1e9, 1e9).astype(dtype)
        else:
            array = values.astype(dtype)
    return np.asfortranarray(array) if draw(st.booleans()) and array.ndim == 2 else array


def assert_valid_scores(path) -> None:
    """Finite scores, ranks 1..n, and rank 1 on the highest value ranked (log P1 for UOT)."""
    table = pd.read_parquet(path)
    ranked = table["log_score"] if "log_score" in table.columns else table["score"]
    assert np.isfinite(ranked).all() and np.isfinite(table["score"]).all()
    assert sorted(table["rank"]) == list(range(1, len(table) + 1))
    by_rank = ranked.to_numpy()[np.argsort(table["rank"].to_numpy())]
    assert (np.diff(by_rank) <= 0).all()


def save(path, content) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        np.save(path, content)


@given(source=array_file(), target=array_file(), method=st.sampled_from(["uot"] * 4 + ["greedy"] * 2 + ["random", "label", "bogus"]),
       cost=st.sampled_from([None, "cos", "l2"]), eps_c=NUMBERS, eps=NUMBERS, tau1=NUMBERS, tau2=NUMBERS, seed=st.integers(-3, 2**40),
       block_rows=st.sampled_from([None] * 4 + ["1", "3", "0"]), cache=st.booleans())
def test_score_gives_valid_scores_or_one_line(tmp_path_factory, source, target, method, cost, eps_c, eps, tau1, tau2, seed, block_rows, cache):
    folder = tmp_path_factory.mktemp("score")
    save(folder / "S.npy", source)
    save(folder / "T.npy", target)
    argv = ["score", "--source", str(folder / "S.npy"), "--target", str(folder / "T.npy"), "--method", method, f"--seed={seed}", "--max-iter", "50",
            "--out", str(folder / "scores.parquet")]
    argv += [f"--{flag}={value}" for flag, value in (("eps-c", eps_c), ("eps", eps), ("tau1", tau1), ("tau2", tau2)) if value is not None]
    argv += (["--cost", cost] if cost else []) + (["--block-rows", block_rows] if block_rows else [])
    argv += ["--cost-cache", str(folder / "cost.bin")] if cache else []
    code, err = run_cli(argv)
    record(outcome(code, err), folder)
    outputs = ["scores.parquet"] + (["cost.bin"] if cache and method in ("uot", "greedy") else [])
    assert_kept(code, err, folder, {"S.npy", "T.npy"} | ({"cost.bin"} if code == 2 and cache else set()), outputs if code == 0 else [])
    if code == 0:
        assert_valid_scores(folder / "scores.parquet")


@st.composite
def features(draw, rows: int, dim: int) -> np.ndarray:
    """Float features of one dtype at a scale from 1e-30 to 1e30, near-duplicates and constant
    columns included."""
    values = np.asarray(draw(st.lists(st.floats(-3, 3, width=32), min_size=rows * dim, max_size=rows * dim)), dtype=np.float64).reshape(rows, dim)
    if draw(st.booleans()):
        values[:, draw(st.integers(0, dim - 1))] = draw(st.sampled_from([0.0, 1.0]))
    scale = 10.0 ** draw(st.integers(-30, 30))
    return (values * scale).astype(draw(st.sampled_from(FLOATS)))


@given(data=st.data(), method=st.sampled_from(["uot", "greedy"]), cost=st.sampled_from(["cos", "l2"]),
       eps_c=st.floats(1e-12, 1e12), eps=st.floats(1e-6, 1e6), tau1=st.floats(1e-6, 1e6), tau2=st.floats(1e-6, 1e6), float64=st.booleans())
def test_score_on_float_features_of_any_scale(tmp_path_factory, data, method, cost, eps_c, eps, tau1, tau2, float64):
    """Valid shapes and settings, the features and settings at any scale: scores that are finite and
    ranked, or a one-line error that names the cause."""
    dim = data.draw(st.integers(1, 6))
    folder = tmp_path_factory.mktemp("scale")
    np.save(folder / "S.npy", data.draw(features(data.draw(st.integers(2, 30)), dim)))
    np.save(folder / "T.npy", data.draw(features(data.draw(st.integers(1, 6)), dim)))
    argv = ["score", "--source", str(folder / "S.npy"), "--target", str(folder / "T.npy"), "--method", method, "--cost", cost, f"--eps-c={eps_c!r}",
            f"--eps={eps!r}", f"--tau1={tau1!r}", f"--tau2={tau2!r}", "--max-iter", "200", "--out", str(folder / "scores.parquet")]
    code, err = run_cli(argv + (["--float64"] if float64 else []))
    record(outcome(code, err), folder)
    assert_kept(code, err, folder, {"S.npy", "T.npy"}, ["scores.parquet"] if code == 0 else [])
    if code == 0:
        assert_valid_scores(folder / "scores.parquet")
