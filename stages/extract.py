"""extract: features (penultimate or projection head) of the pool and the target training images."""

from reprise import layout
from reprise.artifacts import write_npy
from reprise.device import pick_device
from reprise.features import extract_features
from reprise.images import ImageTable
from reprise.models import load_feature_model
from reprise.params import section
from reprise.pretrain import resolve_checkpoint
from reprise.stage import run_stage


def main(params: dict) -> None:
    e = section(params, "extract")
    backbone, spec, _ = load_feature_model(resolve_checkpoint(layout.PRETRAIN_DIR, e["checkpoint"]), e["layer"])
    device = pick_device(params["device"])
    for prefix, out in ((layout.TARGET_TRAIN_TABLE, layout.TARGET_FEATURES), (layout.POOL_TABLE, layout.POOL_FEATURES)):
        table = ImageTable.read(prefix)
        features = extract_features(backbone, spec, table, device, e["batch_size"], e["num_workers"], desc=f"extract {prefix}")
        write_npy(features, out)


if __name__ == "__main__":
    run_stage(main)
