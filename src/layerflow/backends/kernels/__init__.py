"""Kernel families, one module each; every backend loads them all in this order."""

FAMILIES = (
    "elementwise",
    "reduction",
    "shape",
    "slicing",
    "linalg",
    "conv",
    "pooling",
    "normalization",
    "creation",
    "random",
    "evaluation",
    "segment",
    "image",
    "spectral",
    "optimizer",
    "losses",
    "recurrent",
    "recurrent_sequence",
)
