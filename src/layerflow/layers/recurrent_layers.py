"""SimpleRNN, GRU and LSTM: their cells, and the RNN layers with the cell arguments flattened.

The layers take Keras 3's arguments (``units``, activations, initializers, regularizers,
constraints, ``dropout``, ``recurrent_dropout``, ``seed``, then :class:`~layerflow.layers.
recurrent.RNN`'s ``return_sequences`` ...) and build their cell (named ``simple_rnn_cell``,
``gru_cell``, ``lstm_cell`` as Keras). Dropout masks are drawn once per call and shared by all
time steps, one mask per gate (TF.js); they only apply with ``training=True``.

>>> import layerflow as lf
>>> layer = SimpleRNN(units=20, recurrent_initializer='GlorotNormal', input_shape=[80, 4])
>>> layer(lf.zeros([2, 80, 4])).shape
(2, 20)
"""

from __future__ import annotations

from layerflow import activations, regularizers
from layerflow.layers.recurrent import RNN, RNNCell, _state_list, check_units, pop_legacy


def _ops():
    """The ops namespace (``lf``), imported late: layerflow imports this package."""
    import layerflow

    return layerflow


def _linear(x, kernel, bias=None):
    y = _ops().mat_mul(x, kernel)
    return y if bias is None else y + bias


