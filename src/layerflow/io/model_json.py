"""The model.json document of the TF.js layers format, read defensively.

``model.json`` holds ``modelTopology``, ``weightsManifest`` (``[{paths, weights}]``), ``format``
(``'layers-model'``), ``generatedBy``, ``convertedBy``, and optionally ``trainingConfig``,
``userDefinedMetadata``, ``modelInitializer``, ``initializerSignature`` and ``signature``.

Reading never trusts the file: the text is capped (64 MB), nesting is capped (64 levels) *before*
``json.loads`` runs (so ``[[[[...`` cannot raise ``RecursionError``), ``NaN``/``Infinity`` are
refused (JavaScript's ``JSON.parse`` refuses them too), and each field's type is checked. Every
failure is a :class:`ModelFormatError` (a :class:`ManifestError` for the manifest). Unknown
top-level keys are ignored, as TF.js does. Writing refuses NaN and Infinity for the same reason.

>>> doc = parse_model_json(b'{"modelTopology": {}, "format": "layers-model"}')
>>> artifacts_from_model_json(doc).format
'layers-model'
>>> parse_model_json("[" * 100 + "]" * 100)
Traceback (most recent call last):
...
layerflow.io.errors.ModelFormatError: model.json: JSON nested 100 levels deep; the limit is 64
"""

from __future__ import annotations

import json
import re

import numpy as np

from layerflow.io.artifacts import ModelArtifacts
from layerflow.io.errors import ManifestError, ModelFormatError
from layerflow.io.safety import check_weight_path
from layerflow.io.weights import validate_specs

MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_JSON_DEPTH = 64
LAYERS_MODEL_FORMAT = "layers-model"

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_OBJECT_FIELDS = {  # model.json key -> ModelArtifacts field; all must be objects when present
    "trainingConfig": "training_config",
    "userDefinedMetadata": "user_defined_metadata",
    "modelInitializer": "model_initializer",
    "initializerSignature": "initializer_signature",
    "signature": "signature",
}
_STRING_FIELDS = {"format": "format", "generatedBy": "generated_by", "convertedBy": "converted_by"}


def json_depth(data: bytes) -> int:
    """Deepest bracket nesting of a JSON text, strings skipped (linear time, no recursion).

    >>> json_depth(b'{"a": [1, {"b": "[[["}]}')
    3
    """
    stripped = _STRING.sub(b'""', data)
    codes = np.frombuffer(stripped, dtype=np.uint8)
    step = (np.isin(codes, (0x5B, 0x7B)).astype(np.int64)
            - np.isin(codes, (0x5D, 0x7D)).astype(np.int64))
    return int(np.cumsum(step).max()) if step.size else 0


def _refuse_constant(name: str):
    raise ModelFormatError(f"model.json: {name} is not valid JSON")


