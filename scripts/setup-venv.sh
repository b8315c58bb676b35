#!/usr/bin/env bash
# Make (or reuse) the local virtual environment .venv and install layerflow with the extras
# given as arguments (e.g. "jax,dev"). Used by the README's two commands.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-jax}"
python_bin="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python_bin" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
.venv/bin/python -m pip install --quiet -e ".[${extras}]"
