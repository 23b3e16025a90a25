"""The command line: ``python -m reprise score`` and ``selection``."""

import numpy as np
import pandas as pd

from builders import clustered
from reprise.__main__ import main as cli


def test_cli_writes_scores(tmp_path, capsys):
    source, target = clustered(8)
    np.save(tmp_path / "S.npy", source)
    np.save(tmp_path / "T.npy", target)
    out = tmp_path / "scores.parquet"
    assert cli(["score", "--source", str(tmp_path / "S.npy"), "--target", str(tmp_path / "T.npy"), "--method", "uot", "--cost", "cos", "--eps-c", "0.01", "--eps", "1", "--tau1", "1", "--tau2", "100", "--out", str(out)]) == 0
    table = pd.read_parquet(out)
    assert list(table.columns) == ["unit", "score", "rank"] and len(table) == 60
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
    assert cli(["score", "--source", str(tmp_path / "missing.npy"), "--target", str(tmp_path / "T.npy"), "--out", str(out)]) == 2
    assert "missing file" in capsys.readouterr().err
