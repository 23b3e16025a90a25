"""select: the top-K source units by score, and the manifest of their images."""

from reprise import layout
from reprise.artifacts import read_npy, read_parquet, write_parquet
from reprise.manifest import build_manifest
from reprise.params import section
from reprise.selection import UnitScores, top_k
from reprise.stage import run_stage
from reprise.units import pool_unit_ids


def main(params: dict) -> None:
    s = section(params, "select")
    table = read_parquet(layout.SCORES).sort_values("unit")
    scores = UnitScores(table["score"].to_numpy()[None, :], s["method"])
    selected = top_k(scores, s["k"])
    pool = read_parquet(f"{layout.POOL_TABLE}.parquet")
    if s["unit"] == "cluster":  # no label is read for clusters
        unit_of_row, head_labels = pool_unit_ids("cluster", None, read_npy(layout.CLUSTER_ASSIGNMENT)), None
    else:
        labels = pool["label"].to_numpy()
        unit_of_row, head_labels = pool_unit_ids(s["unit"], labels, None), labels if s["unit"] == "image" else None
    manifest = build_manifest(unit_of_row, selected, scores.scores[0], head_labels)
    write_parquet(manifest, layout.MANIFEST)
    print(f"selected {len(selected)} {s['unit']} units, {len(manifest)} images")


if __name__ == "__main__":
    run_stage(main)
