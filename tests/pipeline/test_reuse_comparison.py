"""The reuse comparison on the tiny pipeline's artifacts: each method's rate and λ are chosen on a
validation split of the training images, never on the test set."""

import shutil

import numpy as np
import pytest
import torch

from reprise.core.checkpoints import kept_checkpoint
from reprise.core.params import load_params
from reprise.reuse.comparison import ReuseSetting, ReuseSource, tuned_run
from reprise.reuse.settings import UotSettings
from reprise.world.targets import handwriting_target

pytestmark = pytest.mark.xdist_group("tiny_repo")


def test_the_grid_point_is_chosen_on_validation_and_refitted_on_the_whole_training_set(tiny_repo, tmp_path, monkeypatch):
    root = tmp_path / "repo"
    shutil.copytree(tiny_repo, root, symlinks=True)
    monkeypatch.chdir(root)
    params = load_params()
    f, s = params["finetune"], params["select"]
    splits = handwriting_target("mnist", 5, 10, seed=0)
    setting = ReuseSetting(checkpoint=kept_checkpoint("data/pretrain", "last"), layer="penultimate", k=3, uot=UotSettings.parse(params["uot"]),
                           greedy_cost=s["greedy_cost"], concept="digit", epochs=1, batch_size=16, momentum=f["momentum"], weight_decay=0.0)
    source = ReuseSource.of_pipeline("class")
    runs = {}
    for name, test in (("test", splits.test), ("other test", splits.test.subset(np.arange(5)))):
        runs[name] = tuned_run(setting, source, "uot", splits.train, test, lrs=[0.05, 0.001], lambdas=[1.0, 0.3], val_fraction=0.2, seed=0,
                               device=torch.device("cpu"))
    chosen = {name: (run["lr"], run["lambda"], run["val_top1"]) for name, run in runs.items()}
    assert chosen["test"] == chosen["other test"]  # the test images play no part in the choice
    run = runs["test"]
    assert run["lr"] in (0.05, 0.001) and run["lambda"] in (1.0, 0.3) and 0 <= run["top1"] <= 100
    assert run["units"] == 3 and run["images"] == 3 * 6  # k classes of the tiny pool, refitted on all 50 training images
    plain = tuned_run(setting, source, "none", splits.train, splits.test, lrs=[0.05], lambdas=[1.0, 0.3], val_fraction=0.2, seed=0, device=torch.device("cpu"))
    assert plain["lambda"] == 0.0 and plain["units"] == 0
