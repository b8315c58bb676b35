"""Every example of TensorFlow.js's "Core concepts" guide, in Python with layerflow.

Run it with ``python examples/core_concepts.py``; each block prints what the guide prints.
(The guide's ``tf.sequential`` + ``simpleRNN`` example needs the Layers API and lives in the
layers examples.)
"""

from __future__ import annotations

import layerflow as lf


def tensors() -> None:
    print("# Tensors")
    shape = [2, 3]  # 2 rows, 3 columns
    a = lf.tensor([1.0, 2.0, 3.0, 10.0, 20.0, 30.0], shape)
    a.print()  # [[1 , 2 , 3 ], [10, 20, 30]]

    b = lf.tensor([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])  # the shape is inferred
    b.print()

    c = lf.tensor2d([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])
    c.print()

    zeros = lf.zeros([3, 5])  # a 3x5 tensor of zeros
    zeros.print()


def variables() -> None:
    print("# Variables")
    initial_values = lf.zeros([5])
    biases = lf.variable(initial_values)  # initialize biases
    biases.print()  # [0, 0, 0, 0, 0]

    # NOTE: JavaScript numbers are floats; Python ints make int32 tensors, so say float32.
    updated_values = lf.tensor1d([0, 1, 0, 1, 0], dtype="float32")
    biases.assign(updated_values)  # update values of biases
    biases.print()  # [0, 1, 0, 1, 0]


def operations() -> None:
    print("# Operations")
    d = lf.tensor2d([[1.0, 2.0], [3.0, 4.0]])
    d_squared = d.square()
    d_squared.print()  # [[1, 4 ], [9, 16]]

    e = lf.tensor2d([[1.0, 2.0], [3.0, 4.0]])
    f = lf.tensor2d([[5.0, 6.0], [7.0, 8.0]])
    e_plus_f = e.add(f)
    e_plus_f.print()  # [[6 , 8 ], [10, 12]]

    sq_sum = e.add(f).square()  # ops chain
    sq_sum.print()  # [[36 , 64 ], [100, 144]]

    # Every op is also a function in the main namespace:
    sq_sum = lf.square(lf.add(e, f))
    sq_sum.print()

    e.sub(f).print()  # the other binary ops: sub and mul
    e.mul(f).print()


def models() -> None:
    print("# Models as functions of ops")
    # constants: y = 2x^2 + 4x + 8
    a = lf.scalar(2)
    b = lf.scalar(4)
    c = lf.scalar(8)

    def predict(value):
        # y = a * x ^ 2 + b * x + c; tidy disposes the intermediate tensors
        def compute():
            x = lf.scalar(value)
            ax2 = a.mul(x.square())
            bx = b.mul(x)
            return ax2.add(bx).add(c)

        return lf.tidy(compute)

    result = predict(2)
    result.print()  # 24


def memory() -> None:
    print("# Memory: dispose and tidy")
    x = lf.tensor2d([[0.0, 2.0], [4.0, 6.0]])
    x_squared = x.square()
    x.dispose()
    x_squared.dispose()

    def compute_average():
        # tidy cleans up every tensor made in here except the one returned
        y = lf.tensor1d([1.0, 2.0, 3.0, 4.0])
        z = lf.ones([4])
        return y.sub(z).square().mean()

    average = lf.tidy(compute_average)
    average.print()  # 3.5
    print(f"tensors alive: {lf.memory().num_tensors}")


def main() -> None:
    print(f"layerflow backend: {lf.get_backend()}")
    tensors()
    variables()
    operations()
    models()
    memory()


if __name__ == "__main__":
    main()
