"""``lf.io``: model artifacts, the TF.js weights format, IO handlers and routers.

This room works on artifacts (topology JSON, weight specs, weight bytes), as TF.js's ``tf.io``
does, and knows nothing of layers or models; ``layerflow.models`` turns models into artifacts and
back.

>>> import layerflow.io as lfio
>>> specs, data, _ = lfio.encode_weights({"w": [1, 2]})
>>> lfio.decode_weights(specs, data)["w"]
array([1, 2], dtype=int32)
"""

from layerflow.io.artifacts import ModelArtifacts, ModelArtifactsInfo, SaveResult, artifacts_info
from layerflow.io.errors import (
    HandlerError,
    HTTPRequestError,
    ManifestError,
    ModelFormatError,
    ModelIOError,
    ModelNotFoundError,
    ModelSaveError,
    PathTraversalError,
    QuantizationError,
    TruncatedWeightsError,
    WeightsDTypeError,
    WeightsTooLargeError,
)
from layerflow.io.handlers import (
    CallbackSaveHandler,
    FileHandler,
    HTTPHandler,
    MemoryHandler,
    from_memory,
    with_save_handler,
)
from layerflow.io.model_json import (
    artifacts_from_model_json,
    dump_model_json,
    model_json_from_artifacts,
    parse_model_json,
)
from layerflow.io.router import (
    get_load_handlers,
    get_save_handlers,
    load_artifacts,
    register_load_router,
    register_save_router,
    save_artifacts,
)
from layerflow.io.safety import (
    check_weight_path,
    get_max_weight_bytes,
    resolve_weight_path,
    set_max_weight_bytes,
    weight_bytes_limit,
)
from layerflow.io.weights import (
    DEFAULT_SHARD_SIZE_BYTES,
    build_weights_manifest,
    decode_weights,
    encode_weights,
    shard_names,
    split_shards,
)

# TF.js spellings of the handler factories.
http = HTTPHandler
browser_http_request = HTTPHandler

__all__ = [
    "ModelArtifacts", "ModelArtifactsInfo", "SaveResult", "artifacts_info",
    "HandlerError", "HTTPRequestError", "ManifestError", "ModelFormatError", "ModelIOError",
    "ModelNotFoundError", "ModelSaveError", "PathTraversalError", "QuantizationError",
    "TruncatedWeightsError", "WeightsDTypeError", "WeightsTooLargeError",
    "CallbackSaveHandler", "FileHandler", "HTTPHandler", "MemoryHandler", "from_memory",
    "with_save_handler", "http", "browser_http_request",
    "artifacts_from_model_json", "dump_model_json", "model_json_from_artifacts",
    "parse_model_json",
    "get_load_handlers", "get_save_handlers", "load_artifacts", "register_load_router",
    "register_save_router", "save_artifacts",
    "check_weight_path", "get_max_weight_bytes", "resolve_weight_path", "set_max_weight_bytes",
    "weight_bytes_limit",
    "DEFAULT_SHARD_SIZE_BYTES", "build_weights_manifest", "decode_weights", "encode_weights",
    "shard_names", "split_shards",
]
