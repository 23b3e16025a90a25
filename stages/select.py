"""select: the top-K source units by score, and the manifest of their images."""

from reprise.core import layout
from reprise.core.artifacts import read_npy, read_parquet, write_parquet
from reprise.core.params import section
from reprise.core.stage import run_stage
from reprise.reuse.manifest import selection_manifest
from reprise.reuse.selection import UnitScores, top_k


def main(params: dict) -> None:
    s = section(params, "select")
    scores = UnitScores.from_table(read_parquet(layout.SCORES), s["method"])
    selected = top_k(scores, s["k"])
    assignment = read_npy(layout.CLUSTER_ASSIGNMENT) if s["unit"] == "cluster" else None
    manifest = selection_manifest(s["unit"], read_parquet(f"{layout.POOL_TABLE}.parquet"), assignment, selected, scores.scores[0])
    write_parquet(manifest, layout.MANIFEST)
    print(f"selected {len(selected)} {s['unit']} units, {len(manifest)} images")


if __name__ == "__main__":
    run_stage(main)
