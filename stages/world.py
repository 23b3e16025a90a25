"""world: the source pool (glyphs rendered, or an ImageFolder indexed) and a held-out pool set."""

from reprise import layout
from reprise.params import section
from reprise.stage import run_stage
from reprise.world import embedded_pool, real_pool


def main(params: dict) -> None:
    world = section(params, "world")
    if params["mode"] == "real":
        real = section(params, "real")
        pool, val = real_pool(real["source_dir"], real["source_concepts"], world["val_per_class"])
    else:
        pool, val = embedded_pool(world["concepts"], world["images_per_class"], world["val_per_class"], world["seed"])
    val.write(layout.POOL_VAL_TABLE)
    pool.write(layout.POOL_TABLE)
    print(f"pool: {len(pool)} images in {pool.num_classes} classes; held out: {len(val)}")


if __name__ == "__main__":
    run_stage(main)
