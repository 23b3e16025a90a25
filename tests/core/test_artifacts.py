"""The artifact writers: atomic, with the usual file mode, and the same bytes for the same content."""

import errno
import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from reprise.core.artifacts import check_outputs, read_npy, write_csv, write_figure, write_json, write_npy, write_parquet, write_text  # noqa: E402
from reprise.core.errors import InputError  # noqa: E402

FRAME = pd.DataFrame({"unit": [0, 1, 2], "score": [0.5, 0.25, 1e-30], "name": ["a", "b", "c"]})


def figure():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [2, 0, 1], marker="o")
    ax.set_title("P1")
    return fig


WRITERS = {
    "parquet": lambda path: write_parquet(FRAME, path),
    "csv": lambda path: write_csv(FRAME, path),
    "npy": lambda path: write_npy(np.arange(12, dtype=np.float32).reshape(3, 4), path),
    "json": lambda path: write_json({"b": 1.5, "a": [1, 2], "nan": float("nan")}, path),
    "md": lambda path: write_text("# summary\n", path),
    "png": lambda path: write_figure(figure(), path),
    "pdf": lambda path: write_figure(figure(), path),
    "svg": lambda path: write_figure(figure(), path),
}


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_a_new_artifact_gets_the_umask_mode_and_a_rewritten_one_keeps_its_mode(tmp_path, kind):
    path = tmp_path / f"out.{kind}"
    WRITERS[kind](path)
    assert path.stat().st_mode & 0o777 == 0o666 & ~current_umask()
    os.chmod(path, 0o640)
    WRITERS[kind](path)
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_a_rewrite_drops_setuid_and_setgid_bits(tmp_path):
    path = tmp_path / "tool.md"
    write_text("first\n", path)
    os.chmod(path, 0o6755)
    write_text("second\n", path)
    assert path.stat().st_mode & 0o7777 == 0o755


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(InputError, match=r"cannot write .*out.md: No space left on device; free some space"):
        write_text("summary\n", tmp_path / "out.md")
    assert list(tmp_path.iterdir()) == []


def test_long_and_non_utf8_names(tmp_path):
    odd = tmp_path / os.fsdecode(b"caf\xe9-" + b"x" * 200 + b".parquet")  # Latin-1 bytes, 207 of them
    write_parquet(FRAME, odd)
    with open(odd, "rb") as f:  # pyarrow cannot open such a name itself
        assert [p.name for p in tmp_path.iterdir()] == [odd.name] and pd.read_parquet(f).equals(FRAME)
    with pytest.raises(InputError, match=r"--out .* is 256 bytes, more than the 255 that file systems allow"):
        check_outputs([("--out", tmp_path / ("y" * 252 + ".csv"))], [])


def test_npz_and_big_endian_arrays(tmp_path):
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    with open(tmp_path / "archive.npy", "wb") as f:
        np.savez(f, array)
    with pytest.raises(InputError, match=r"archive.npy is a .npz archive \(arrays arr_0\), not a .npy array"):
        read_npy(tmp_path / "archive.npy")
    np.save(tmp_path / "big.npy", array.astype(">f4"))
    for mmap in (False, True):
        read = read_npy(tmp_path / "big.npy", mmap=mmap)
        assert read.dtype.isnative and np.array_equal(read, array)


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_the_same_content_written_twice_is_the_same_bytes(tmp_path, kind):
    first, second = tmp_path / f"first.{kind}", tmp_path / "sub" / f"second.{kind}"
    WRITERS[kind](first)
    WRITERS[kind](second)
    assert first.read_bytes() == second.read_bytes()


def test_a_figure_is_written_atomically(tmp_path):
    path = tmp_path / "plot.png"
    path.write_bytes(b"old")
    fig = figure()
    fig.savefig = lambda *args, **kwargs: (_ for _ in ()).throw(RuntimeError("disk full"))
    with pytest.raises(RuntimeError):
        write_figure(fig, path)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["plot.png"]


KILLED_WRITER = """
import os, signal, sys
from reprise.core.artifacts import atomic_path
signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C raises KeyboardInterrupt even where a background launch ignores SIGINT
with atomic_path(sys.argv[1]) as tmp:
    tmp.write_bytes(b"half of a new")
    os.kill(os.getpid(), getattr(signal, sys.argv[2]))
"""


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGKILL"])
def test_a_writer_interrupted_or_killed_leaves_the_old_file(tmp_path, signal_name):
    path = tmp_path / "scores.parquet"
    path.write_bytes(b"old")
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(path), signal_name], capture_output=True, text=True, cwd=Path(__file__).parents[2])
    assert done.returncode != 0
    assert path.read_bytes() == b"old"
    leftovers = [p.name for p in tmp_path.iterdir() if p != path]
    if signal_name == "SIGINT":
        assert leftovers == []  # the temporary file is removed on the way out
    else:  # nothing runs after SIGKILL: at most the hidden temporary file stays, never a partial scores.parquet
        assert all(name.startswith(".scores.parquet.") and name.endswith(".tmp") for name in leftovers)
