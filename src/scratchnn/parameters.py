"""One flat buffer for all parameters, and named per-layer views into it.

Every ``W{l}``, ``b{l}``, ``gamma{l}`` and ``beta{l}`` is a reshaped *view* of a single 1-D array
``theta``, and every gradient a view of a matching array ``grad``. Layers read and write their
matrices by name as usual, while the optimizer updates all parameters in a few in-place ufunc
calls over ``theta``, gradient checking walks one vector, and saving writes one array.
"""

import numpy as np

__all__ = ["parameter_shapes", "views", "slices", "allocate", "ParameterViews"]


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


class ParameterViews(dict):
    """A model's named parameters: views of its flat buffer that assignment cannot detach.

    A plain dict of views would let ``parameters["W1"] = parameters["W1"] - 0.1 * dW1`` (the
    seed's own update style) bind a new array to the name: the optimizer would go on updating
    the buffer, prediction would read the new array, and ``save`` would write the buffer, so the
    model would silently hold two different ``W1``. Here assignment *copies into* the existing
    view instead, after checking the value, so the buffer stays the one truth. Names cannot be
    added or removed, and ``copy.copy``, ``copy.deepcopy`` and pickle give a plain dict of
    arrays (deepcopy and pickle: independent copies of the values).
    """

    __slots__ = ()

    def __setitem__(self, name, value):
        if name not in self:
            raise ValueError(f"parameters has no entry {name!r}; its names are {list(self)} "
                             f"(the network's layers fix them)")
        view = dict.__getitem__(self, name)
        if value is view:
            return
        array = np.asarray(value)
        if array.dtype.kind not in "biuf" or array.dtype.kind == "b":
            raise TypeError(f"parameters[{name!r}] must hold real numbers, got dtype "
                            f"{array.dtype}")
        if array.shape != view.shape:
            raise ValueError(f"parameters[{name!r}] must have shape {view.shape}, got "
                             f"{array.shape}")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"parameters[{name!r}] contains NaN or infinite values")
        with np.errstate(over="ignore"):  # float64 beyond float32's range: checked below
            converted = array.astype(view.dtype)
        if not np.all(np.isfinite(converted)):
            raise ValueError(f"parameters[{name!r}] does not fit {view.dtype}: its values "
                             f"overflow it")
        view[...] = converted

    def _refuse(self, *args, **kwargs):
        raise TypeError("parameters has one fixed entry per layer parameter: entries cannot be "
                        "added or removed (assign parameters[name] = array to change one)")

    __delitem__ = pop = popitem = clear = setdefault = _refuse

    def update(self, *args, **kwargs):
        """Assign each entry through :meth:`__setitem__` (copied into the buffer, checked)."""
        for name, value in dict(*args, **kwargs).items():
            self[name] = value

    def __copy__(self):
        return dict(self)

    def __deepcopy__(self, memo):
        return {name: view.copy() for name, view in self.items()}

    def __reduce__(self):
        return (dict, ({name: view.copy() for name, view in self.items()},))

    def __ior__(self, other):
        self.update(other)
        return self
