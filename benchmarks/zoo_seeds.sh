#!/usr/bin/env bash
# The model-selection report (zoo_report) with the ground truth fine-tuned over three seeds, so its
# tables carry a spread. Run from the repository root with the environment active, after
# `dvc repro`: the experiment runs in a temporary folder (dvc exp run --temp) and reruns only
# zoo_finetune and zoo_report; the workspace is left as it is. Its report files are copied from
# the experiment's commit to benchmarks/results/zoo_seeds/.
set -euo pipefail
name=zoo-seeds-3
dvc exp remove "$name" 2>/dev/null || true
dvc exp run --temp -S 'zoo.seeds=[0,1,2]' -n "$name"
ref=$(git for-each-ref --format='%(refname)' refs/exps | grep "/$name\$")
out=benchmarks/results/zoo_seeds
mkdir -p "$out"
for file in metrics.json selection.csv selection_per_target.csv accuracy.csv scores.csv multidomain.csv top3_gain.png rankings.png; do
  git show "$ref:results/zoo/$file" > "$out/$file"
done
cat "$out/selection.csv"
