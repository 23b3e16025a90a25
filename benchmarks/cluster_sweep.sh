#!/usr/bin/env bash
# Table 2 of the UOT paper in miniature: reuse of UOT-selected k-means clusters (eq. 7) on a
# self-supervised (contrastive) backbone, as the number of clusters grows; a fifth of the
# clusters is selected each time, so about the same number of images is reused.
# Run from the repository root with the environment active; experiments run in temporary
# folders (dvc exp run --temp), so the workspace is left as it is. Results: dvc exp show.
set -euo pipefail
base=(-S pretrain.mode=contrastive -S pretrain.epochs=10 -S "pretrain.keep_epochs=[1,5,10]"
      -S extract.layer=projection -S select.unit=cluster -S select.method=uot)
for k in 30 100 300 1000; do
  dvc exp run --temp "${base[@]}" -S cluster.k=$k -S select.k=$((k / 5)) -n "clusters-$k"
done
mkdir -p benchmarks/results
dvc exp show --no-pager --csv --drop '.*' --keep 'Experiment|cluster\.k|select\.k|top1\..*|gain|selection\.(recall|precision|images_selected)|max_over_median|size_min|size_max' \
  > benchmarks/results/cluster_sweep.csv
cat benchmarks/results/cluster_sweep.csv
