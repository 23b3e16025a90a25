"""params: check the whole of params.yaml (every section, unknown keys included), so that a
misspelt key stops ``dvc repro`` even where no stage reads its section; it reruns on any change
of the file and writes nothing."""

from reprise.core.params import load_params
from reprise.core.stage import run_stage
from reprise.settings import SECTIONS, check_params

READS = SECTIONS


def main(p) -> None:
    check_params(load_params())
    print(f"params.yaml: {len(SECTIONS)} sections, every key valid")


if __name__ == "__main__":
    run_stage(main, READS)
