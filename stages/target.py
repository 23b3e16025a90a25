"""target: the labelled target training split and the held-out test split."""

from reprise.core import layout
from reprise.core.artifacts import write_json
from reprise.core.params import real_input, section
from reprise.core.stage import run_stage
from reprise.world.targets import folder_target, handwriting_target


def main(params: dict) -> None:
    if params["mode"] == "real":
        real = section(params, "real")
        splits = folder_target(
            real_input(real, "target_train_dir", "folder"), real_input(real, "target_test_dir", "folder"), real["target_concept"],
            real["index_workers"], real["bad_images"],
        )
    else:
        t = section(params, "target")
        splits = handwriting_target(t["name"], t["labels_per_class"], t["test_per_class"], t["seed"])
    splits.train.write(layout.TARGET_TRAIN_TABLE)
    splits.test.write(layout.TARGET_TEST_TABLE)
    write_json(splits.meta, layout.TARGET_META)
    print(f"target {splits.meta['name']}: {len(splits.train)} train, {len(splits.test)} test images")


if __name__ == "__main__":
    run_stage(main)
