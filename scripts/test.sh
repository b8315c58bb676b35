#!/usr/bin/env bash
# Run the whole test suite on both backends, from a fresh machine or an existing .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh "jax,dev"
.venv/bin/ruff check --quiet .
exec .venv/bin/python -m pytest -n 2 "$@"
