"""world: the source pool (glyphs rendered, or an ImageFolder indexed) and a held-out pool set."""

from reprise.core.layout import POOL_TABLE, POOL_VAL_TABLE
from reprise.core.params import real_input
from reprise.core.sections import RealSettings
from reprise.core.settings import MODE
from reprise.core.stage import run_stage
from reprise.world.settings import WorldSettings
from reprise.world.source_pool import embedded_pool, folder_pool

READS = (MODE, WorldSettings, RealSettings.keys("source_dir", "source_concepts", "index_workers", "bad_images", "max_image_pixels"))


def main(p) -> None:
    world = p.world
    if p.mode == "real":
        real = p.real
        concepts = real_input(real, "source_concepts") if real.source_concepts else None
        pool, val = folder_pool(real_input(real, "source_dir", "folder"), concepts, world.val_per_class, real.index_workers, real.bad_images,
                                 real.max_image_pixels)
    else:
        pool, val = embedded_pool(world.concepts, world.images_per_class, world.val_per_class, world.seed)
    val.write(POOL_VAL_TABLE)
    pool.write(POOL_TABLE)
    print(f"pool: {len(pool)} images in {pool.num_classes} classes; held out: {len(val)}")


if __name__ == "__main__":
    run_stage(main, READS)
