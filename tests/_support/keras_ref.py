"""Keras 3 (jax backend) as the reference for layers: outputs and gradients.

``check_layer(lf_layer, keras_layer, x)`` builds both layers on ``x``, copies layerflow's
weights into Keras (same order: Keras and TF.js list trainable then non-trainable weights),
and compares, in float32 to ``rtol=1e-5`` (relative to the output's scale):

- the outputs of ``call(x, training=...)``;
- the gradients of ``sum(output * w)`` (fixed random ``w``) with respect to the input and to
  every trainable weight (Keras's through ``jax.grad`` of ``stateless_call``);
- the config round trip: ``from_config(get_config())`` gives a layer with the same output.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

import layerflow as lf  # noqa: E402

RTOL = 1e-5


def keras():
    import keras as _keras

    return _keras


def _close(got, want, what: str, rtol: float = RTOL) -> None:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != Keras {want.shape}"
    scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale, err_msg=what)


def _call_kwargs(layer, training) -> dict:
    """``{'training': ...}`` only for Keras layers whose call accepts it."""
    import inspect

    return {"training": training} if "training" in inspect.signature(layer.call).parameters \
        else {}


def _keras_outputs_and_grads(layer, x, weights_out, training):
    import jax
    import jax.numpy as jnp

    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]
    xs = [jnp.asarray(a) for a in x] if isinstance(x, list) else jnp.asarray(x)

    def objective(train_vals, inputs):
        out, _ = layer.stateless_call(train_vals, non_trainable, inputs,
                                      **_call_kwargs(layer, training))
        outs = out if isinstance(out, (list, tuple)) else [out]
        return sum(jnp.sum(o * w) for o, w in zip(outs, weights_out)), out

    (_, out), grads = jax.value_and_grad(objective, argnums=(0, 1), has_aux=True)(
        trainable, xs)
    return out, grads


def check_layer(lf_layer, keras_layer, x, training=False, check_grads=True, rtol=RTOL,
                int_input=False):
    """Compare a layerflow layer with its Keras counterpart on input ``x`` (NumPy)."""
    inputs = [lf.tensor(a) for a in x] if isinstance(x, list) else lf.tensor(x)
    out = lf_layer(inputs, training=training) if training else lf_layer(inputs)
    keras_in = list(x) if isinstance(x, list) else x
    keras_layer(keras_in)  # builds
    weights = lf_layer.get_weights()
    assert len(weights) == len(keras_layer.get_weights()), (
        f"{lf_layer.name}: {len(weights)} weights, Keras has {len(keras_layer.get_weights())}")
    keras_layer.set_weights(weights)
    outs = out if isinstance(out, (list, tuple)) else [out]
    rng = np.random.default_rng(1)
    weights_out = [rng.uniform(0.5, 1.5, size=o.shape).astype(np.float32) for o in outs]
    if not check_grads or int_input:
        want = keras_layer(keras_in, **_call_kwargs(keras_layer, training))
        wants = want if isinstance(want, (list, tuple)) else [want]
        for i, (o, w) in enumerate(zip(outs, wants)):
            _close(o.numpy(), np.asarray(w), f"{lf_layer.name} output {i}", rtol)
        return out
    want, (grad_w, grad_x) = _keras_outputs_and_grads(keras_layer, x, weights_out, training)
    wants = want if isinstance(want, (list, tuple)) else [want]
    for i, (o, w) in enumerate(zip(outs, wants)):
        _close(o.numpy(), np.asarray(w), f"{lf_layer.name} output {i}", rtol)
    sources = list(inputs) if isinstance(inputs, list) else [inputs]
    trainable = lf_layer.trainable_weights

    def objective():
        got = lf_layer(inputs if isinstance(inputs, list) else sources[0], training=training)
        gots = got if isinstance(got, (list, tuple)) else [got]
        return lf.add_n([lf.sum(lf.mul(g, lf.tensor(w))) for g, w in zip(gots, weights_out)])

    with lf.GradientTape() as tape:
        tape.watch(sources)
        value = objective()
    found = tape.gradient(value, sources + trainable)
    want_x = list(grad_x) if isinstance(grad_x, (list, tuple)) else [grad_x]
    for i, (g, w) in enumerate(zip(found[:len(sources)], want_x)):
        _close(g.numpy(), np.asarray(w), f"{lf_layer.name} d/dinput {i}", rtol)
    for var, g, w in zip(trainable, found[len(sources):], grad_w):
        _close(g.numpy(), np.asarray(w), f"{lf_layer.name} d/d{var.name}", rtol)
    return out


def check_config_round_trip(lf_layer, x) -> None:
    """``from_config(get_config())`` makes a layer that, with the same weights, computes the
    same output."""
    config = lf_layer.get_config()
    clone = type(lf_layer).from_config(config)
    inputs = [lf.tensor(a) for a in x] if isinstance(x, list) else lf.tensor(x)
    clone(inputs)
    clone.set_weights(lf_layer.get_weights())
    a, b = lf_layer(inputs), clone(inputs)
    for u, v in zip(a if isinstance(a, list) else [a], b if isinstance(b, list) else [b]):
        np.testing.assert_array_equal(u.numpy(), v.numpy())


def keras_config_keys(keras_layer) -> set:
    return set(keras_layer.get_config())
