"""Small checks shared by the layer tests: config keys and symbolic shapes against Keras 3."""

from __future__ import annotations

from layerflow.layers.symbolic import input as lf_input

# Keys one side writes and the other does not, for every layer:
# - quantization_config: Keras 3's int8/float8 quantization, which layerflow does not have;
# - activity_regularizer: Keras writes it only when set, layerflow (as TF.js) always.
KERAS_ONLY = {"quantization_config", "activity_regularizer"}
OURS_ONLY = {"activity_regularizer"}


def check_config_keys(lf_layer, keras_layer, keras_only=(), ours_only=()) -> None:
    """Our config keys equal Keras's, minus the keys each side documents as its own."""
    ours = set(lf_layer.get_config()) - set(ours_only) - OURS_ONLY
    theirs = set(keras_layer.get_config()) - set(keras_only) - KERAS_ONLY
    assert ours == theirs, f"only ours: {ours - theirs}, only Keras: {theirs - ours}"


def check_symbolic_shape(lf_layer, keras_layer, sample_shape) -> None:
    """Applying the layer to ``input(shape=...)`` gives Keras's ``compute_output_shape``."""
    if isinstance(sample_shape, list):
        x = [lf_input(shape=list(s)) for s in sample_shape]
        want = keras_layer.compute_output_shape([(None,) + tuple(s) for s in sample_shape])
    else:
        x = lf_input(shape=list(sample_shape))
        want = keras_layer.compute_output_shape((None,) + tuple(sample_shape))
    got = lf_layer(x)
    assert tuple(got.shape) == tuple(want), f"{got.shape} != Keras {want}"


class _KerasNoTraining:
    """A Keras layer whose ``call`` takes no ``training``: ``keras_ref.check_layer`` passes
    ``training=`` to ``stateless_call``, which such layers refuse, so this drops it."""

    def __init__(self, layer) -> None:
        self._layer = layer

    def __getattr__(self, name):
        return getattr(self._layer, name)

    def __call__(self, *args, training=None, **kwargs):
        return self._layer(*args, **kwargs)

    def stateless_call(self, trainable, non_trainable, *args, training=None, **kwargs):
        return self._layer.stateless_call(trainable, non_trainable, *args, **kwargs)


def keras_ref_layer(layer):
    """``layer``, wrapped when its ``call`` has no ``training`` argument (see above)."""
    import inspect

    if "training" in inspect.signature(layer.call).parameters:
        return layer
    return _KerasNoTraining(layer)
