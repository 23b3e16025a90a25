"""The paper's Table 4 recall, and the same table for Dogs and Pets, from its own class means.

    python benchmarks/paper_table4.py [--shared ../shared]

Recall = share of the target's ImageNet classes among the top 100 selected: CUB → the 59 bird
classes, Dogs → the 118 dog classes, Pets (37 cat and dog breeds) → the 118 dog classes plus
the 5 domestic cats (tabby, tiger cat, Persian, Siamese, Egyptian cat). GOT = Greedy-OT.
Writes benchmarks/results/paper_table4.csv and prints a markdown table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from reprise.reuse.recall import concept_recall

TARGETS = {"cub": "bird", "dogs": "dog", "pets": "dog+domestic cat"}
DOMESTIC_CATS = ["tabby, tabby cat", "tiger cat", "Persian cat", "Siamese cat, Siamese", "Egyptian cat"]
COLUMNS = [("greedy", "l2", 1.0), ("greedy", "cos", 1.0), ("uot", "l2", 0.01), ("uot", "l2", 0.1), ("uot", "cos", 0.01)]


def relevant_classes(classes: pd.DataFrame, target: str) -> np.ndarray:
    if target == "pets":
        return ((classes["concept"] == "dog") | classes["name"].isin(DOMESTIC_CATS)).to_numpy()
    return (classes["concept"] == TARGETS[target]).to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "paper_table4.csv"))
    args = parser.parse_args()
    root = Path(args.shared) / "paper-class-means"
    classes = pd.read_csv(root / "imagenet_classes.csv")
    rows = []
    for model in ("supervised_resnet18", "mocov2_resnet50"):
        source = np.load(root / model / "imagenet_means.npy")
        for target in TARGETS:
            means = np.load(root / model / f"{target}_means.npy")
            relevant = relevant_classes(classes, target)
            row = {"model": model, "target": target, "relevant": int(relevant.sum())}
            for method, cost, eps_c in COLUMNS:
                hits, total = concept_recall(source, means, relevant, 100, method, cost, eps_c)
                label = f"{'GOT' if method == 'greedy' else 'UOT'}-{cost}" + (f" ε_c={eps_c:g}" if method == "uot" else "")
                row[label] = round(100 * hits / total, 2)
            rows.append(row)
    table = pd.DataFrame(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(table.to_markdown(index=False))


if __name__ == "__main__":
    main()
