"""The ``layerflow`` command: look at and run model files without writing Python.

    layerflow summary PATH                    print the model's summary (PATH: model.json,
                                              its folder, or a URL)
    layerflow predict PATH INPUT.npy [...]    predict on NumPy inputs (one .npy per model
                                              input); prints the outputs, or saves them with
                                              --output OUT.npy (one file per output: OUT_0.npy)

Files are loaded with ``lf.load_layers_model`` (no code from the file runs). ``.npy`` inputs
are read with ``allow_pickle=False``.

>>> main(["--help"])  # doctest: +ELLIPSIS
usage: layerflow ...
0
"""

from __future__ import annotations

import argparse
import sys

import numpy as np


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="layerflow", description="Inspect and run model files.")
    commands = parser.add_subparsers(dest="command", required=True)
    summary = commands.add_parser("summary", help="print a model's summary")
    summary.add_argument("path")
    predict = commands.add_parser("predict", help="predict on .npy inputs")
    predict.add_argument("path")
    predict.add_argument("inputs", nargs="+", help="one .npy file per model input")
    predict.add_argument("--output", help="save outputs to this .npy file instead of printing")
    predict.add_argument("--batch-size", type=int, default=32)
    for sub in (summary, predict):
        sub.add_argument("--backend", choices=("numpy", "jax"), default=None)
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit status."""
    import layerflow as lf

    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    if args.backend:
        lf.set_backend(args.backend)
    try:
        model = lf.load_layers_model(args.path)
        if args.command == "summary":
            model.summary()
            return 0
        inputs = [np.load(path, allow_pickle=False) for path in args.inputs]
        outputs = model.predict(inputs[0] if len(inputs) == 1 else inputs,
                                batch_size=args.batch_size)
    except (lf.errors.LayerflowError, OSError, ValueError) as err:
        print(f"layerflow: error: {err}", file=sys.stderr)
        return 1
    outputs = outputs if isinstance(outputs, list) else [outputs]
    if args.output:
        if len(outputs) == 1:
            np.save(args.output, outputs[0])
        else:
            stem = args.output[:-4] if args.output.endswith(".npy") else args.output
            for i, out in enumerate(outputs):
                np.save(f"{stem}_{i}.npy", out)
        return 0
    with np.printoptions(precision=6, suppress=True, threshold=2000):
        for out in outputs:
            print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
