#!/usr/bin/env bash
# Run the whole test suite on both backends, from a fresh machine or an existing .venv:
# installs the Python packages (.venv), Debian's graphviz (for plot_model) where `dot` is
# missing and we may install it, and TensorFlow.js for Node (tests/io/tfjs) where npm exists.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh "jax,dev"
if ! command -v dot >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq graphviz >/dev/null) \
    || echo "note: could not install graphviz; plot_model's render tests will skip"
fi
if command -v npm >/dev/null 2>&1 && [ ! -d tests/io/tfjs/node_modules/@tensorflow/tfjs ]; then
  (cd tests/io/tfjs && npm ci --no-audit --no-fund --loglevel=error) \
    || echo "note: npm could not install @tensorflow/tfjs; the TF.js tests will install on use"
fi
.venv/bin/ruff check --quiet .
exec .venv/bin/python -m pytest -n 2 "$@"