class SimpleRNNCell(RNNCell):
    """One step of a fully connected RNN: ``h = activation(x @ kernel + h_prev @ rk + bias)``.

    Args:
        units: the state size (> 0).
        activation: applied to the new state (default ``tanh``).
        use_bias: add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: weight penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: weight constraints.
        dropout, recurrent_dropout: dropout rates in ``[0, 1)`` for the inputs and the state.
        seed: seed of the dropout masks.

    >>> import layerflow as lf
    >>> cell = SimpleRNNCell(2)
    >>> out, states = cell(lf.ones([1, 3]), [lf.zeros([1, 2])])
    >>> out.shape, len(states)
    ((1, 2), 1)
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs) -> None:
        super().__init__(**pop_legacy(kwargs))
        self._set_cell_args({**locals(), "recurrent_activation": None})

    def build(self, input_shape) -> None:
        dim = self._input_dim(input_shape)
        self.kernel = self._weight("kernel", (dim, self.units), "kernel")
        self.recurrent_kernel = self._weight("recurrent_kernel", (self.units, self.units),
                                             "recurrent")
        self.bias = self._weight("bias", (self.units,), "bias") if self.use_bias else None
        self.built = True

    def call(self, inputs, states, training=None):
        prev = _state_list(states)[0]
        dp = self._masks("input", inputs, 1, training)
        rdp = self._masks("recurrent", prev, 1, training)
        x = inputs if dp is None else inputs * dp[0]
        h_in = prev if rdp is None else prev * rdp[0]
        h = _linear(x, self.kernel, self.bias) + _ops().mat_mul(h_in, self.recurrent_kernel)
        h = self.activation(h)
        return h, [h]

    def _input_bias(self):
        return self.bias

    def _step(self, projected, states):
        """One step from ``projected = inputs @ kernel + bias`` (no dropout)."""
        prev = _state_list(states)[0]
        h = self.activation(projected + _ops().mat_mul(prev, self.recurrent_kernel))
        return h, [h]

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("recurrent_activation", None)
        return config


class GRUCell(RNNCell):
    """One GRU step; gates ``z, r, h`` in that order along the kernels' last axis.

    ``reset_after=True`` (Keras 3's default) applies the reset gate after the recurrent matmul
    and has a ``(2, 3 * units)`` bias (input and recurrent biases); ``False`` is the original
    GRU (TF.js's only form) with a ``(3 * units,)`` bias.

    Args:
        units: the state size (> 0).
        activation: for the candidate state (default ``tanh``).
        recurrent_activation: for the gates (default ``sigmoid``).
        use_bias, *_initializer, *_regularizer, *_constraint: as :class:`SimpleRNNCell`.
        dropout, recurrent_dropout: dropout rates in ``[0, 1)``.
        reset_after: see above.
        seed: seed of the dropout masks.

    >>> import layerflow as lf
    >>> cell = GRUCell(2)
    >>> cell.build((None, 3)); [tuple(w.shape) for w in cell.weights]
    [(3, 6), (2, 6), (2, 6)]
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True,
                 seed=None, **kwargs) -> None:
        super().__init__(**pop_legacy(kwargs))
        self._set_cell_args(locals())
        self.reset_after = bool(reset_after)

    def build(self, input_shape) -> None:
        dim = self._input_dim(input_shape)
        n = self.units
        self.kernel = self._weight("kernel", (dim, 3 * n), "kernel")
        self.recurrent_kernel = self._weight("recurrent_kernel", (n, 3 * n), "recurrent")
        self.bias = None
        if self.use_bias:
            shape = (2, 3 * n) if self.reset_after else (3 * n,)
            self.bias = self._weight("bias", shape, "bias")
        self.built = True

    def call(self, inputs, states, training=None):
        ops = _ops()
        n = self.units
        h_prev = _state_list(states)[0]
        dp = self._masks("input", inputs, 3, training)
        rdp = self._masks("recurrent", h_prev, 3, training)
        xs = [inputs] * 3 if dp is None else [inputs * m for m in dp]
        hs = [h_prev] * 3 if rdp is None else [h_prev * m for m in rdp]
        in_bias = rec_bias = None
        if self.bias is not None:
            if self.reset_after:
                in_bias, rec_bias = self.bias[0], self.bias[1]
            else:
                in_bias = self.bias
        k, rk = self.kernel, self.recurrent_kernel

        def part(t, i):
            return None if t is None else t[i * n:(i + 1) * n]

        if dp is None and rdp is None:
            # NOTE: one matmul of the inputs for all three gates when no dropout masks differ.
            return self._step(_linear(inputs, k, in_bias), [h_prev])
        x_z = _linear(xs[0], k[:, :n], part(in_bias, 0))
        x_r = _linear(xs[1], k[:, n:2 * n], part(in_bias, 1))
        x_h = _linear(xs[2], k[:, 2 * n:], part(in_bias, 2))
        z = self.recurrent_activation(x_z + _linear(hs[0], rk[:, :n], part(rec_bias, 0)))
        r = self.recurrent_activation(x_r + _linear(hs[1], rk[:, n:2 * n],
                                                    part(rec_bias, 1)))
        if self.reset_after:
            rec_h = r * _linear(hs[2], rk[:, 2 * n:], part(rec_bias, 2))
        else:
            rec_h = ops.mat_mul(r * hs[2], rk[:, 2 * n:])
        return self._gated(h_prev, z, x_h, rec_h)

    def _gated(self, h_prev, z, x_h, rec_h):
        h = z * h_prev + (1 - z) * self.activation(x_h + rec_h)
        return h, [h]

    def _input_bias(self):
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def _step(self, projected, states):
        """One step from ``projected = inputs @ kernel + input bias`` (no dropout)."""
        ops = _ops()
        n, rk = self.units, self.recurrent_kernel
        h_prev = _state_list(states)[0]
        x_z, x_r, x_h = ops.split(projected, 3, 1)
        if self.reset_after:
            rec_bias = None if self.bias is None else self.bias[1]
            h_z, h_r, h_h = ops.split(_linear(h_prev, rk, rec_bias), 3, 1)
            z = self.recurrent_activation(x_z + h_z)
            r = self.recurrent_activation(x_r + h_r)
            return self._gated(h_prev, z, x_h, r * h_h)
        h_z, h_r = ops.split(ops.mat_mul(h_prev, rk[:, :2 * n]), 2, 1)
        z = self.recurrent_activation(x_z + h_z)
        r = self.recurrent_activation(x_r + h_r)
        return self._gated(h_prev, z, x_h, ops.mat_mul(r * h_prev, rk[:, 2 * n:]))


class LSTMCell(RNNCell):
    """One LSTM step; gates ``i, f, c, o`` in that order; states ``[h, c]``.

    Args:
        units: the state size (> 0).
        activation: for the candidate and the output (default ``tanh``).
        recurrent_activation: for the gates (default ``sigmoid``).
        use_bias, *_initializer, *_regularizer, *_constraint: as :class:`SimpleRNNCell`.
        unit_forget_bias: initialize the forget gate's bias to ones (the rest with
            ``bias_initializer``), as Jozefowicz et al. recommend.
        dropout, recurrent_dropout: dropout rates in ``[0, 1)``.
        seed: seed of the dropout masks.

    >>> import layerflow as lf
    >>> cell = LSTMCell(2)
    >>> cell.build((None, 3)); cell.bias.array_sync()
    [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs) -> None:
        super().__init__(**pop_legacy(kwargs))
        self._set_cell_args(locals())
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]

    def build(self, input_shape) -> None:
        dim = self._input_dim(input_shape)
        n = self.units
        self.kernel = self._weight("kernel", (dim, 4 * n), "kernel")
        self.recurrent_kernel = self._weight("recurrent_kernel", (n, 4 * n), "recurrent")
        self.bias = None
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                base = init

                def init(shape, dtype=None):
                    ops = _ops()
                    return ops.concat([base((n,), dtype), ops.ones([n], dtype or "float32"),
                                       base((2 * n,), dtype)], 0)

            self.bias = self._weight("bias", (4 * n,), "bias", init)
        self.built = True

    def call(self, inputs, states, training=None):
        n = self.units
        h_prev, c_prev = _state_list(states)[:2]
        dp = self._masks("input", inputs, 4, training)
        rdp = self._masks("recurrent", h_prev, 4, training)
        xs = [inputs] * 4 if dp is None else [inputs * m for m in dp]
        hs = [h_prev] * 4 if rdp is None else [h_prev * m for m in rdp]
        k, rk, b = self.kernel, self.recurrent_kernel, self.bias
        if dp is None and rdp is None:
            # NOTE: without dropout masks every gate sees the same x and h: two matmuls of the
            # full 4n width and one split (a quarter of the ops, forward and backward).
            return self._step(_linear(inputs, k, b), [h_prev, c_prev])
        gates = []
        for i in range(4):
            part = slice(i * n, (i + 1) * n)
            bias = None if b is None else b[part]
            gates.append(_linear(xs[i], k[:, part], bias) + _ops().mat_mul(hs[i], rk[:, part]))
        return self._gated(gates, c_prev)

    def _input_bias(self):
        return self.bias

    def _step(self, projected, states):
        """One step from ``projected = inputs @ kernel + bias`` (no dropout)."""
        ops = _ops()
        h_prev, c_prev = _state_list(states)[:2]
        z = projected + ops.mat_mul(h_prev, self.recurrent_kernel)
        if self.activation is activations.tanh and self.recurrent_activation is activations.sigmoid:
            # NOTE: the default activations as one fused op (one gradient kernel): a dozen
            # small ops per time step, forward and backward, were most of a numpy train step.
            from layerflow.ops.recurrent import lstm_gates

            h, c = lstm_gates(z, c_prev)
            return h, [h, c]
        return self._gated(ops.split(z, 4, 1), c_prev)

    def _gated(self, gates, c_prev):
        i_g = self.recurrent_activation(gates[0])
        f_g = self.recurrent_activation(gates[1])
        c = f_g * c_prev + i_g * self.activation(gates[2])
        o_g = self.recurrent_activation(gates[3])
        h = o_g * self.activation(c)
        return h, [h, c]


def _init_rnn(layer, cell, kwargs: dict, args: dict) -> None:
    """RNN.__init__ with the RNN arguments of ``args`` (the constructor's locals)."""
    kwargs = pop_legacy(kwargs)
    kwargs.pop("use_cudnn", None)
    RNN.__init__(layer, cell, return_sequences=args["return_sequences"],
                 return_state=args["return_state"], go_backwards=args["go_backwards"],
                 stateful=args["stateful"], unroll=args["unroll"],
                 zero_output_for_mask=args["zero_output_for_mask"], **kwargs)
    reg = args["activity_regularizer"]
    layer.activity_regularizer = None if reg is None else regularizers.get(reg)


def _cell_kwargs(name: str, args: dict, kwargs: dict) -> dict:
    check_units(name, args["units"])
    keep = {k: args[k] for k in ("activation", "use_bias", "kernel_initializer",
                                 "recurrent_initializer", "bias_initializer",
                                 "kernel_regularizer", "recurrent_regularizer",
                                 "bias_regularizer", "kernel_constraint", "recurrent_constraint",
                                 "bias_constraint", "dropout", "recurrent_dropout", "seed")}
    keep["dtype"] = kwargs.get("dtype")
    keep["trainable"] = kwargs.get("trainable", True)
    return keep


class SimpleRNN(RNN):
    """A fully connected RNN: :class:`RNN` over a :class:`SimpleRNNCell`.

    Args:
        units, activation, use_bias, *_initializer, *_regularizer, *_constraint, dropout,
            recurrent_dropout, seed: the cell's (see :class:`SimpleRNNCell`).
        activity_regularizer: a penalty on the output.
        return_sequences, return_state, go_backwards, stateful, unroll,
            zero_output_for_mask: see :class:`~layerflow.layers.recurrent.RNN`.

    >>> import layerflow as lf
    >>> SimpleRNN(3, return_sequences=True)(lf.ones([2, 4, 5])).shape
    (2, 4, 3)
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, seed=None,
                 zero_output_for_mask=False, **kwargs) -> None:
        cell = SimpleRNNCell(units, name="simple_rnn_cell",
                             **_cell_kwargs("SimpleRNN", locals(), kwargs))
        _init_rnn(self, cell, kwargs, locals())


class GRU(RNN):
    """Gated recurrent unit (Cho et al. 2014): :class:`RNN` over a :class:`GRUCell`.

    ``reset_after=True`` is Keras 3's default (and cuDNN's form); TF.js only has ``False``.

    Args:
        units, activation, recurrent_activation, use_bias, *_initializer, *_regularizer,
            *_constraint, dropout, recurrent_dropout, seed, reset_after: the cell's.
        activity_regularizer: a penalty on the output.
        return_sequences, return_state, go_backwards, stateful, unroll,
            zero_output_for_mask: see :class:`~layerflow.layers.recurrent.RNN`.
        use_cudnn: accepted for Keras compatibility (no effect).

    >>> import layerflow as lf
    >>> out, h = GRU(3, return_state=True)(lf.ones([2, 4, 5]))
    >>> out.shape, h.shape
    ((2, 3), (2, 3))
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True,
                 zero_output_for_mask=False, **kwargs) -> None:
        cell = GRUCell(units, recurrent_activation=recurrent_activation,
                       reset_after=reset_after, name="gru_cell",
                       **_cell_kwargs("GRU", locals(), kwargs))
        _init_rnn(self, cell, kwargs, locals())


class LSTM(RNN):
    """Long short-term memory (Hochreiter 1997): :class:`RNN` over an :class:`LSTMCell`.

    Args:
        units, activation, recurrent_activation, use_bias, *_initializer, unit_forget_bias,
            *_regularizer, *_constraint, dropout, recurrent_dropout, seed: the cell's.
        activity_regularizer: a penalty on the output.
        return_sequences, return_state, go_backwards, stateful, unroll,
            zero_output_for_mask: see :class:`~layerflow.layers.recurrent.RNN`.
        use_cudnn: accepted for Keras compatibility (no effect).

    >>> import layerflow as lf
    >>> out, h, c = LSTM(3, return_state=True)(lf.ones([2, 4, 5]))
    >>> out.shape, c.shape
    ((2, 3), (2, 3))
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 zero_output_for_mask=False, **kwargs) -> None:
        cell = LSTMCell(units, recurrent_activation=recurrent_activation,
                        unit_forget_bias=unit_forget_bias, name="lstm_cell",
                        **_cell_kwargs("LSTM", locals(), kwargs))
        _init_rnn(self, cell, kwargs, locals())


__all__ = ["SimpleRNNCell", "GRUCell", "LSTMCell", "SimpleRNN", "GRU", "LSTM"]
