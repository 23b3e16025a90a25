"""select: the top-K source units by score, and the manifest of their images."""

from reprise.core.artifacts import read_npy, read_parquet, write_parquet
from reprise.core.layout import POOL_TABLE
from reprise.core.stage import run_stage
from reprise.reuse.layout import CLUSTER_ASSIGNMENT, MANIFEST, SCORES
from reprise.reuse.manifest import selection_manifest
from reprise.reuse.selection import UnitScores, top_k
from reprise.reuse.settings import SelectSettings

READS = (SelectSettings.keys("method", "unit", "k"),)


def main(p) -> None:
    s = p.select
    scores = UnitScores.from_table(read_parquet(SCORES), s.method)
    selected = top_k(scores, s.k)
    assignment = read_npy(CLUSTER_ASSIGNMENT) if s.unit == "cluster" else None
    manifest = selection_manifest(s.unit, read_parquet(f"{POOL_TABLE}.parquet"), assignment, selected, scores.scores[0])
    write_parquet(manifest, MANIFEST)
    print(f"selected {len(selected)} {s.unit} units, {len(manifest)} images")


if __name__ == "__main__":
    run_stage(main, READS)