def parse_model_json(text: str | bytes, *, max_bytes: int = MAX_JSON_BYTES,
                     max_depth: int = MAX_JSON_DEPTH, source: str = "model.json") -> dict:
    """Parse model.json text into a dict, with size and depth limits.

    >>> parse_model_json('{"modelTopology": {}}')
    {'modelTopology': {}}
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if len(data) > max_bytes:
        raise ModelFormatError(f"{source}: {len(data)} bytes; the limit is {max_bytes}")
    depth = json_depth(data)
    if depth > max_depth:
        raise ModelFormatError(
            f"{source}: JSON nested {depth} levels deep; the limit is {max_depth}")
    try:
        doc = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except ModelFormatError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ModelFormatError(f"{source}: not valid JSON: {e}") from None
    if not isinstance(doc, dict):
        raise ModelFormatError(f"{source}: expected a JSON object, got {type(doc).__name__}")
    return doc


def check_weights_manifest(manifest: object, where: str = "weightsManifest") -> list[dict]:
    """Check the manifest's structure and each path's syntax; return it.

    >>> check_weights_manifest([{"paths": ["a.bin"], "weights": []}])
    [{'paths': ['a.bin'], 'weights': []}]
    >>> check_weights_manifest([{"paths": "a.bin", "weights": []}])
    Traceback (most recent call last):
    ...
    layerflow.io.errors.ManifestError: weightsManifest[0].paths: expected a list of strings
    """
    if not isinstance(manifest, list):
        raise ManifestError(f"{where}: expected a list of groups, got {type(manifest).__name__}")
    names: set[str] = set()
    for g, group in enumerate(manifest):
        if not isinstance(group, dict):
            raise ManifestError(f"{where}[{g}]: expected an object with 'paths' and 'weights'")
        paths = group.get("paths")
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise ManifestError(f"{where}[{g}].paths: expected a list of strings")
        for p in paths:
            check_weight_path(p)
        weights = group.get("weights")
        validate_specs(weights, f"{where}[{g}]")
        for spec in weights:
            if spec["name"] in names:
                raise ManifestError(f"{where}: weight name {spec['name']!r:.200} appears twice")
            names.add(spec["name"])
    return manifest


def artifacts_from_model_json(doc: dict, *, source: str = "model.json") -> ModelArtifacts:
    """Build artifacts (no weight bytes yet) from a parsed model.json, checking field types.

    ``weight_specs`` is every group's ``weights`` in order, as TF.js concatenates them.

    >>> a = artifacts_from_model_json({"modelTopology": {}, "weightsManifest": [
    ...     {"paths": ["w.bin"], "weights": [{"name": "w", "shape": [1], "dtype": "float32"}]}]})
    >>> a.weight_specs
    [{'name': 'w', 'shape': [1], 'dtype': 'float32'}]
    """
    if not isinstance(doc, dict):
        raise ModelFormatError(f"{source}: expected a JSON object")
    topology = doc.get("modelTopology")
    manifest = doc.get("weightsManifest")
    if topology is None and manifest is None:
        raise ModelFormatError(f"{source}: has neither 'modelTopology' nor 'weightsManifest'")
    if topology is not None and not isinstance(topology, dict):
        raise ModelFormatError(
            f"{source}: 'modelTopology' must be an object, got {type(topology).__name__}")
    fields = {}
    for key, attr in _STRING_FIELDS.items():
        value = doc.get(key)
        if value is not None and not isinstance(value, str):
            raise ModelFormatError(f"{source}: '{key}' must be a string or null")
        fields[attr] = value
    for key, attr in _OBJECT_FIELDS.items():
        value = doc.get(key)
        if value is not None and not isinstance(value, dict):
            raise ModelFormatError(f"{source}: '{key}' must be an object or null")
        fields[attr] = value
    specs = None
    if manifest is not None:
        check_weights_manifest(manifest)
        specs = [spec for group in manifest for spec in group["weights"]]
    return ModelArtifacts(model_topology=topology, weight_specs=specs, weights_manifest=manifest,
                          **fields)


def model_json_from_artifacts(artifacts: ModelArtifacts, weights_manifest: list) -> dict:
    """The model.json document for ``artifacts`` with the given manifest (TF.js key order).

    ``format`` defaults to ``'layers-model'``; ``convertedBy`` is always written (``null`` when
    unset, as TF.js writes it).

    >>> sorted(model_json_from_artifacts(ModelArtifacts(model_topology={}), []).items())
    ... # doctest: +NORMALIZE_WHITESPACE
    [('convertedBy', None), ('format', 'layers-model'), ('generatedBy', None),
     ('modelTopology', {}), ('weightsManifest', [])]
    """
    doc: dict = {"modelTopology": artifacts.model_topology}
    doc["format"] = artifacts.format or LAYERS_MODEL_FORMAT
    doc["generatedBy"] = artifacts.generated_by
    doc["convertedBy"] = artifacts.converted_by
    doc["weightsManifest"] = weights_manifest
    for key, attr in _OBJECT_FIELDS.items():
        value = getattr(artifacts, attr)
        if value is not None:
            doc[key] = value
    return doc


def dump_model_json(doc: dict) -> bytes:
    """Serialize a model.json document as UTF-8 (NaN and Infinity refused: not JSON).

    >>> dump_model_json({"format": "layers-model"})
    b'{"format": "layers-model"}'
    """
    try:
        return json.dumps(doc, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except ValueError as e:
        raise ModelFormatError(f"model.json cannot be written: {e}") from e
    except TypeError as e:
        raise ModelFormatError(f"model.json cannot be written: {e}") from e


__all__ = [
    "MAX_JSON_BYTES", "MAX_JSON_DEPTH", "LAYERS_MODEL_FORMAT", "json_depth", "parse_model_json",
    "check_weights_manifest", "artifacts_from_model_json", "model_json_from_artifacts",
    "dump_model_json",
]
