"""The TF.js / Keras quickstart: learn y = 2x - 1 from four points, then predict x = 5.

From "TensorFlow.js Layers API for Keras users"; prints a value close to 9.
"""

from __future__ import annotations

import numpy as np

import layerflow as lf


def main() -> float:
    lf.set_seed(0)
    # Build and compile model.
    model = lf.sequential()
    model.add(lf.layers.dense(units=1, input_shape=[1]))
    model.compile(optimizer="sgd", loss="mean_squared_error")

    # Generate some synthetic data for training.
    xs = np.array([[1], [2], [3], [4]], dtype=np.float32)
    ys = np.array([[1], [3], [5], [7]], dtype=np.float32)

    # Train model with fit().
    model.fit(xs, ys, epochs=1000, verbose=0)

    # Run inference with predict().
    prediction = model.predict(np.array([[5]], dtype=np.float32))
    print(prediction)
    return float(prediction[0, 0])


if __name__ == "__main__":
    main()
