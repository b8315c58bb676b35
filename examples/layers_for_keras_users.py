"""The TF.js guide "Layers API for Keras users", translated to layerflow.

Each section of the guide, in order: the Sequential quickstart lives in quickstart.py; here are
the constructor-as-config layers, ``apply`` on symbolic and on concrete tensors, the optimizer
factory, a layer with an axis argument, and the RNN of the TF.js core-concepts guide.
"""

from __future__ import annotations

import numpy as np

import layerflow as lf


def main() -> dict:
    results = {}
    # Constructors take keyword arguments where TF.js takes a config object.
    dense = lf.layers.dense(units=1, input_shape=[1])
    results["dense_units"] = dense.units

    # Layer.apply on a symbolic tensor builds a graph ...
    my_input = lf.input(shape=[2, 4])
    flatten = lf.layers.flatten()
    print(flatten.apply(my_input).shape)  # (None, 8)
    results["symbolic_shape"] = flatten.apply(my_input).shape

    # ... and on a concrete tensor computes now (eager).
    flatten.apply(lf.ones([2, 3, 4])).print()  # a 2x12 tensor of ones
    results["eager_shape"] = flatten.apply(lf.ones([2, 3, 4])).shape

    # Optimizers: lf.train.sgd(0.2) == lf.optimizers.SGD(learning_rate=0.2).
    my_sgd = lf.train.sgd(0.2)
    results["sgd_lr"] = float(my_sgd.learning_rate)

    # A layer with an axis argument, used in a model.
    model = lf.sequential()
    model.add(lf.layers.batch_normalization(axis=1, input_shape=[3]))
    model.compile(optimizer=my_sgd, loss="meanSquaredError")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    model.fit(x, x, epochs=2, verbose=0)
    results["bn_weights"] = len(model.weights)

    # The simpleRNN of the core-concepts guide, trained with categorical crossentropy.
    rnn = lf.sequential()
    rnn.add(lf.layers.simple_rnn(units=20, recurrent_initializer="GlorotNormal",
                                 input_shape=[80, 4]))
    rnn.add(lf.layers.dense(units=3, activation="softmax"))
    rnn.compile(optimizer=lf.train.sgd(0.1), loss="categoricalCrossentropy")
    data = np.random.default_rng(1).normal(size=(8, 80, 4)).astype(np.float32)
    labels = np.eye(3, dtype=np.float32)[np.arange(8) % 3]
    history = rnn.fit(data, labels, epochs=1, verbose=0)
    results["rnn_loss"] = history.history["loss"][0]
    rnn.summary()
    return results


if __name__ == "__main__":
    main()
