"""The contract every command keeps, whatever its input: exit 0 with a valid output, or exit 2 with
one ``error:`` line and nothing at the output paths; never a traceback, never a partial file."""

import contextlib
import io
from pathlib import Path

from hypothesis import event

from reprise.__main__ import main


def run_cli(argv: list[str]) -> tuple[int, str]:
    """Run ``reprise`` in this process: its exit code and what it printed on stderr. An
    exception that escapes ``main`` (a traceback for a user) fails the calling test."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exit:  # argparse's usage errors
            code = exit.code
    return code, err.getvalue()


def assert_kept(code: int, err: str, folder: Path, inputs: set[str], outputs: list[str]) -> None:
    """Exit 0 or 2; on 2, one ``error:`` line and, in ``folder``, only the inputs (no output, no
    temporary file); on 0, every output written and no temporary file."""
    assert code in (0, 2), err
    names = {path.name for path in folder.iterdir()}
    if code == 2:
        errors = [line for line in err.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and "Traceback" not in err, err
        assert names <= inputs, (names - inputs, err)
    else:
        assert "error:" not in err, err
        assert names == inputs | set(outputs), (names, err)


def record(outcome: str, folder: Path) -> None:
    """Count an outcome in Hypothesis's statistics (``--hypothesis-show-statistics``): its first
    70 characters, the example's folder left out, names that are not UTF-8 escaped."""
    event(outcome.replace(str(folder), "")[:70].encode("utf-8", "backslashreplace").decode())


def outcome(code: int, err: str) -> str:
    return f"exit {code}" + (f": {err.split('error: ')[-1]}" if code == 2 else "")
