"""The public namespace is a snapshot: adding or removing a public name is a visible change.

Regenerate after a deliberate change with ``python -m tests.test_namespace --update``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import layerflow as lf

SNAPSHOT = Path(__file__).with_name("namespace_snapshot.txt")
SPACES = {"lf": lf, "lf.layers": lf.layers, "lf.losses": lf.losses, "lf.metrics": lf.metrics,
          "lf.optimizers": lf.optimizers, "lf.train": lf.train, "lf.image": lf.image,
          "lf.linalg": lf.linalg, "lf.signal": lf.signal, "lf.spectral": lf.spectral,
          "lf.data": lf.data, "lf.io": lf.io, "lf.callbacks": lf.callbacks,
          "lf.initializers": lf.initializers, "lf.activations": lf.activations,
          "lf.regularizers": lf.regularizers, "lf.constraints": lf.constraints,
          "lf.models": lf.models, "lf.utils": lf.utils}


def current() -> list[str]:
    lines = []
    for label, module in SPACES.items():
        names = sorted(n for n in dir(module) if not n.startswith("_")
                       and not _is_submodule_of_package(module, n))
        lines.extend(f"{label}.{n}" for n in names)
    return lines


PUBLIC_MODULES = {label.split(".", 1)[1] for label in SPACES if "." in label} | {
    "errors", "serialization"}


def _is_submodule_of_package(module, name: str) -> bool:
    """Implementation modules that are attributes only because they were imported
    (``lf.engine``, ``lf.layers.core`` ...) are not public names."""
    value = getattr(module, name)
    if type(value).__name__ != "module":
        return False
    return module is not lf or name not in PUBLIC_MODULES


def test_public_names_match_the_snapshot():
    expected = SNAPSHOT.read_text().split()
    got = current()
    added, removed = sorted(set(got) - set(expected)), sorted(set(expected) - set(got))
    assert not added and not removed, (
        f"public names changed: added {added[:30]}, removed {removed[:30]}; if deliberate, run "
        "python -m tests.test_namespace --update")


if __name__ == "__main__" and "--update" in sys.argv:
    SNAPSHOT.write_text("\n".join(current()) + "\n")
    print(f"wrote {SNAPSHOT} ({len(current())} names)")
