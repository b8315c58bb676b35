#!/usr/bin/env bash
# Make the peers' environments for bench/run.py:
#   bench/envs/torch   a venv with numpy + torch==2.13.0 (CPU)
#   bench/tfjs         npm install of @tensorflow/tfjs (pure JS, runs under node)
# Keras 3 on JAX is used from the project's .venv (KERAS_BACKEND=jax), installed by
# scripts/test.sh / pip install -e .[dev]; this script checks it is importable.
# Each peer is optional: a failure is reported and the bench skips that peer.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-python3}"

echo "== torch (bench/envs/torch)"
if [ ! -x "$here/envs/torch/bin/python" ]; then
    "$python" -m venv "$here/envs/torch" || echo "torch: venv creation failed"
fi
if [ -x "$here/envs/torch/bin/python" ]; then
    "$here/envs/torch/bin/python" -m pip install -q numpy "torch==2.13.0" \
        || echo "torch: install failed (the bench will skip it)"
fi

echo "== keras on jax (.venv)"
if [ -x "$root/.venv/bin/python" ]; then
    KERAS_BACKEND=jax "$root/.venv/bin/python" -c "import keras, jax; print('keras', keras.__version__, 'jax', jax.__version__)" \
        || echo "keras/jax: not importable in .venv (pip install keras jax)"
fi

echo "== tfjs (bench/tfjs)"
if command -v npm >/dev/null 2>&1; then
    (cd "$here/tfjs" && npm install --no-audit --no-fund --loglevel=error) \
        || echo "tfjs: npm install failed (the bench will skip it)"
else
    echo "tfjs: npm not found (the bench will skip it)"
fi
