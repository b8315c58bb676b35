"""TF2 model subclassing: a ``Linear`` model trained with GradientTape and apply_gradients.

From "TensorFlow 2.0: building model classes": y_pred = X @ a + b fitted to
X = [[1, 2, 3], [4, 5, 6]], y = [[10], [20]] in 100 steps of SGD(0.01).
"""

from __future__ import annotations

import layerflow as lf

X = lf.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
y = lf.tensor([[10.0], [20.0]])


class Linear(lf.Model):
    def __init__(self):
        super().__init__()
        self.dense = lf.layers.Dense(
            units=1,
            activation=None,
            kernel_initializer="zeros",
            bias_initializer="zeros",
        )

    def call(self, input):  # noqa: A002  (the guide's name)
        output = self.dense(input)
        return output


def main():
    model = Linear()
    optimizer = lf.optimizers.SGD(learning_rate=0.01)
    for _ in range(100):
        with lf.GradientTape() as tape:
            y_pred = model(X)  # call the model instead of writing y_pred = a * X + b
            loss = lf.mean(lf.square(y_pred - y))
        grads = tape.gradient(loss, model.variables)  # model.variables lists every variable
        optimizer.apply_gradients(grads_and_vars=zip(grads, model.variables))
    print([v.numpy() for v in model.variables])
    return model, float(loss.item())


if __name__ == "__main__":
    main()
