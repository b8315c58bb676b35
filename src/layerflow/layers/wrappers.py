"""Layers that wrap another layer: TimeDistributed and Bidirectional (Keras 3, TF.js).

>>> import layerflow as lf
>>> from layerflow.layers.core import Dense
>>> TimeDistributed(Dense(2))(lf.ones([1, 3, 4])).shape
(1, 3, 2)
"""

from __future__ import annotations

from layerflow.engine.symbolic import SymbolicTensor
from layerflow.errors import InvalidArgumentError, LayerflowError, ShapeError
from layerflow.layers.base import Layer, _flatten
from layerflow.layers.recurrent import RNN, _flat_sizes, _sequence_shape
from layerflow.serialization import deserialize, serialize

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _ops():
    """The ops namespace (``lf``), imported late: layerflow imports this package."""
    import layerflow

    return layerflow


def _as_layer(owner: str, arg: str, layer, required: type = Layer):
    if isinstance(layer, dict):
        layer = deserialize("layer", layer)
    if not isinstance(layer, required):
        raise InvalidArgumentError(f"{owner}: {arg} must be a {required.__name__} instance, "
                                   f"got {layer!r}")
    return layer


class Wrapper(Layer):
    """Base of the layers that wrap one layer (Keras ``Wrapper``): tracks it, serializes it.

    Args:
        layer: the wrapped layer (or its ``{"class_name", "config"}``).
    """

    def __init__(self, layer, **kwargs) -> None:
        super().__init__(**kwargs)
        self.layer = _as_layer(type(self).__name__, "layer", layer)

    def build(self, input_shape) -> None:
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
            # NOTE: the wrapped layer's weights live under the wrapper's name, as Keras 3's
            # paths (time_distributed/dense/kernel) and TF.js (time_distributed/kernel) have it.
            for v in self.layer.weights:
                if not v.name.startswith(f"{self.name}/"):
                    v.name = f"{self.name}/{v.name}"
        self.built = True

    def get_config(self) -> dict:
        config = super().get_config()
        config["layer"] = serialize(self.layer)
        return config


class TimeDistributed(Wrapper):
    """Applies ``layer`` to every time step of ``(batch, time, ...)`` inputs.

    The batch and time axes are folded into one (``(batch * time, ...)``), the layer is applied
    once, and the result unfolded (TF.js); a mask passes through unchanged and reaches the
    inner layer folded the same way.

    Args:
        layer: the layer to apply to each step (its weights are shared by all steps).

    >>> import layerflow as lf
    >>> from layerflow.layers.core import Dense
    >>> layer = TimeDistributed(Dense(3))
    >>> layer(lf.ones([2, 5, 4])).shape, [w.shape for w in layer.weights]
    ((2, 5, 3), [(4, 3), (3,)])
    """

    def __init__(self, layer, **kwargs) -> None:
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _child_shape(self, input_shape) -> tuple:
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise ShapeError(f"{self.name}: TimeDistributed expects inputs with at least 3 "
                             f"dimensions (batch, time, ...), got {shape}")
        return (shape[0],) + shape[2:]

    def build(self, input_shape) -> None:
        child = self._child_shape(input_shape)
        self.__dict__["_rank"] = len(input_shape)
        super().build(child)

    def _check_input_spec(self, inputs) -> None:
        rank = self.__dict__.get("_rank")
        shape = getattr(inputs, "shape", None)
        if rank is not None and shape is not None and len(shape) != rank:
            raise ShapeError(f"{self.name}: expected inputs of rank {rank}, got shape "
                             f"{tuple(shape)}")

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_shape(input_shape))
        return (child[0], input_shape[1]) + tuple(child[1:])

    def call(self, inputs, training=None, mask=None):
        ops = _ops()
        shape = tuple(inputs.shape)
        self._child_shape(shape)
        batch, steps, rest = shape[0], shape[1], shape[2:]
        if steps is None or None in rest:
            if isinstance(inputs, SymbolicTensor):
                return SymbolicTensor(self.compute_output_shape(shape), self.dtype)
        kwargs = {}
        if self.layer._call_has_training:
            kwargs["training"] = training
        if mask is not None and self.layer._call_has_mask:
            mask_shape = tuple(mask.shape)
            if len(mask_shape) < 2 or any(a is not None and b is not None and a != b
                                          for a, b in zip(mask_shape[:2], shape[:2])):
                raise ShapeError(f"{self.name}: the mask must start with (batch, time) = "
                                 f"{shape[:2]}, got shape {mask_shape}")
            kwargs["mask"] = ops.reshape(mask, (-1,) + mask_shape[2:])
        folded = ops.reshape(inputs, (-1,) + rest)
        out = self.layer.call(folded, **kwargs)
        if isinstance(out, (list, tuple)):
            raise LayerflowError(f"{self.name}: the wrapped layer {self.layer.name} returned "
                                 f"{len(out)} tensors; TimeDistributed needs one")
        lead = (-1 if batch is None else batch, steps)
        return ops.reshape(out, lead + tuple(out.shape[1:]))


