"""Recurrent cells and the RNN layer that runs a cell over time.

A *cell* computes one time step: ``cell.call(x_t, states) -> (output_t, new_states)``. Cells
hold the weights (``[kernel, recurrent_kernel, bias]``, gates in Keras's order: LSTM ``i, f, c,
o``; GRU ``z, r, h``). :class:`RNN` loops a cell over the time axis with ops (a Python loop
over the known time steps, so the same code runs eagerly, symbolically and under tapes; inside
``lf.compile`` on jax the loop is one ``scan`` op, see ``recurrent_scan.py``), handles masks
(masked steps carry the states and repeat the previous output, as Keras and TF.js),
``go_backwards``, initial states (``layer(x, initial_state=[...])``) and ``stateful`` layers.
The cells (``SimpleRNNCell``, ``GRUCell``, ``LSTMCell``) and ``SimpleRNN``, ``GRU``, ``LSTM``
(RNNs with their cell's arguments flattened into the constructor) are in
``recurrent_layers.py``.

>>> import layerflow as lf
>>> from layerflow.layers.recurrent_layers import SimpleRNNCell
>>> rnn = RNN(SimpleRNNCell(2, kernel_initializer='ones', recurrent_initializer='zeros'))
>>> rnn(lf.ones([1, 3, 1])).shape
(1, 2)
"""

from __future__ import annotations

from layerflow import activations, constraints, initializers, regularizers
from layerflow.engine.symbolic import SymbolicTensor
from layerflow.errors import InvalidArgumentError, LayerflowError, ShapeError
from layerflow.layers.base import Layer, _flatten
from layerflow.layers.core import _draw_seed  # one seed sequence rule for all dropouts
from layerflow.serialization import deserialize, serialize

# The cell arguments shared by SimpleRNNCell, GRUCell and LSTMCell (Keras 3 names).
_CELL_ARGS = ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
              "recurrent_initializer", "bias_initializer", "kernel_regularizer",
              "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
              "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed")
# Keras 2 / TF.js config keys that Keras 3 accepts and ignores.
_LEGACY_KEYS = ("implementation", "time_major")


def _ops():
    """The ops namespace (``lf``), imported late: layerflow imports this package."""
    import layerflow

    return layerflow


def check_units(name: str, units) -> None:
    """``units`` must be a positive int."""
    if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
        raise InvalidArgumentError(f"{name}: units must be a positive integer, got {units!r}")


