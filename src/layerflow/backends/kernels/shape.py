"""Shape kernels, shared by NumPy and jax.numpy (``xp``)."""

from __future__ import annotations


def kernels(xp) -> dict:
    def pad(x, paddings, constant_value):
        return xp.pad(x, paddings, mode="constant",
                      constant_values=xp.asarray(constant_value).astype(x.dtype))

    def unstack(x, axis):
        lead = (slice(None),) * axis
        return [x[lead + (i,)] for i in range(x.shape[axis])]

    return {
        "unstack": unstack,
        "split": lambda x, indices, axis: xp.split(x, list(indices), axis),
        "reshape": lambda x, shape: xp.reshape(x, shape),
        "broadcast_to": lambda x, shape: xp.broadcast_to(x, shape),
        "transpose": lambda x, perm: xp.transpose(x, perm),
        "pad": pad,
        "mirror_pad": lambda x, paddings, mode: xp.pad(x, paddings, mode=mode),
    }
