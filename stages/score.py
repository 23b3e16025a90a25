"""score: a similarity score per source unit (UOT's P1, Greedy-OT, random or label)."""

from reprise.core.artifacts import read_json, read_npy, write_json, write_parquet
from reprise.core.layout import TARGET_META
from reprise.core.stage import run_stage
from reprise.reuse.layout import SCORES, SOLVER, means_prefix
from reprise.reuse.selection import score_units, scores_table
from reprise.reuse.settings import SelectSettings, UotSettings
from reprise.reuse.units import source_units

READS = (SelectSettings.keys("method", "unit", "seed", "greedy_cost"), UotSettings)


def main(p) -> None:
    s = p.select
    source, units = source_units(s.unit)
    scores = score_units(
        source, read_npy(f"{means_prefix('target')}.npy"), s.method, **p.uot.solver_args(s.method, s.greedy_cost),
        source_concepts=units["concept"].tolist() if "concept" in units.columns else None,
        target_concept=read_json(TARGET_META)["concept"], seed=s.seed,
    )
    table = scores_table(scores).merge(units[["unit", "name"]], on="unit")
    write_parquet(table, SCORES)
    write_json({"method": s.method, "unit": s.unit, **scores.solver}, SOLVER)
    print(table.sort_values("rank").head(10).to_string(index=False))


if __name__ == "__main__":
    run_stage(main, READS)
