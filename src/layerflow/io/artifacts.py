"""Model artifacts: what a model is on disk, before any layer exists (TF.js ``ModelArtifacts``).

:class:`ModelArtifacts` carries the topology JSON, the weight specs and the weight bytes, plus the
optional fields of model.json. A loader also fills ``weights`` (``{name: np.ndarray}``, decoded
from the bytes) and ``weights_manifest`` (the manifest as it was in the file). A saver accepts
either encoded weights (``weight_specs`` + ``weight_data``) or plain arrays in ``weights``, which
it encodes (quantizing if asked).

>>> import numpy as np
>>> a = ModelArtifacts(model_topology={"class_name": "Sequential", "config": {}},
...                    weights={"dense/kernel": np.zeros((2, 1), "float32")})
>>> a.encoded().weight_specs
[{'name': 'dense/kernel', 'shape': [2, 1], 'dtype': 'float32'}]
>>> artifacts_info(a.encoded()).weight_data_bytes
8
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from typing import Any

import numpy as np

from layerflow.io.weights import decode_weights, encode_weights


@dataclasses.dataclass
class ModelArtifacts:
    """A model's files in memory. Field names are TF.js's, in snake_case.

    ``model_topology`` is the Keras/TF.js topology object (``{class_name, config, ...}``);
    ``weight_specs`` the manifest entries for ``weight_data``; ``format`` is ``'layers-model'``
    for Layers models. ``weights`` holds decoded arrays by name.
    """

    model_topology: dict | None = None
    weight_specs: list[dict] | None = None
    weight_data: bytes | None = None
    format: str | None = None
    generated_by: str | None = None
    converted_by: str | None = None
    training_config: dict | None = None
    user_defined_metadata: dict | None = None
    model_initializer: dict | None = None
    initializer_signature: dict | None = None
    signature: dict | None = None
    weights_manifest: list[dict] | None = None
    weights: dict[str, np.ndarray] | None = None

    def encoded(self, quantize=None) -> ModelArtifacts:
        """These artifacts with ``weight_specs``/``weight_data`` filled from ``weights``.

        Encoded weights are kept as they are unless ``quantize`` asks for quantization; then
        they are decoded and encoded again, quantized.

        >>> ModelArtifacts(weights={"w": [1.0, 2.0]}).encoded().weight_data
        b'\\x00\\x00\\x80?\\x00\\x00\\x00@'
        """
        if self.weight_specs is not None and self.weight_data is not None:
            if quantize is None:
                return self
            weights = decode_weights(self.weight_specs, self.weight_data)
            groups = {s["name"]: s.get("group") for s in self.weight_specs}
        elif self.weights is not None:
            weights, groups = self.weights, {}
        else:
            return dataclasses.replace(self, weight_specs=[], weight_data=b"")
        specs, chunks = [], []
        for name, value in weights.items():
            s, d, _ = encode_weights({name: value}, quantize, group=groups.get(name))
            specs += s
            chunks.append(d)
        return dataclasses.replace(self, weight_specs=specs, weight_data=b"".join(chunks))

    def decoded(self) -> ModelArtifacts:
        """These artifacts with ``weights`` filled from ``weight_specs``/``weight_data``.

        >>> a = ModelArtifacts(weights={"w": [1.0]}).encoded()
        >>> ModelArtifacts(weight_specs=a.weight_specs, weight_data=a.weight_data).decoded().weights
        {'w': array([1.], dtype=float32)}
        """
        if self.weights is not None or self.weight_specs is None:
            return self
        data = self.weight_data if self.weight_data is not None else b""
        return dataclasses.replace(self, weights=decode_weights(self.weight_specs, data))


@dataclasses.dataclass
class ModelArtifactsInfo:
    """Sizes of saved artifacts (TF.js ``ModelArtifactsInfo``)."""

    date_saved: datetime.datetime
    model_topology_type: str
    model_topology_bytes: int | None
    weight_specs_bytes: int | None
    weight_data_bytes: int | None


@dataclasses.dataclass
class SaveResult:
    """What a save returns (TF.js ``SaveResult``): sizes, and where and how it went.

    ``path`` is the folder (file saves) or URL (HTTP saves); ``files`` the files written;
    ``responses`` the HTTP responses as ``(status, body bytes)``.
    """

    model_artifacts_info: ModelArtifactsInfo
    path: str | None = None
    files: list[str] = dataclasses.field(default_factory=list)
    responses: list[Any] = dataclasses.field(default_factory=list)
    errors: list[Any] | None = None


def _json_len(obj) -> int | None:
    if obj is None:
        return None
    return len(json.dumps(obj).encode("utf-8"))


def artifacts_info(artifacts: ModelArtifacts) -> ModelArtifactsInfo:
    """Sizes of ``artifacts`` as TF.js reports them (topology and specs as UTF-8 JSON).

    >>> artifacts_info(ModelArtifacts(model_topology={})).model_topology_bytes
    2
    """
    return ModelArtifactsInfo(
        date_saved=datetime.datetime.now(datetime.UTC),
        model_topology_type="JSON",
        model_topology_bytes=_json_len(artifacts.model_topology),
        weight_specs_bytes=_json_len(artifacts.weight_specs),
        weight_data_bytes=None if artifacts.weight_data is None else len(artifacts.weight_data),
    )


__all__ = ["ModelArtifacts", "ModelArtifactsInfo", "SaveResult", "artifacts_info"]
