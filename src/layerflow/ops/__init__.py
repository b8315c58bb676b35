"""Every op once: its shape/dtype rule, kernel name and gradient side by side, one family per
module. The public names are re-exported by ``layerflow/__init__.py``."""
