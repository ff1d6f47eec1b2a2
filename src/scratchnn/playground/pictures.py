"""What a playground frame shows of the network: the decision boundary, each hidden unit's
picture, the weights, and the loss and accuracy on the training and test points.

Each is one forward pass through arrays allocated once per network
(:meth:`scratchnn.ClassifierNN.make_workspace`): one over the points for the metrics, one over a
grid of the plane for the boundary and every hidden unit's picture at once (the grid's
activations of a hidden layer *are* its units' pictures). The two are separate because they cost
differently (the points' pass grows with the data, the grid's with its size) and the session
makes each at a rate its own cost allows. A smaller grid serves while training runs and the full
one when it holds still (:data:`GRID_SIZES`). The grid's pass runs in float32, on a copy of the
parameters made for it (five times faster for ``tanh`` on this project's machines, and a picture
of bytes needs no more), or in the model's own dtype where float32 cannot hold the grid or the
output (points or weights near 1e300); the metrics are computed in the model's own dtype, so the accuracies
shown are those :meth:`ClassifierNN.accuracy` gives.

Pictures travel as base64 text of one byte per pixel, the weights as base64 of float32: as bytes
they cost the server almost nothing to encode and the page one ``atob`` to decode, where a JSON
list of numbers costs both sides milliseconds a frame.
"""

import base64
import math

import numpy as np

from ..network import ClassifierNN

__all__ = ["GRID_SIZES", "UNIT_GRID", "NetworkViews"]

GRID_SIZES = {"running": 20, "still": 40}
"""Points per side of the boundary's grid: while training runs (cheap, every frame), and when it
holds still (paused, stepped, finished, or not started)."""

UNIT_GRID = 20
"""Points per side of a hidden unit's picture (every grid size above is a multiple of it)."""


