"""One flat buffer for all parameters, and named per-layer views into it.

Every ``W{l}``, ``b{l}``, ``gamma{l}`` and ``beta{l}`` is a reshaped *view* of a single 1-D array
``theta``, and every gradient a view of a matching array ``grad``. Layers read and write their
matrices by name as usual, while the optimizer updates all parameters in a few in-place ufunc
calls over ``theta``, gradient checking walks one vector, and saving writes one array.
"""

import numpy as np

__all__ = ["parameter_shapes", "views", "slices", "allocate"]


def parameter_shapes(layer_dims, batch_norm=False):
    """Names and shapes of a network's parameters, in buffer order.

    Parameters
    ----------
    layer_dims : sequence of int, length L + 1
        ``[n_features, n_1, ..., n_L]``.
    batch_norm : bool
        If true, every hidden layer ``l < L`` has ``gamma{l}`` and ``beta{l}`` of shape
        ``(n_l, 1)`` instead of the bias ``b{l}``: normalization subtracts the batch mean, which
        would cancel any bias, so ``beta`` takes its place.

    Returns
    -------
    dict of str to tuple
        ``{"W1": (n_1, n_0), "b1": (n_1, 1), ...}`` in the order the parameters sit in ``theta``.
    """
    L = len(layer_dims) - 1
    shapes = {}
    for l in range(1, L + 1):
        shapes[f"W{l}"] = (layer_dims[l], layer_dims[l - 1])
        if batch_norm and l < L:
            shapes[f"gamma{l}"] = (layer_dims[l], 1)
            shapes[f"beta{l}"] = (layer_dims[l], 1)
        else:
            shapes[f"b{l}"] = (layer_dims[l], 1)
    return shapes


def views(flat, shapes, prefix=""):
    """Split the 1-D array ``flat`` into named, reshaped views (no copies).

    Parameters
    ----------
    flat : ndarray of shape (n_parameters,)
    shapes : dict of str to tuple
        As returned by :func:`parameter_shapes`; their sizes must add up to ``flat.size``.
    prefix : str
        Prepended to every name (``"d"`` for gradients: ``dW1``, ``db1``, ...).
    """
    out, offset = {}, 0
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        out[prefix + name] = flat[offset:offset + size].reshape(shape)
        offset += size
    if offset != flat.size:
        raise ValueError(f"buffer of size {flat.size} does not hold parameters of size {offset}")
    return out


def slices(shapes):
    """Where each parameter lies in the flat buffer: name -> ``slice`` (in buffer order)."""
    out, offset = {}, 0
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        out[name] = slice(offset, offset + size)
        offset += size
    return out


def allocate(shapes, dtype, prefix=""):
    """Allocate a zeroed flat buffer for ``shapes`` and return ``(flat, views)``."""
    flat = np.zeros(sum(int(np.prod(s)) for s in shapes.values()), dtype=dtype)
    return flat, views(flat, shapes, prefix)
