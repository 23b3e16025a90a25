"""score: a similarity score per source unit (UOT's P1, Greedy-OT, random or label)."""

from reprise.core import layout
from reprise.core.artifacts import read_json, read_npy, write_json, write_parquet
from reprise.core.errors import InputError
from reprise.core.params import section
from reprise.core.stage import run_stage
from reprise.reuse.selection import score_units, scores_table
from reprise.reuse.units import source_units


def main(params: dict) -> None:
    s, u = section(params, "select"), section(params, "uot")
    source, units = source_units(s["unit"])
    if s["method"] == "label" and "concept" not in units.columns:
        raise InputError("select.method: label needs labelled source units; use select.unit: class")
    scores = score_units(
        source,
        read_npy(f"{layout.means('target')}.npy"),
        s["method"],
        cost=u["cost"] if s["method"] == "uot" else s["greedy_cost"],
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
        memory_budget=None if u["memory_budget"] == "auto" else int(u["memory_budget"] * 1e9),
    )
    table = scores_table(scores).merge(units[["unit", "name"]], on="unit")
    write_parquet(table, layout.SCORES)
    write_json({"method": s["method"], "unit": s["unit"], **scores.solver}, layout.SOLVER)
    print(table.sort_values("rank").head(10).to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
