"""target: the labelled target training split and the held-out test split."""

from reprise.core.artifacts import write_json
from reprise.core.layout import TARGET_META, TARGET_TEST_TABLE, TARGET_TRAIN_TABLE
from reprise.core.params import real_input
from reprise.core.sections import RealSettings
from reprise.core.settings import MODE
from reprise.core.stage import run_stage
from reprise.world.settings import TargetSettings
from reprise.world.targets import folder_target, handwriting_target

READS = (MODE, TargetSettings, RealSettings.keys("target_train_dir", "target_test_dir", "target_concept", "index_workers", "bad_images", "max_image_pixels"))


def main(p) -> None:
    if p.mode == "real":
        real = p.real
        splits = folder_target(
            real_input(real, "target_train_dir", "folder"), real_input(real, "target_test_dir", "folder"), real.target_concept,
            real.index_workers, real.bad_images, real.max_image_pixels,
        )
    else:
        t = p.target
        splits = handwriting_target(t.name, t.labels_per_class, t.test_per_class, t.seed)
    splits.train.write(TARGET_TRAIN_TABLE)
    splits.test.write(TARGET_TEST_TABLE)
    write_json(splits.meta, TARGET_META)
    print(f"target {splits.meta['name']}: {len(splits.train)} train, {len(splits.test)} test images")


if __name__ == "__main__":
    run_stage(main, READS)
