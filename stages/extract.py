"""extract: features (penultimate or projection head) of the pool and the target training images."""

from reprise.core import layout
from reprise.core.artifacts import write_npy
from reprise.core.checkpoints import kept_checkpoint, load_feature_model
from reprise.core.device import pick_device
from reprise.core.features import extract_features
from reprise.core.images import ImageTable
from reprise.core.params import section
from reprise.core.stage import run_stage


def main(params: dict) -> None:
    e = section(params, "extract")
    backbone, spec, _ = load_feature_model(kept_checkpoint(layout.PRETRAIN_DIR, e["checkpoint"]), e["layer"])
    device = pick_device(params["device"])
    for prefix, out in ((layout.TARGET_TRAIN_TABLE, layout.TARGET_FEATURES), (layout.POOL_TABLE, layout.POOL_FEATURES)):
        table = ImageTable.read(prefix)
        features = extract_features(backbone, spec, table, device, e["batch_size"], e["num_workers"], desc=f"extract {prefix}")
        write_npy(features, out)


if __name__ == "__main__":
    run_stage(main)
