#!/usr/bin/env bash
# Run the demo (the core concepts of TF.js, in Python) from a fresh machine or an existing .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh "jax,demo"
exec .venv/bin/python examples/core_concepts.py "$@"