def check_rate(name: str, arg: str, rate) -> float:
    """A dropout rate in ``[0, 1)``."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise InvalidArgumentError(f"{name}: {arg} must be a number in [0, 1), got {rate!r}")
    return float(rate)


def pop_legacy(kwargs: dict) -> dict:
    """Drop Keras 2 / TF.js keys (``implementation``...) that have no effect here."""
    for key in _LEGACY_KEYS:
        kwargs.pop(key, None)
    return kwargs


class RNNCell(Layer):
    """Base of the cells: arguments, dropout masks and zero initial states (TF.js ``RNNCell``).

    A subclass sets ``state_size`` (an int or a list of ints) and ``output_size``, creates its
    weights in ``build((batch, features))`` and implements ``call(inputs, states,
    training=None) -> (output, new_states)`` with ``states`` a list of tensors.
    """

    state_size = None
    output_size = None

    def _set_cell_args(self, args: dict) -> None:
        """Validate and store the shared cell arguments (``args``: the constructor's locals)."""
        name = type(self).__name__
        check_units(name, args["units"])
        self.units = args["units"]
        self.activation = activations.get(args["activation"])
        self.recurrent_activation = activations.get(args["recurrent_activation"])
        self.use_bias = bool(args["use_bias"])
        for part in ("kernel", "recurrent", "bias"):
            init = args[f"{part}_initializer"]
            setattr(self, f"{part}_initializer", initializers.get(init))
            reg = args[f"{part}_regularizer"]
            setattr(self, f"{part}_regularizer", None if reg is None else regularizers.get(reg))
            con = args[f"{part}_constraint"]
            setattr(self, f"{part}_constraint", None if con is None else constraints.get(con))
        self.dropout = check_rate(name, "dropout", args["dropout"])
        self.recurrent_dropout = check_rate(name, "recurrent_dropout", args["recurrent_dropout"])
        seed = args["seed"]
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise InvalidArgumentError(f"{name}: seed must be an integer or None, got {seed!r}")
        self.seed = seed
        self.__dict__["_mask_cache"] = None
        self.state_size = self.units
        self.output_size = self.units

    def _input_dim(self, input_shape) -> int:
        last = input_shape[-1] if input_shape else None
        if len(input_shape) != 2 or last is None:
            raise ShapeError(f"{self.name}: a cell expects inputs of shape (batch, features) "
                             f"with known features, got {tuple(input_shape)}")
        return int(last)

    def _weight(self, name: str, shape, part: str, initializer=None):
        return self.add_weight(name, shape, None,
                               initializer or getattr(self, f"{part}_initializer"),
                               getattr(self, f"{part}_regularizer"), True,
                               getattr(self, f"{part}_constraint"))

    # -- dropout masks: one draw per sequence, shared by every time step (Keras, TF.js) --------
    def _masks(self, kind: str, like, count: int, training):
        """``count`` dropout masks shaped like ``like`` for ``kind`` ('input'/'recurrent')."""
        rate = self.dropout if kind == "input" else self.recurrent_dropout
        if not training or rate == 0 or isinstance(like, SymbolicTensor):
            return None
        cache = self.__dict__.get("_mask_cache")
        if cache is not None and kind in cache:
            return cache[kind]
        ops = _ops()
        ones = ops.ones_like(like)
        masks = [ops.dropout(ones, rate, seed=_draw_seed(self)) for _ in range(count)]
        if cache is not None:
            cache[kind] = masks
        return masks

    def _start_sequence(self) -> None:
        self.__dict__["_mask_cache"] = {}

    def _end_sequence(self) -> None:
        self.__dict__["_mask_cache"] = None

    def get_initial_state(self, batch_size=None) -> list:
        """Zero states, one ``(batch_size, size)`` tensor per entry of ``state_size``."""
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [
            self.state_size]
        return [_ops().zeros([batch_size, s], self.dtype) for s in sizes]

    def get_config(self) -> dict:
        config = super().get_config()
        for key in ("activation", "recurrent_activation"):
            if key in config:
                config[key] = activations.serialize(getattr(self, key))
        return config


def _state_list(states) -> list:
    return list(states) if isinstance(states, (list, tuple)) else [states]


class StackedRNNCells(Layer):
    """Several cells run as one: each step feeds the output of one cell to the next.

    The state is nested as Keras's: one entry per cell (a tensor, or a list for LSTM cells).

    Args:
        cells: the cells, first to last.

    >>> import layerflow as lf
    >>> from layerflow.layers.recurrent_layers import LSTMCell, SimpleRNNCell
    >>> rnn = RNN(StackedRNNCells([SimpleRNNCell(3), LSTMCell(2)]))
    >>> rnn(lf.ones([1, 4, 5])).shape
    (1, 2)
    """

    def __init__(self, cells, **kwargs) -> None:
        super().__init__(**kwargs)
        cells = list(cells)
        if not cells:
            raise InvalidArgumentError("StackedRNNCells: cells must not be empty")
        for cell in cells:
            if not hasattr(cell, "call") or getattr(cell, "state_size", None) is None:
                raise InvalidArgumentError(
                    f"StackedRNNCells: every cell needs call() and state_size, got {cell!r}")
        self.cells = cells

    @property
    def state_size(self) -> list:
        return [c.state_size for c in self.cells]

    @property
    def output_size(self) -> int:
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        size = last.state_size
        return size[0] if isinstance(size, (list, tuple)) else size

    def build(self, input_shape) -> None:
        shape = tuple(input_shape)
        for cell in self.cells:
            if not cell.built:
                cell.build(shape)
                cell.built = True
            size = getattr(cell, "output_size", None) or cell.state_size
            size = size[0] if isinstance(size, (list, tuple)) else size
            shape = (shape[0], size)
        self.built = True

    def get_initial_state(self, batch_size=None) -> list:
        states = []
        for cell in self.cells:
            init = cell.get_initial_state(batch_size)
            states.append(init if isinstance(cell.state_size, (list, tuple)) else init[0])
        return states

    def call(self, inputs, states, training=None):
        new_states = []
        for cell, state in zip(self.cells, states):
            nested = isinstance(state, (list, tuple))
            kwargs = {"training": training} if cell._call_has_training else {}
            inputs, state = cell.call(inputs, _state_list(state), **kwargs)
            new_states.append(state if nested else state[0])
        return inputs, new_states

    def _start_sequence(self) -> None:
        for cell in self.cells:
            getattr(cell, "_start_sequence", lambda: None)()

    def _end_sequence(self) -> None:
        for cell in self.cells:
            getattr(cell, "_end_sequence", lambda: None)()

    def get_config(self) -> dict:
        config = super().get_config()
        config["cells"] = [serialize(c) for c in self.cells]
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        cells = [deserialize("layer", c) if isinstance(c, dict) else c
                 for c in config.pop("cells")]
        return cls(cells, **config)


def _flat_sizes(sizes) -> list:
    return [s for size in sizes for s in (size if isinstance(size, (list, tuple)) else [size])]


def _pack(flat: list, sizes) -> list:
    """Nest ``flat`` states like ``sizes`` (an entry per cell; a list for multi-state cells)."""
    out, i = [], 0
    for size in sizes:
        if isinstance(size, (list, tuple)):
            out.append(list(flat[i:i + len(size)]))
            i += len(size)
        else:
            out.append(flat[i])
            i += 1
    return out


def is_builtin_cell(cell) -> bool:
    """True for layerflow's own SimpleRNNCell, GRUCell and LSTMCell (not subclasses, whose
    ``call`` may differ from the fast paths that skip it)."""
    from layerflow.layers.recurrent_layers import GRUCell, LSTMCell, SimpleRNNCell

    return type(cell) in (SimpleRNNCell, GRUCell, LSTMCell)


def _projected_inputs(cell, x, training):
    """``x @ kernel + input bias`` for all steps at once (batch, time, gates), or None.

    A built-in cell without active dropout projects its inputs independently of the state, so
    one large matmul replaces one small matmul per step, forward and backward (about half of
    an eager LSTM's matmuls). Compiled jax programs do not use it: there, the scan with the
    projection inside ran faster.
    """
    if not is_builtin_cell(cell) or isinstance(x, SymbolicTensor) or (
            training and (cell.dropout or cell.recurrent_dropout)) or len(x.shape) != 3:
        return None
    ops = _ops()
    batch, steps, features = x.shape
    flat = ops.mat_mul(ops.reshape(x, [batch * steps, features]), cell.kernel)
    bias = cell._input_bias()
    if bias is not None:
        flat = flat + bias
    return ops.reshape(flat, [batch, steps, flat.shape[-1]])


def _sequence_shape(input_shape) -> tuple:
    """The sequence's shape when inputs are ``[sequence, *initial_states]``."""
    if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0],
                                                                    (list, tuple)):
        input_shape = input_shape[0]
    return tuple(input_shape)


