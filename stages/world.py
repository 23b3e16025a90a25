"""world: the source pool (glyphs rendered, or an ImageFolder indexed) and a held-out pool set."""

from reprise.core import layout
from reprise.core.params import real_input, section
from reprise.core.stage import run_stage
from reprise.world.source_pool import embedded_pool, folder_pool


def main(params: dict) -> None:
    world = section(params, "world")
    if params["mode"] == "real":
        real = section(params, "real")
        concepts = real_input(real, "source_concepts") if real["source_concepts"] else None
        pool, val = folder_pool(real_input(real, "source_dir", "folder"), concepts, world["val_per_class"], real["index_workers"], real["bad_images"])
    else:
        pool, val = embedded_pool(world["concepts"], world["images_per_class"], world["val_per_class"], world["seed"])
    val.write(layout.POOL_VAL_TABLE)
    pool.write(layout.POOL_TABLE)
    print(f"pool: {len(pool)} images in {pool.num_classes} classes; held out: {len(val)}")


if __name__ == "__main__":
    run_stage(main)
