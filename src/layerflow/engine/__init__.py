"""The runtime: tensors, variables, the engine state, the tape. Knows nothing of layers or files."""