class RNN(Layer):
    """Runs a recurrent cell over the time axis of ``(batch, time, features)`` inputs.

    Call with ``initial_state=`` (a tensor or a list, one per state) to start from given states;
    with ``mask=`` (``(batch, time)``, True = use the step) to skip steps: a masked step keeps
    the states and repeats the previous output (zeros with ``zero_output_for_mask``). A
    ``stateful`` layer (fixed batch size) starts each call from the last call's states, kept
    in non-trainable variables in :attr:`states` (not in ``weights``, as Keras); see
    :meth:`reset_states`.

    Args:
        cell: a cell (``call(x, states)``, ``state_size``), or a list of cells (stacked).
        return_sequences: return the output of every step ``(batch, time, units)`` instead of
            the last one ``(batch, units)``.
        return_state: also return the final states: ``[output, *states]``.
        go_backwards: process the sequence in reverse (and return the outputs in that order).
        stateful: carry the final states over to the next call.
        unroll: keep the time loop a Python loop even in programs compiled on jax (which
            otherwise run it as one ``scan`` op, see ``recurrent_scan.py``).
        zero_output_for_mask: masked steps output zeros instead of the previous output.

    >>> import layerflow as lf
    >>> from layerflow.layers.recurrent_layers import LSTMCell
    >>> rnn = RNN(LSTMCell(2), return_sequences=True, return_state=True)
    >>> [t.shape for t in rnn(lf.ones([1, 3, 4]))]
    [(1, 3, 2), (1, 2), (1, 2)]
    """

    _leaves_cores_idle = True  # NOTE: one small matmul per time step runs on one core

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs) -> None:
        super().__init__(**pop_legacy(kwargs))
        if isinstance(cell, dict):
            cell = deserialize("layer", cell)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call") or getattr(cell, "state_size", None) is None:
            raise InvalidArgumentError(f"{type(self).__name__}: cell must have a call method "
                                       f"and a state_size, got {cell!r}")
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        # NOTE: set through __dict__ so the state variables stay out of `weights` (as Keras).
        self.__dict__["states"] = None

    @property
    def state_size(self) -> list:
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    def __call__(self, inputs, *args, initial_state=None, **kwargs):
        if initial_state is None:
            return super().__call__(inputs, *args, **kwargs)
        # NOTE: initial states travel as extra inputs (as TF.js), so a functional model sees
        # the layers that computed them.
        states = _flatten(initial_state if isinstance(initial_state, (list, tuple))
                          else [initial_state])
        return super().__call__([inputs, *states], *args, **kwargs)

    def build(self, input_shape) -> None:
        shape = _sequence_shape(input_shape)
        if len(shape) < 3:
            raise ShapeError(f"{self.name}: expected inputs of shape (batch, time, features), "
                             f"got {shape}")
        if not self.cell.built:
            self.cell.build((shape[0],) + shape[2:])
            self.cell.built = True
            for w in self.cell.weights:
                if not w.name.startswith(self.name + "/"):
                    w.name = f"{self.name}/{w.name}"  # Keras's path: rnn/cell/kernel
        self.__dict__["_step_shape"] = shape[2:]
        if self.stateful and self.states is None:
            if shape[0] is None:
                raise ShapeError(f"{self.name}: a stateful RNN needs a fixed batch size (give "
                                 f"the input a batch_size), got input shape {shape}")
            self._create_state_variables(shape[0])
        self.built = True

    def _create_state_variables(self, batch: int) -> None:
        from layerflow.engine.memory import no_tracking
        from layerflow.ops.creation import variable

        with no_tracking():
            self.__dict__["states"] = [
                variable(_ops().zeros([batch, s], self.dtype), trainable=False,
                         name=f"{self.name}/rnn_state_{i}", dtype=self.dtype)
                for i, s in enumerate(_flat_sizes(self.state_size))]

    def _check_input_spec(self, inputs) -> None:
        step = self.__dict__.get("_step_shape")
        first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        shape = getattr(first, "shape", None)
        if step is None or shape is None:
            return
        if len(shape) != len(step) + 2 or any(a is not None and b is not None and a != b
                                              for a, b in zip(shape[2:], step)):
            raise ShapeError(f"{self.name}: expected inputs of shape (batch, time, "
                             f"{', '.join(str(d) for d in step)}), got {tuple(shape)}")

    def call(self, inputs, training=None, mask=None):
        if isinstance(inputs, (list, tuple)):
            sequence, initial_state = inputs[0], list(inputs[1:]) or None
        else:
            sequence, initial_state = inputs, None
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        return self._run(sequence, initial_state, mask, training)

    def _run(self, x, initial_state=None, mask=None, training=None):
        """The time loop; ``initial_state`` is a flat list of tensors or None."""
        ops = _ops()
        if len(x.shape) < 3:
            raise ShapeError(f"{self.name}: expected inputs of shape (batch, time, features), "
                             f"got {tuple(x.shape)}")
        if x.shape[1] is None:
            # NOTE: an unknown number of steps cannot be looped over; shapes come from the rule.
            shapes = self.compute_output_shape(x.shape)
            if self.return_state:
                return [SymbolicTensor(s, self.dtype) for s in shapes]
            return SymbolicTensor(shapes, self.dtype)
        sizes = self.state_size
        states = _pack(self._initial_states(x, initial_state), sizes)
        # NOTE: a masked step repeats the previous output: the (last) cell's first state.
        prev = states[-1] if isinstance(self.cell, StackedRNNCells) else states[0]
        prev = prev[0] if isinstance(prev, list) else prev
        kwargs = {"training": training} if getattr(self.cell, "_call_has_training", 0) else {}
        from layerflow.layers import recurrent_fused, recurrent_scan

        mask = self._checked_mask(mask, x)
        if recurrent_fused.can_fuse(self, x, mask, training):
            return self._finish(*recurrent_fused.run_fused(self, x, _flatten(states)))
        if recurrent_scan.can_scan(self, x):
            output, final = recurrent_scan.run_scanned(self, x, states, mask, prev, kwargs)
            return self._finish(output, final)
        projected = _projected_inputs(self.cell, x, training)
        step = self.cell.call
        if projected is not None:
            x, step, kwargs = projected, self.cell._step, {}
        steps = ops.unstack(x, 1)
        step_masks = None if mask is None else [ops.expand_dims(m, -1)
                                                for m in ops.unstack(mask, 1)]
        if self.go_backwards:
            steps = steps[::-1]
            step_masks = None if step_masks is None else step_masks[::-1]
        outputs = []
        getattr(self.cell, "_start_sequence", lambda: None)()
        try:
            for t, x_t in enumerate(steps):
                out, new = step(x_t, states, **kwargs)
                new = _state_list(new)
                if step_masks is not None:
                    m = step_masks[t]
                    out = ops.where(m, out, ops.zeros_like(out) if self.zero_output_for_mask
                                    else prev)
                    new = _pack([ops.where(m, n, s) for n, s in
                                 zip(_flatten(new), _flatten(states))], sizes)
                prev, states = out, new
                outputs.append(out)
        finally:
            getattr(self.cell, "_end_sequence", lambda: None)()
        output = ops.stack(outputs, 1) if self.return_sequences else outputs[-1]
        return self._finish(output, _flatten(states))

    def _finish(self, output, final: list):
        """Keep the final states of a stateful layer; the outputs the call returns."""
        if self.stateful and not isinstance(final[0], SymbolicTensor):
            for var, value in zip(self.states, final):
                var.assign(value)
        return [output, *final] if self.return_state else output

    def _checked_mask(self, mask, x):
        """``mask`` as a ``(batch, time)`` bool tensor (None stays None)."""
        if mask is None:
            return None
        ops = _ops()
        from layerflow.engine.convert import to_tensor

        mask = mask if isinstance(mask, SymbolicTensor) else to_tensor(mask)
        if tuple(mask.shape)[:2] != tuple(x.shape)[:2] or len(mask.shape) != 2:
            raise ShapeError(f"{self.name}: the mask must have shape (batch, time) = "
                             f"{tuple(x.shape)[:2]}, got {tuple(mask.shape)}")
        if mask.dtype != "bool":
            mask = ops.cast(mask, "bool")
        return mask

    def _initial_states(self, x, given) -> list:
        ops = _ops()
        flat_sizes = _flat_sizes(self.state_size)
        batch = x.shape[0]
        if given is not None:
            from layerflow.engine.convert import to_tensor

            given = [g if isinstance(g, SymbolicTensor) else to_tensor(g, self.dtype)
                     for g in _flatten(given)]
            if len(given) != len(flat_sizes):
                raise InvalidArgumentError(f"{self.name}: expected {len(flat_sizes)} initial "
                                           f"states, got {len(given)}")
            for g, size in zip(given, flat_sizes):
                if len(g.shape) != 2 or g.shape[1] != size or (
                        None not in (g.shape[0], batch) and g.shape[0] != batch):
                    raise ShapeError(f"{self.name}: an initial state must have shape "
                                     f"({batch}, {size}), got {tuple(g.shape)}")
            return given
        if self.stateful and self.states is not None:
            if batch is not None and batch != self.states[0].shape[0]:
                raise ShapeError(f"{self.name}: this stateful RNN was built for batch size "
                                 f"{self.states[0].shape[0]}, got inputs of shape "
                                 f"{tuple(x.shape)}")
            return list(self.states)
        if batch is not None:
            init = getattr(self.cell, "get_initial_state", None)
            if init is not None:
                return _flatten(init(batch))
            return [ops.zeros([batch, s], self.dtype) for s in flat_sizes]
        # NOTE: symbolic batch: (batch, 1) zeros from the input, broadcast to (batch, size).
        n = 1
        for d in x.shape[2:]:
            n *= d
        col = ops.zeros_like(ops.reshape(x[:, 0], (-1, n))[:, :1])
        return [col + ops.zeros([s], x.dtype) for s in flat_sizes]

    def compute_output_shape(self, input_shape):
        shape = _sequence_shape(input_shape)
        batch, steps = shape[0], shape[1]
        size = getattr(self.cell, "output_size", None) or _flat_sizes(self.state_size)[0]
        output = (batch, steps, size) if self.return_sequences else (batch, size)
        if self.return_state:
            return [output] + [(batch, s) for s in _flat_sizes(self.state_size)]
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(_flat_sizes(self.state_size))
        return output_mask

    def reset_states(self, states=None) -> None:
        """Zero the states of a stateful RNN, or set them to ``states`` (arrays or tensors)."""
        if not self.stateful:
            raise LayerflowError(f"{self.name}: reset_states() needs a stateful RNN")
        if self.states is None:
            return
        if states is None:
            for var in self.states:
                var.assign(_ops().zeros(var.shape, var.dtype))
            return
        states = _flatten(states if isinstance(states, (list, tuple)) else [states])
        if len(states) != len(self.states):
            raise InvalidArgumentError(f"{self.name}: expected {len(self.states)} states, got "
                                       f"{len(states)}")
        for var, value in zip(self.states, states):
            var.assign(value)

    reset_state = reset_states

    def __getattr__(self, name):
        # NOTE: only called when normal lookup fails: GRU(...).units etc. read the cell's.
        if name in _CELL_ARGS + ("reset_after", "unit_forget_bias") and "cell" in self.__dict__:
            return getattr(self.cell, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("use_cudnn", None)  # a Keras hint its get_config drops too
        if "cell" in config:
            config["cell"] = serialize(self.cell)
        for key in ("activation", "recurrent_activation"):
            if key in config:
                config[key] = activations.serialize(getattr(self.cell, key))
        return config

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


__all__ = ["RNNCell", "StackedRNNCells", "RNN"]
