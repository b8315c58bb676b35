"""The demo: train a small CNN on the handwritten digits scikit-learn ships, save it in the
TensorFlow.js layers format, load it back and predict.

Offline (the 8x8 digits come inside scikit-learn). Prints a progress bar per epoch, the test
accuracy (about 97%), where the model.json went (TF.js loads it with tf.loadLayersModel), and a
few predictions of the reloaded model next to their labels.

    python examples/digits_demo.py [--epochs 15] [--backend numpy|jax] [--save-dir DIR]
"""

from __future__ import annotations

import argparse

import numpy as np

import layerflow as lf


def load_digits(seed: int = 0):
    """(x_train, y_train, x_test, y_test): 8x8x1 images in [0, 1], one-hot labels, 80/20."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    images = (digits.images / 16.0).astype(np.float32)[..., None]
    labels = np.eye(10, dtype=np.float32)[digits.target]
    order = np.random.default_rng(seed).permutation(len(images))
    cut = int(len(images) * 0.8)
    train, test = order[:cut], order[cut:]
    return images[train], labels[train], images[test], labels[test]


def build_model() -> lf.Sequential:
    model = lf.sequential(name="digits_cnn")
    model.add(lf.layers.conv2d(filters=16, kernel_size=3, activation="relu",
                               padding="same", input_shape=[8, 8, 1]))
    model.add(lf.layers.max_pooling2d(pool_size=2))
    model.add(lf.layers.conv2d(filters=32, kernel_size=3, activation="relu", padding="same"))
    model.add(lf.layers.flatten())
    model.add(lf.layers.dense(units=64, activation="relu"))
    model.add(lf.layers.dense(units=10, activation="softmax"))
    model.compile(optimizer=lf.train.adam(0.003), loss="categoricalCrossentropy",
                  metrics=["accuracy"])
    return model


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--backend", choices=lf.backends(), default=None)
    parser.add_argument("--verbose", type=int, default=1)
    parser.add_argument("--save-dir", default="digits-model",
                        help="where model.json and the weight shards are written")
    args = parser.parse_args(argv)
    if args.backend:
        lf.set_backend(args.backend)
    lf.set_seed(42)
    print(f"layerflow on the {lf.get_backend()} backend")
    x_train, y_train, x_test, y_test = load_digits()
    model = build_model()
    model.summary()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=32, validation_split=0.1,
              verbose=args.verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {accuracy:.4f} (loss {loss:.4f})")
    result = model.save(args.save_dir)
    print(f"saved in the TF.js layers format: {result.path}/model.json "
          f"({result.model_artifacts_info.weight_data_bytes} bytes of weights)")
    reloaded = lf.load_layers_model(args.save_dir)
    same = np.allclose(reloaded.predict(x_test), model.predict(x_test), atol=1e-6)
    print(f"reloaded from {args.save_dir}: predictions {'match' if same else 'DIFFER'}")
    predicted = reloaded.predict(x_test[:8]).argmax(axis=-1)
    print("predicted:", predicted.tolist())
    print("labels:   ", y_test[:8].argmax(axis=-1).tolist())
    return accuracy


if __name__ == "__main__":
    main()