class Bidirectional(Layer):
    """Runs an RNN forwards and a copy of it backwards, and merges their outputs.

    The forward and backward layers are new layers made from ``layer``'s config, named
    ``forward_<name>`` and ``backward_<name>`` (Keras); the weights list the forward layer's
    first. With ``return_sequences`` the backward outputs are flipped back to time order before
    merging. ``initial_state`` takes the forward states, then the backward states.

    Args:
        layer: an RNN layer (``SimpleRNN``, ``GRU``, ``LSTM``, ``RNN``), used as a template.
        merge_mode: ``'concat'`` (default), ``'sum'``, ``'mul'``, ``'ave'``, or None to return
            ``[forward, backward]``.
        backward_layer: an RNN to use as the backward layer instead of a copy of ``layer``;
            its ``go_backwards`` must differ from ``layer``'s.

    >>> import layerflow as lf
    >>> from layerflow.layers.recurrent_layers import LSTM
    >>> layer = Bidirectional(LSTM(3, return_sequences=True, name='lstm'))
    >>> layer(lf.ones([2, 4, 5])).shape, layer.forward_layer.name
    ((2, 4, 6), 'forward_lstm')
    """

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs) -> None:
        super().__init__(**kwargs)
        layer = _as_layer("Bidirectional", "layer", layer, RNN)
        if merge_mode not in _MERGE_MODES:
            raise InvalidArgumentError(f"Bidirectional: merge_mode must be one of "
                                       f"{list(_MERGE_MODES)}, got {merge_mode!r}")
        zero = {"zero_output_for_mask": layer.return_sequences}
        self.forward_layer = _copy(layer, name=f"forward_{_strip(layer.name, 'forward_')}",
                                   **zero)
        if backward_layer is None:
            backward_layer = _copy(layer, name=f"backward_{_strip(layer.name, 'backward_')}",
                                   go_backwards=not layer.go_backwards, **zero)
        self.backward_layer = _as_layer("Bidirectional", "backward_layer", backward_layer, RNN)
        for sub in (self.forward_layer, self.backward_layer):
            sub.zero_output_for_mask = sub.return_sequences  # as Keras: merged steps line up
        self._verify()
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = layer.stateful
        self.supports_masking = True

    def _verify(self) -> None:
        fwd, bwd = self.forward_layer, self.backward_layer
        if fwd.go_backwards == bwd.go_backwards:
            raise InvalidArgumentError(
                f"Bidirectional: the forward and backward layers must have different "
                f"go_backwards, both have {fwd.go_backwards}")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(fwd, attr) != getattr(bwd, attr):
                raise InvalidArgumentError(
                    f"Bidirectional: the forward and backward layers must have the same {attr}, "
                    f"got {getattr(fwd, attr)} and {getattr(bwd, attr)}")

    def __call__(self, inputs, *args, initial_state=None, **kwargs):
        if initial_state is None:
            return super().__call__(inputs, *args, **kwargs)
        states = _flatten(initial_state if isinstance(initial_state, (list, tuple))
                          else [initial_state])
        return super().__call__([inputs, *states], *args, **kwargs)

    def build(self, input_shape) -> None:
        shape = _sequence_shape(input_shape)
        if len(shape) < 3:
            raise ShapeError(f"{self.name}: expected inputs of shape (batch, time, features), "
                             f"got {shape}")
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub.build(shape)
                sub.built = True
                for w in sub.weights:
                    if not w.name.startswith(self.name + "/"):
                        w.name = f"{self.name}/{w.name}"
        self.built = True

    def _check_input_spec(self, inputs) -> None:
        self.forward_layer._check_input_spec(inputs)

    def call(self, inputs, training=None, mask=None):
        ops = _ops()
        if isinstance(inputs, (list, tuple)):
            sequence, states = inputs[0], list(inputs[1:])
        else:
            sequence, states = inputs, []
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        half = len(states) // 2
        if states and len(states) % 2:
            raise InvalidArgumentError(f"{self.name}: initial_state needs as many backward "
                                       f"states as forward states, got {len(states)} in all")
        y = self.forward_layer._run(sequence, states[:half] or None, mask, training)
        y_rev = self.backward_layer._run(sequence, states[half:] or None, mask, training)
        final = []
        if self.return_state:
            final = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            if self.backward_layer.go_backwards:
                y_rev = ops.reverse(y_rev, 1)
            if self.forward_layer.go_backwards:
                y = ops.reverse(y, 1)
        if self.merge_mode == "concat":
            output = [ops.concat([y, y_rev], -1)]
        elif self.merge_mode == "sum":
            output = [y + y_rev]
        elif self.merge_mode == "ave":
            output = [(y + y_rev) / 2]
        elif self.merge_mode == "mul":
            output = [y * y_rev]
        else:
            output = [y, y_rev]
        output = output + final
        return output[0] if len(output) == 1 else output

    def compute_output_shape(self, input_shape):
        shape = _sequence_shape(input_shape)
        out = self.forward_layer.compute_output_shape(shape)
        states = []
        if self.return_state:
            out, states = out[0], out[1:] * 2
        if self.merge_mode == "concat":
            outputs = [tuple(out[:-1]) + (out[-1] * 2,)]
        elif self.merge_mode is None:
            outputs = [out, out]
        else:
            outputs = [out]
        outputs = outputs + states
        return outputs[0] if len(outputs) == 1 else outputs

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        masks = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            masks += [None] * (2 * len(_flat_sizes(self.forward_layer.state_size)))
        return masks[0] if len(masks) == 1 else masks

    @property
    def states(self):
        """The state variables of a stateful layer: forward's, then backward's."""
        if self.forward_layer.states and self.backward_layer.states:
            return list(self.forward_layer.states) + list(self.backward_layer.states)
        return None

    def reset_states(self, states=None) -> None:
        """Zero (or set: forward states then backward states) the states of a stateful layer."""
        if not self.stateful:
            raise LayerflowError(f"{self.name}: reset_states() needs a stateful layer")
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        states = list(states)
        half = len(states) // 2
        self.forward_layer.reset_states(states[:half])
        self.backward_layer.reset_states(states[half:])

    reset_state = reset_states

    def get_config(self) -> dict:
        # NOTE: the wrapped layers are written under their own names, without the forward_/
        # backward_ prefixes: TF.js adds the prefixes again when it loads (and Keras 3 strips
        # them), so prefixed names would load in TF.js as forward_forward_<name>.
        config = super().get_config()
        config["layer"] = _unprefixed(serialize(self.forward_layer), "forward_")
        config["backward_layer"] = _unprefixed(serialize(self.backward_layer), "backward_")
        return config


def _unprefixed(entry: dict, prefix: str) -> dict:
    entry["config"]["name"] = _strip(entry["config"]["name"], prefix)
    return entry


def _strip(name: str, prefix: str) -> str:
    return name[len(prefix):] if name.startswith(prefix) else name


def _copy(layer, **changes):
    """A new, unbuilt layer from ``layer``'s config with ``changes`` (keys it accepts)."""
    config = layer.get_config()
    for key, value in changes.items():
        if key in config or key == "name":
            config[key] = value
    return type(layer).from_config(config)


__all__ = ["Wrapper", "TimeDistributed", "Bidirectional"]
