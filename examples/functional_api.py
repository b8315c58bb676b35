"""The functional API from "Symbolic and imperative APIs in TensorFlow 2.0", in layerflow.

A model with two inputs and two outputs, its summary, its config and JSON, a clone, a model
over an intermediate output (as ``Model(inputs=base.input, outputs=base.get_layer(
'block4_pool').output)``), fit with dicts keyed by name, and a custom training loop.
"""

from __future__ import annotations

import numpy as np

import layerflow as lf


def build():
    title = lf.input(shape=[8], name="title")
    body = lf.input(shape=[16], name="body")
    t = lf.layers.Dense(16, activation="relu", name="title_features")(title)
    b = lf.layers.Dense(16, activation="relu", name="body_features")(body)
    x = lf.layers.Dense(8, activation="relu", name="block4_pool")(lf.layers.concatenate([t, b]))
    priority = lf.layers.Dense(1, activation="sigmoid", name="priority")(x)
    department = lf.layers.Dense(3, activation="softmax", name="department")(x)
    return lf.model(inputs=[title, body], outputs=[priority, department], name="tickets")


def main():
    lf.set_seed(0)
    model = build()
    model.summary()
    config = model.get_config()
    print("layers in config:", [entry["name"] for entry in config["layers"]])
    same = lf.models.model_from_json(model.to_json())
    clone = lf.models.clone_model(model)
    print("clone has", len(clone.weights), "weights; from JSON:", len(same.weights))

    features = lf.model(inputs=model.inputs, outputs=model.get_layer("block4_pool").output)

    rng = np.random.default_rng(0)
    data = {"title": rng.normal(size=(64, 8)).astype(np.float32),
            "body": rng.normal(size=(64, 16)).astype(np.float32)}
    targets = {"priority": rng.uniform(size=(64, 1)).astype(np.float32),
               "department": np.eye(3, dtype=np.float32)[rng.integers(0, 3, 64)]}
    model.compile(optimizer="adam",
                  loss={"priority": "binary_crossentropy",
                        "department": "categorical_crossentropy"},
                  loss_weights={"priority": 1.0, "department": 0.2}, metrics=["accuracy"])
    history = model.fit(data, targets, epochs=3, batch_size=16, verbose=0)
    print("loss per epoch:", [round(v, 4) for v in history.history["loss"]])
    print("features:", features.predict(data).shape)

    # A custom training loop over the same model.
    optimizer = lf.optimizers.Adam(1e-3)
    loss_fn = lf.losses.BinaryCrossentropy()
    for step in range(3):
        with lf.GradientTape() as tape:
            priority, _ = model([lf.tensor(data["title"]), lf.tensor(data["body"])],
                                training=True)
            loss = loss_fn(lf.tensor(targets["priority"]), priority)
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        print(f"custom step {step}: loss {loss.item():.4f}")
    return history


if __name__ == "__main__":
    main()
