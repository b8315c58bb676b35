#!/usr/bin/env bash
# Run the demo (train a CNN on scikit-learn's digits, then predict) from a fresh machine or an
# existing .venv. Extra arguments go to examples/digits_demo.py (e.g. --backend numpy).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh "jax,demo"
exec .venv/bin/python examples/digits_demo.py "$@"