class NetworkViews:
    """The frame's views of one network on one data set.

    Parameters
    ----------
    model : ClassifierNN
    extent : list of 4 floats
        ``[x1_min, x1_max, x2_min, x2_max]`` of the pictures.
    loss : Loss
        The training loss (its ``cost(A, Y)``; no L2 term).
    n_classes : int
    train, test : tuple (X, y, Y)
        The network's inputs for the points, of shape ``(m, n_0)``, labels of shape ``(m,)``,
        and the labels as the loss takes them (:meth:`ClassifierNN.check_labels`).
    inputs : callable, optional
        The network's inputs, shape ``(n_0, m)``, for points of the plane of shape ``(2, m)``
        (the page's input features); default: the points themselves.
    """

    def __init__(self, model, extent, loss, n_classes, train, test, inputs=None):
        self.model, self.extent, self.loss, self.n_classes = model, extent, loss, n_classes
        self._inputs = inputs or (lambda G: G)
        self._train, self._test = train, test
        self._points = np.hstack([train[0].T, test[0].T]).astype(model.compute_dtype)
        self._points_workspace = model.make_workspace(self._points.shape[1], training=False)
        self._grids = {}  # (size, dtype) -> (inputs, workspace), made on first use
        # The pictures' float32 copy of the network (its parameters copied in before each pass).
        self._picture_model = ClassifierNN.from_config({**model.get_config(), "dtype": "float32"})
        self._picture_model.set_compute_dtype(np.float32)

    def grid(self, size):
        """The ``(2, size * size)`` grid over :attr:`extent`, top row first."""
        x0, x1, y0, y1 = self.extent
        gx, gy = np.meshgrid(np.linspace(x0, x1, size), np.linspace(y1, y0, size))
        return np.vstack([gx.ravel(), gy.ravel()])

    def _forward(self, X, workspace, model=None):
        with np.errstate(all="ignore"):
            proba, caches = (model or self.model).forward(X, workspace=workspace)
        if not np.all(np.isfinite(proba)):
            raise ValueError("the network's output is not finite")
        return proba, caches

    def metrics(self):
        """Loss (no L2 term) and accuracy on the training and test points.

        No dropout; batch normalization uses its running statistics. Raises a ValueError when
        the network's output is not finite.
        """
        proba, _ = self._forward(self._points, self._points_workspace)
        n_train = self._train[0].shape[0]
        metrics = {}
        with np.errstate(all="ignore"):
            for part, A, (_, y, Y) in (("train", proba[:, :n_train], self._train),
                                       ("test", proba[:, n_train:], self._test)):
                loss = float(self.loss.cost(A, Y))
                metrics[f"{part}_loss"] = loss if math.isfinite(loss) else None  # no inf in JSON
                metrics[f"{part}_accuracy"] = float(np.mean(predicted_classes(A) == y))
        return metrics

    def pictures(self, size):
        """The decision boundary over a ``size`` x ``size`` grid and every hidden unit's picture.

        ``boundary``: each grid point's predicted class and the network's confidence in it
        (0 .. 255 for 0 .. 1). ``inputs``: the network's inputs over the grid (the input
        features), as the units. ``units``: per hidden layer, each unit's output on a
        :data:`UNIT_GRID` grid, on one colour scale for the whole layer: ``127 + 127 a / s``
        where ``s`` (the layer's ``scales`` entry) is the largest magnitude of any of the layer's
        outputs over the grid, so a unit that barely moves looks pale beside one that swings.
        Raises a ValueError when the network's output is not finite.
        """
        try:
            proba, caches = self._grid_forward(size, self._picture_model)
        except ValueError:  # beyond float32's range (points or weights near 1e300)
            proba, caches = self._grid_forward(size, self.model)
        cls = predicted_classes(proba)
        confidence = np.maximum(proba[0], 1.0 - proba[0]) if self.n_classes == 2 \
            else proba.max(axis=0)
        step = size // UNIT_GRID
        layers, scales = [], []
        for layer in caches.layers[:-1]:
            A = layer.A.reshape(-1, size, size)[:, ::step, ::step]
            A = A.reshape(A.shape[0], -1)
            scale = float(np.abs(A).max()) if A.size else 0.0
            if not math.isfinite(scale):  # rare (the output stayed finite): mend, then scale
                A = np.nan_to_num(A)
                scale = float(np.abs(A).max())
            scaled = A / scale if scale > 0 else np.zeros_like(A)
            layers.append(base64_bytes(scaled * 127 + 127))  # [-1, 1] as 0 .. 254
            scales.append(_finite(scale))
        return {"boundary": {"size": size, "classes": base64_bytes(cls),
                             "confidence": base64_bytes(confidence * 255)},
                "inputs": {"size": UNIT_GRID, "layers": layers[:1], "scales": scales[:1]},
                "units": {"size": UNIT_GRID, "layers": layers[1:], "scales": scales[1:]}}

    def _grid_forward(self, size, model):
        """The forward pass over the ``size`` grid through ``model``: the float32 copy (its
        parameters copied in first) or the model itself. Raises a ValueError when the inputs
        or the output are not finite in its dtype."""
        key = size, model.compute_dtype
        if key not in self._grids:
            with np.errstate(all="ignore"):
                X = np.asarray(self._inputs(self.grid(size)), dtype=model.compute_dtype)
            self._grids[key] = X, model.make_workspace(size * size, training=False)
        X, workspace = self._grids[key]
        if not np.all(np.isfinite(X)):
            raise ValueError("the grid is not finite in this dtype")
        if model is not self.model:
            with np.errstate(all="ignore"):  # beyond float32's range: inf, then refused
                np.copyto(model.theta, self.model.theta, casting="same_kind")
                for name, value in self.model.bn_state.items():
                    np.copyto(model.bn_state[name], value, casting="same_kind")
        return self._forward(X, workspace, model=model)

    def blank(self):
        """Pictures of nothing (every grid point class 0, no confidence, units at 0), for a
        network that cannot be evaluated before any picture was made."""
        size, n = GRID_SIZES["still"], UNIT_GRID
        dims = self.model.layer_dims
        zeros = lambda units: base64_bytes(np.full((units, n * n), 127))  # noqa: E731
        return {"boundary": {"size": size, "classes": base64_bytes(np.zeros(size * size)),
                             "confidence": base64_bytes(np.zeros(size * size))},
                "inputs": {"size": n, "layers": [zeros(dims[0])], "scales": [None]},
                "units": {"size": n, "layers": [zeros(k) for k in dims[1:-1]],
                          "scales": [None] * (len(dims) - 2)}}

    def weights(self):
        """Each layer's ``W`` (and ``b``, None for a batch-normalized layer) as base64 float32,
        row after row (``W[l]`` has shape ``(n_l, n_{l-1})``), and the layer sizes ``dims``,
        for the network diagram."""
        params = self.model.parameters
        L = len(self.model.layer_dims) - 1
        return {"dims": list(self.model.layer_dims),
                "W": [base64_float32(params[f"W{l}"]) for l in range(1, L + 1)],
                "b": [base64_float32(params[f"b{l}"]) if f"b{l}" in params else None
                      for l in range(1, L + 1)]}


def predicted_classes(A):
    """The class of each column of output probabilities ``A`` of shape ``(n_L, m)``."""
    return (A[0] > 0.5).astype(np.uint8) if A.shape[0] == 1 else A.argmax(axis=0)


def base64_bytes(values):
    """``values`` (in [0, 255]) rounded to bytes, row after row, as base64 text."""
    return base64.b64encode(np.rint(values).astype(np.uint8).tobytes()).decode("ascii")


def base64_float32(values):
    """``values`` as little-endian float32, row after row, as base64 text (what the page's
    ``Float32Array`` reads); magnitudes beyond float32's range become +-inf there."""
    with np.errstate(over="ignore"):
        data = np.ascontiguousarray(values, dtype="<f4")
    return base64.b64encode(data.tobytes()).decode("ascii")


def _finite(value):
    return value if math.isfinite(value) else None
