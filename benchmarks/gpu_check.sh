#!/usr/bin/env bash
# Every CUDA code path once, one line per check, in at most 8 minutes (see benchmarks/gpu_check.py).
# On a machine without an NVIDIA GPU it says so and exits 0.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
test -x "$PYTHON" || PYTHON=python3
timeout 480 "$PYTHON" benchmarks/gpu_check.py "$@"
status=$?
test $status -eq 124 && echo "FAIL gpu_check: stopped after 8 minutes"
exit $status
