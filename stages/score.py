"""score: a similarity score per source unit (UOT's P1, Greedy-OT, random or label)."""

from reprise import layout
from reprise.artifacts import read_json, read_npy, read_parquet, write_json, write_parquet
from reprise.errors import InputError
from reprise.params import section
from reprise.selection import score_units, scores_table
from reprise.stage import run_stage
from reprise.units import UNITS, image_units


def main(params: dict) -> None:
    s, u = section(params, "select"), section(params, "uot")
    if s["unit"] not in UNITS:
        raise InputError(f"select.unit must be one of {', '.join(UNITS)}, got {s['unit']!r}")
    if s["unit"] == "image":  # every pool image its own unit: stream the features from disk
        units = image_units(read_parquet(f"{layout.POOL_TABLE}.parquet"))
        source = read_npy(layout.POOL_FEATURES, mmap=True)
    else:
        units = read_parquet(f"{layout.MEANS_DIR}/{s['unit']}.parquet")
        source = read_npy(f"{layout.MEANS_DIR}/{s['unit']}.npy")
    if s["method"] == "label" and "concept" not in units.columns:
        raise InputError("select.method: label needs labelled source units; use select.unit: class")
    scores = score_units(
        source,
        read_npy(f"{layout.MEANS_DIR}/target.npy"),
        s["method"],
        cost=u["cost"],
        eps_c=u["eps_c"],
        eps=u["eps"],
        tau1=u["tau1"],
        tau2=u["tau2"],
        source_weights=u["source_weight"],
        source_concepts=units["concept"].tolist() if "concept" in units.columns else None,
        target_concept=read_json(layout.TARGET_META)["concept"],
        seed=s["seed"],
        block_rows=u["block_rows"],
        tol=u["tol"],
        max_iter=u["max_iter"],
    )
    table = scores_table(scores).merge(units[["unit", "name"]], on="unit")
    write_parquet(table, layout.SCORES)
    write_json({"method": s["method"], "unit": s["unit"], **scores.solver}, layout.SOLVER)
    print(table.sort_values("rank").head(10).to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
