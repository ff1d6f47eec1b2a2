r"""``ClassifierNN``: the seed's fully connected classifier, with the math made exact.

The class keeps the seed README's public walk-through (``initialize_parameters``,
``forward_propagation``, ``compute_cost``, ``backward_propagation``, ``random_mini_batches``,
``train``, ``predict``, ``accuracy``) so each formula there maps to a method here; the formulas
themselves live one per module:

- activations and their derivatives: :mod:`scratchnn.activations`
- losses and the fused output delta: :mod:`scratchnn.losses`
- dense / batch-norm / dropout computations: :mod:`scratchnn.layers`
- initializers: :mod:`scratchnn.initializers`; optimizers: :mod:`scratchnn.optimizers`
- the flat parameter buffer: :mod:`scratchnn.parameters`

Conventions (as in the seed): ``X`` has shape ``(n_features, m)``, one example per column;
layer ``l`` has weights ``W{l}`` of shape ``(n_l, n_{l-1})`` and bias ``b{l}`` of shape
``(n_l, 1)``; with batch normalization, hidden layers have ``gamma{l}`` and ``beta{l}`` instead
of ``b{l}``.
"""

import math
import os
import signal
import threading
import warnings

import numpy as np

from . import activations as _activations
from . import initializers as _initializers
from . import layers as _layers
from . import losses as _losses
from . import optimizers as _optimizers
from .parameters import allocate, parameter_shapes, views
from .validation import (
    check_bool,
    check_float,
    check_int,
    check_keep_prob,
    check_sample_weight,
    check_X,
    resolve_dtype,
)

__all__ = ["ClassifierNN", "DivergenceError"]


class _DeferredInterrupt:
    """Hold a Ctrl-C until the training step in progress is complete.

    Inside the ``with`` block (in the main thread only), the first SIGINT just sets a flag that
    :meth:`check` turns into ``KeyboardInterrupt`` between two steps, so the parameters, the
    batch-norm statistics and the optimizer state always belong to one completed step. A second
    SIGINT, or any SIGINT outside the block, interrupts at once as usual.
    """

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        return False

    def check(self):
        if self.requested:
            self.requested = False
            raise KeyboardInterrupt


PREDICT_CHUNK = 4096
"""Examples per forward pass in :meth:`ClassifierNN.predict_proba`."""

_NO_BUFFERS = {}  # read-only stand-in for a workspace layer: every .get(...) gives None


def _rows(M, dtype):
    """``M.T`` as a C-contiguous array of ``dtype``: one example per row (no copy if it is one)."""
    rows = M.T
    if rows.flags.c_contiguous and rows.dtype == dtype:
        return rows
    out = np.empty(rows.shape, dtype)
    out[...] = rows  # transpose and cast in one pass
    return out


class DivergenceError(ValueError, FloatingPointError):
    """Training produced a NaN or infinite cost or gradient (usually: the learning rate is too high).

    It is a ``ValueError`` (a hyperparameter was unsuitable) and a ``FloatingPointError``.
    """


class ClassifierNN:
    r"""A fully connected neural-network classifier trained by backpropagation.

    Parameters
    ----------
    layer_dims : sequence of int, length L + 1
        ``[n_features, n_1, ..., n_L]``: the input size, then the units of each layer. The last
        entry is the number of outputs.
    activations : sequence of str, length L
        One activation per layer: ``'sigmoid'``, ``'relu'``, ``'tanh'``, ``'softmax'``,
        ``'leaky_relu'`` or ``'linear'`` for hidden layers. The output layer must be
        ``'sigmoid'`` (binary, or independent yes/no outputs) or ``'softmax'`` (one class out
        of ``n_L >= 2``).
    initialization_method : {'he', 'random', 'xavier'}, default 'he'
        How weights are drawn (:mod:`scratchnn.initializers`). Biases start at 0, batch-norm
        ``gamma`` at 1 and ``beta`` at 0.
    batch_norm : bool, default False
        Normalize the net input ``Z`` of every hidden layer over the mini-batch
        (:func:`scratchnn.layers.batchnorm_forward`).
    seed : int or None, default None
        Seed of the model's own ``numpy.random.Generator``, used for initialization, shuffling and
        dropout. The same seed gives bit-identical results; NumPy's global random state is never
        used.
    dtype : {None, 'float32', 'float64'}, default None
        Computation dtype. ``None`` computes in float32 when the training ``X`` is float32 and in
        float64 otherwise; parameters, gradients and optimizer state all use it.

    Attributes
    ----------
    parameters : dict of str to ndarray
        ``W{l}``, ``b{l}`` (or ``gamma{l}``, ``beta{l}``): views into one flat buffer.
    bn_state : dict of str to ndarray
        ``running_mean{l}`` and ``running_var{l}`` of shape ``(n_l, 1)`` for batch-normalized
        layers (state used at inference, not trained by gradients).
    optimizer : Optimizer or None
        The optimizer of the last ``train`` call, with its moments and step count.
    costs : list of float
        The per-epoch costs of the latest ``train`` call (or loaded checkpoint), kept up to date
        while it runs, so they survive an interruption.
    """

    def __init__(self, layer_dims, activations, initialization_method="he", *, batch_norm=False,
                 seed=None, dtype=None):
        self.layer_dims = self._check_layer_dims(layer_dims)
        self.activations = self._check_activations(activations, self.layer_dims)
        self._kernels = [_activations.get(name) for name in self.activations]
        self.num_layers = len(self.layer_dims)  # as in the seed: layers are 1 .. num_layers - 1
        self.batch_norm = check_bool(batch_norm, "batch_norm")
        if seed is not None:
            seed = check_int(seed, "seed", minimum=0)
        self.seed = seed
        self.dtype = resolve_dtype(dtype)
        self.rng = np.random.default_rng(seed)
        self.optimizer = None
        self.costs = []
        self.initialize_parameters(initialization_method)

    # ------------------------------------------------------------------ construction checks
    @staticmethod
    def _check_layer_dims(layer_dims):
        if isinstance(layer_dims, (str, bytes)) or not hasattr(layer_dims, "__len__"):
            raise TypeError(f"layer_dims must be a list of integers, got {layer_dims!r}")
        if len(layer_dims) < 2:
            raise ValueError(
                "layer_dims must have at least 2 entries: [n_features, ..., n_outputs], got "
                f"{list(layer_dims)}"
            )
        return [check_int(n, f"layer_dims[{i}]", minimum=1) for i, n in enumerate(layer_dims)]

    @staticmethod
    def _check_activations(activations, layer_dims):
        L = len(layer_dims) - 1
        if isinstance(activations, (str, bytes)) or not hasattr(activations, "__len__"):
            raise TypeError(f"activations must be a list of {L} names, got {activations!r}")
        if len(activations) != L:
            raise ValueError(
                f"activations must have one entry per layer after the input: {L} for layer_dims "
                f"{layer_dims}, got {len(activations)}"
            )
        names = [_activations.get(a).name for a in activations]
        if names[-1] not in _activations.OUTPUT_ACTIVATIONS:
            raise ValueError(
                f"the output activation must be one of {list(_activations.OUTPUT_ACTIVATIONS)} "
                f"for a classifier, got {names[-1]!r}"
            )
        if names[-1] == "softmax" and layer_dims[-1] < 2:
            raise ValueError(
                "a softmax output needs at least 2 units (layer_dims[-1] >= 2); for two classes "
                "use one sigmoid unit or a softmax of 2"
            )
        return names

    # ------------------------------------------------------------------ parameters
    @property
    def n_features(self):
        """Number of input features, ``layer_dims[0]``."""
        return self.layer_dims[0]

    @property
    def n_outputs(self):
        """Number of output units, ``layer_dims[-1]``."""
        return self.layer_dims[-1]

    @property
    def n_parameters(self):
        """Total number of trainable parameters."""
        return self._theta.size

    def _hidden_bn_layers(self):
        return range(1, self.num_layers - 1) if self.batch_norm else range(0)

    def initialize_parameters(self, initialization_method="he"):
        """(Re)initialize every parameter and the batch-norm running statistics.

        Weights come from the chosen initializer (:mod:`scratchnn.initializers`) with the model's
        generator; biases and ``beta`` are 0, ``gamma`` is 1, running means 0 and variances 1.

        Returns
        -------
        dict of str to ndarray
            The new ``parameters`` (views into the flat buffer).
        """
        init = _initializers.get(initialization_method)
        self.initialization_method = init.__name__
        dtype = self.dtype or np.dtype(np.float64)
        self._shapes = parameter_shapes(self.layer_dims, self.batch_norm)
        theta64, params64 = allocate(self._shapes, np.float64)
        for l in range(1, self.num_layers):
            init(params64[f"W{l}"], self.rng)
        for l in self._hidden_bn_layers():
            params64[f"gamma{l}"][...] = 1.0
        self._set_theta(theta64.astype(dtype, copy=False))
        self.bn_state = {}
        for l in self._hidden_bn_layers():
            self.bn_state[f"running_mean{l}"] = np.zeros((self.layer_dims[l], 1), dtype)
            self.bn_state[f"running_var{l}"] = np.ones((self.layer_dims[l], 1), dtype)
        self.optimizer = None
        return self.parameters

    def _set_theta(self, theta):
        """Install ``theta`` as the parameter buffer and rebuild the views and gradient buffer."""
        self._theta = theta
        self.parameters = views(theta, self._shapes)
        self._grad, self._grads = allocate(self._shapes, theta.dtype, prefix="d")

    def __getstate__(self):
        # parameters and the gradients are views of the flat buffers; pickle (and deepcopy) would
        # copy each view on its own and cut it loose from its buffer, so keep only the buffers.
        state = self.__dict__.copy()
        for name in ("parameters", "_grad", "_grads"):
            state.pop(name, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._set_theta(self._theta)  # rebuild the named views and the gradient buffer

    def _ensure_dtype(self, dtype):
        """Convert parameters and running statistics to ``dtype`` if they are not in it."""
        if self._theta.dtype != dtype:
            self._set_theta(self._theta.astype(dtype))
            self.bn_state = {k: v.astype(dtype) for k, v in self.bn_state.items()}
            self.optimizer = None

    @property
    def compute_dtype(self):
        """The dtype the parameters are stored and computed in."""
        return self._theta.dtype

    # ------------------------------------------------------------------ checks of data
    def _check_X(self, X, name="X"):
        return check_X(X, self.n_features, name).astype(self.compute_dtype, copy=False)

    def _check_Y(self, Y, loss, m, dtype, name="Y"):
        try:
            Y = loss.check_labels(Y, self.n_outputs)
        except (TypeError, ValueError) as exc:
            message = str(exc)
            if name != "Y":
                message = message.replace("Y ", f"{name} ", 1)
            raise type(exc)(message) from None
        if Y.shape[1] != m:
            raise ValueError(f"{name} has {Y.shape[1]} examples (columns) but X has {m}")
        return Y if Y.dtype.kind == "i" else Y.astype(dtype, copy=False)

    def _check_loss(self, loss):
        loss = _losses.get(loss)
        if self.activations[-1] != loss.output_activation:
            raise ValueError(
                f"loss {loss.name!r} needs a {loss.output_activation!r} output layer, but this "
                f"network's output activation is {self.activations[-1]!r}"
            )
        return loss

    def _check_parameters(self, parameters):
        if parameters is None:
            return self.parameters
        if not isinstance(parameters, dict):
            raise TypeError(f"parameters must be a dict, got {type(parameters).__name__}")
        checked = {}
        for name, shape in self._shapes.items():
            if name not in parameters:
                raise ValueError(f"parameters is missing {name!r}")
            value = np.asarray(parameters[name])
            if value.shape != shape:
                raise ValueError(f"parameters[{name!r}] must have shape {shape}, got {value.shape}")
            if value.dtype.kind not in "biuf":
                raise TypeError(f"parameters[{name!r}] must be numeric, got dtype {value.dtype}")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"parameters[{name!r}] contains NaN or infinite values")
            checked[name] = value
        return checked

    # ------------------------------------------------------------------ forward
    def forward_propagation(self, X, keep_prob=None, parameters=None, training=False):
        r"""Pass ``X`` through every layer.

        For each layer :math:`l = 1..L`:

        .. math:: Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \qquad A^{[l]} = g^{[l]}(Z^{[l]})

        with :math:`A^{[0]} = X`. With batch normalization, hidden layers normalize :math:`Z^{[l]}`
        (no bias) before the activation. With ``keep_prob``, inverted dropout multiplies
        :math:`A^{[l]}` (``l = 0`` is the input) by a fresh random mask.

        Parameters
        ----------
        X : array of shape (n_features, m)
        keep_prob : sequence of float, length L, optional
            Dropout keep probability of the input and of each hidden layer's output; ``None``
            (default) applies no dropout. Entries of 1.0 switch a layer's dropout off.
        parameters : dict, optional
            Parameters to use instead of the model's own (same names and shapes).
        training : bool, default False
            With batch normalization: use the batch's statistics (True) or the running ones.

        Returns
        -------
        A : ndarray of shape (n_L, m)
            The output activations (probabilities).
        caches : dict
            What backward propagation needs: ``caches["layers"][l]`` holds layer ``l``'s input
            ``A_prev``, net input ``Z`` (after batch normalization, if any), output ``A``, dropout
            mask ``D`` and batch-norm cache ``bn``.
        """
        X = self._check_X(X)
        keep_prob = check_keep_prob(keep_prob, self.num_layers - 1)
        parameters = self._check_parameters(parameters)
        training = check_bool(training, "training")
        return self._forward(X, parameters, keep_prob, training)

    def _forward(self, X, parameters, keep_prob=None, training=False, masks=None, workspace=None):
        """Forward pass on validated inputs.

        ``masks`` (layer -> D) freezes the dropout masks (gradient checking). ``workspace`` (from
        :meth:`_workspace`) supplies preallocated arrays and a caches structure that are reused at
        every training step; without it every array is allocated afresh.
        """
        L = self.num_layers - 1
        if workspace is None:
            caches = {"parameters": parameters, "keep_prob": keep_prob,
                      "layers": [{} for _ in range(L + 1)]}
            buffers = [_NO_BUFFERS] * (L + 1)
        else:
            caches, buffers = workspace["caches"], workspace["layers"]
        layers = caches["layers"]
        layers[0]["A"] = A = X
        for l in range(0, L + 1):
            layer, out = layers[l], buffers[l]
            if l > 0:
                layer["A_prev"] = A
                if self.batch_norm and l < L:
                    Z = _layers.dense_forward(A, parameters[f"W{l}"], out=out.get("Z_lin"))
                    Z, layer["bn"] = _layers.batchnorm_forward(
                        Z, parameters[f"gamma{l}"], parameters[f"beta{l}"],
                        self.bn_state[f"running_mean{l}"], self.bn_state[f"running_var{l}"],
                        training, out=out.get("Z"), Z_hat=out.get("Z_hat"),
                    )
                else:
                    Z = _layers.dense_forward(A, parameters[f"W{l}"], parameters[f"b{l}"],
                                              out=out.get("Z"))
                    layer["bn"] = None
                A = self._kernels[l - 1].forward(Z, out=out.get("A"))
                layer["Z"], layer["A"] = Z, A
            # Inverted dropout on the output of every layer before the output layer.
            layer["D"] = None
            if keep_prob is not None and l < L and keep_prob[l] < 1.0:
                if masks is not None:
                    D = masks[l]
                else:
                    D = _layers.dropout_mask(A.shape, keep_prob[l], self.rng, A.dtype,
                                             out=out.get("D"))
                layer["D"] = D
                A = _layers.dropout_apply(A, D, out=out.get("A_dropped"))
        return layers[L]["A"], caches

    def _workspace(self, m, keep_prob, dtype, training=True):
        """Arrays for passes over batches of ``m`` examples, allocated once and reused.

        Every step writes its activations, gradients and dropout masks into the same arrays, so
        the hot loop allocates (almost) nothing. Layer ``l``'s entry holds, as needed: ``Z``, ``A``
        (shape ``(n_l, m)``), ``Z_lin``/``Z_hat`` (batch norm); for training also ``dZ``,
        ``dZ_lin`` (batch norm), ``D``/``A_dropped`` (dropout) and ``dA`` (the gradient arriving
        from layer ``l + 1``), plus a row-major batch of inputs and a scratch for the L2 term.
        """
        L = self.num_layers - 1
        layers = []
        for l in range(L + 1):
            shape = (self.layer_dims[l], m)
            names = []
            if l > 0:
                names += ["Z", "A"]
                if self.batch_norm and l < L:
                    names += ["Z_lin", "Z_hat"]
            if training:
                if l > 0:
                    names.append("dZ")
                    if self.batch_norm and l < L:
                        names.append("dZ_lin")
                if 0 < l < L:
                    names.append("dA")
                if keep_prob is not None and l < L and keep_prob[l] < 1.0:
                    names += ["D", "A_dropped"]
            layers.append({name: np.empty(shape, dtype) for name in names})
        caches = {"parameters": self.parameters, "keep_prob": keep_prob,
                  "layers": [{} for _ in range(L + 1)]}
        workspace = {"layers": layers, "caches": caches}
        if training:
            workspace["X_rows"] = np.empty((m, self.n_features), dtype)
            workspace["l2"] = views(np.empty_like(self._theta), self._shapes)
        return workspace

    # ------------------------------------------------------------------ cost
    def compute_cost(self, A, Y, lambd=0, loss="BinaryCrossEntropy"):
        r"""Mean cross-entropy of the output ``A`` against ``Y``, plus the L2 penalty.

        .. math:: J = \frac{1}{m}\sum_{j=1}^{m}\mathcal L(A_{:,j}, Y_{:,j})
                    + \frac{\lambda}{2m}\sum_{l=1}^{L}\lVert W^{[l]}\rVert_F^2

        (weights only; biases and batch-norm parameters are not penalized). The probabilities are
        clipped into ``[tiny, 1 - eps]`` of their dtype so the logs stay finite; ``A`` itself is
        never modified. (Training evaluates the same cost from the output layer's logits, which is
        exact even where a probability rounds to 0 or 1.)

        Parameters
        ----------
        A : array of shape (n_L, m)
            Output activations from :meth:`forward_propagation`.
        Y : array
            Labels in the loss's format (see :mod:`scratchnn.losses`).
        lambd : float, default 0
            L2 regularization strength :math:`\lambda \ge 0`.
        loss : str, default 'BinaryCrossEntropy'

        Returns
        -------
        float
        """
        loss = self._check_loss(loss)
        lambd = check_float(lambd, "lambd", low=0.0)
        A = np.asarray(A)
        if A.ndim != 2 or A.shape[0] != self.n_outputs or A.shape[1] == 0:
            raise ValueError(f"A must have shape ({self.n_outputs}, m) with m >= 1, got {A.shape}")
        if A.dtype.kind != "f":
            raise TypeError(f"A must be a float array of probabilities, got dtype {A.dtype}")
        if not np.all(np.isfinite(A)) or A.min() < 0 or A.max() > 1:
            raise ValueError("A must hold probabilities in [0, 1]")
        Y = self._check_Y(Y, loss, A.shape[1], A.dtype)
        return self._cost(A, Y, loss, lambd, self.parameters)

    @staticmethod
    def _l2_cost(parameters, lambd, m, L):
        if lambd == 0:
            return 0.0
        weights = (parameters[f"W{l}"].ravel() for l in range(1, L + 1))
        return lambd / (2 * m) * sum(float(np.dot(W, W)) for W in weights)

    def _cost(self, A, Y, loss, lambd, parameters, Z=None, weights=None):
        """Cost on validated inputs; ``Z`` (output logits) selects the exact log-sum-exp form."""
        return (loss.cost(A, Y, Z, weights)
                + self._l2_cost(parameters, lambd, A.shape[1], self.num_layers - 1))

    # ------------------------------------------------------------------ backward
    def backward_propagation(self, A, Y, caches, lambd=0, keep_prob=None,
                             loss="BinaryCrossEntropy"):
        r"""Gradients of the cost with respect to every parameter, by the chain rule.

        Starting from the fused output delta :math:`dZ^{[L]} = (A - Y)/m`
        (:mod:`scratchnn.losses`), for :math:`l = L, \dots, 1`:

        .. math::
            dW^{[l]} = dZ^{[l]} A^{[l-1]T} + \frac{\lambda}{m} W^{[l]}, \qquad
            db^{[l]} = \sum_j dZ^{[l]}_{:,j}, \qquad
            dA^{[l-1]} = W^{[l]T} dZ^{[l]}

        then, one layer down, dropout's mask (``dA = dA * D``), the activation's derivative
        (``dZ = g'(dA)``, :mod:`scratchnn.activations`) and batch normalization's backward pass
        (:func:`scratchnn.layers.batchnorm_backward`).

        Parameters
        ----------
        A : ndarray of shape (n_L, m)
            Output of :meth:`forward_propagation`.
        Y : array
            Labels in the loss's format.
        caches : dict
            The second result of :meth:`forward_propagation` for the same ``A``.
        lambd : float, default 0
        keep_prob : sequence of float, optional
            Accepted for the seed's signature; the dropout masks (already scaled by
            ``1/keep_prob``) are taken from ``caches``. If given, it must match the forward pass's.
        loss : str, default 'BinaryCrossEntropy'

        Returns
        -------
        dict of str to ndarray
            ``dW{l}``, ``db{l}`` (or ``dgamma{l}``, ``dbeta{l}``): views of a new flat gradient
            buffer, in the dtype of ``A``.
        """
        loss = self._check_loss(loss)
        lambd = check_float(lambd, "lambd", low=0.0)
        if not isinstance(caches, dict) or not {"layers", "parameters", "keep_prob"} <= set(caches):
            raise TypeError("caches must be the second result of forward_propagation")
        layers = caches["layers"]
        A = np.asarray(A)
        if not self._caches_fit(caches, A):
            raise ValueError(
                "A and caches must come from the same forward_propagation call of this network"
            )
        if A.dtype.kind != "f":
            raise TypeError(f"A must be a float array of probabilities, got dtype {A.dtype}")
        if keep_prob is not None:
            if check_keep_prob(keep_prob, self.num_layers - 1) != caches["keep_prob"]:
                raise ValueError("keep_prob differs from the one used in forward_propagation")
        Y = self._check_Y(Y, loss, A.shape[1], A.dtype)
        _, grads = allocate(self._shapes, A.dtype, prefix="d")
        self._backward(A, Y, caches, lambd, loss, grads)
        return grads

    def _caches_fit(self, caches, A):
        """Whether ``caches`` has this network's layer structure for an output of ``A``'s shape."""
        layers = caches["layers"]
        if not isinstance(layers, (list, tuple)) or len(layers) != self.num_layers or A.ndim != 2:
            return False
        m = A.shape[1]
        keys = {"A", "D"}
        for l, layer in enumerate(layers):
            if not isinstance(layer, dict) or not keys <= set(layer):
                return False
            if np.shape(layer["A"]) != (self.layer_dims[l], m):
                return False
            bn = self.batch_norm and 0 < l < self.num_layers - 1
            if l > 0 and (np.shape(layer.get("Z")) != (self.layer_dims[l], m)
                          or np.shape(layer.get("A_prev")) != (self.layer_dims[l - 1], m)
                          or (layer.get("bn") is not None) != bn):
                return False
        try:
            self._check_parameters(caches["parameters"])
        except (TypeError, ValueError):
            return False
        return A.shape == np.shape(layers[-1]["A"])

    def _backward(self, A, Y, caches, lambd, loss, grads, workspace=None, weights=None):
        """Backward pass on validated inputs, writing into the gradient views ``grads``.

        With a ``workspace`` (see :meth:`_workspace`) every intermediate goes into its arrays.
        """
        L = self.num_layers - 1
        parameters, layers = caches["parameters"], caches["layers"]
        buffers = workspace["layers"] if workspace is not None else [_NO_BUFFERS] * (L + 1)
        m = A.shape[1]
        dZ = loss.delta(A, Y, out=buffers[L].get("dZ"), weights=weights)
        for l in range(L, 0, -1):
            layer, out = layers[l], buffers[l]
            if l < L:
                dA = dA_prev
                if layer["D"] is not None:
                    dA = _layers.dropout_apply(dA, layer["D"], out=dA)
                dZ = self._kernels[l - 1].backward(
                    dA, layer["A"], out=out.get("dZ"))
                if layer["bn"] is not None:
                    dZ = _layers.batchnorm_backward(
                        dZ, layer["bn"], parameters[f"gamma{l}"], grads[f"dgamma{l}"],
                        grads[f"dbeta{l}"], out=out.get("dZ_lin"),
                    )
            W = parameters[f"W{l}"]
            dA_prev = _layers.dense_backward(
                dZ, layer["A_prev"], W, grads[f"dW{l}"], grads.get(f"db{l}"),
                need_dA_prev=l > 1, out=buffers[l - 1].get("dA"),
            )
            if lambd:
                scratch = workspace["l2"][f"W{l}"] if workspace is not None else None
                grads[f"dW{l}"] += np.multiply(W, lambd / m, out=scratch)
        return grads

    # ------------------------------------------------------------------ mini-batches
    def random_mini_batches(self, X, Y, batch_size=64, seed=0):
        """Shuffle the examples and split them into mini-batches.

        Parameters
        ----------
        X : array of shape (n_features, m)
        Y : array of shape (k, m)
        batch_size : int or None, default 64
            Examples per batch; the last batch keeps the remainder. ``None`` means one batch.
        seed : int or None, default 0
            Seed of a local generator for the permutation (NumPy's global state is untouched);
            ``None`` draws from the model's own generator.

        Returns
        -------
        list of (X_batch, Y_batch)
        """
        X = self._check_X(X)
        Y = np.asarray(Y)
        if Y.ndim == 1:
            Y = Y.reshape(1, -1)
        if Y.ndim != 2 or Y.shape[1] != X.shape[1]:
            raise ValueError(f"Y must have shape (k, {X.shape[1]}) to match X, got {Y.shape}")
        batch_size = check_int(batch_size, "batch_size", minimum=1, allow_none=True)
        rng = self.rng if seed is None else np.random.default_rng(check_int(seed, "seed", 0))
        m = X.shape[1]
        permutation = rng.permutation(m)
        size = m if batch_size is None else batch_size
        return [
            (X[:, permutation[k:k + size]], Y[:, permutation[k:k + size]])
            for k in range(0, m, size)
        ]

    # ------------------------------------------------------------------ training
    def train(self, X, Y, loss="BinaryCrossEntropy", num_epochs=100, learning_rate=0.01,
              batch_size=64, lambd=0, keep_prob=None, print_cost=True, optimizer="gd",
              beta1=0.9, beta2=0.999, epsilon=1e-8, callback=None, *, sample_weight=None,
              resume=False, checkpoint=None, checkpoint_every=1):
        r"""Train the network with mini-batch gradient-based optimization.

        Each epoch reshuffles the examples (with the model's generator), and for every mini-batch
        runs forward propagation, the cost, backward propagation and one optimizer step. Training
        continues from the current parameters; the optimizer starts fresh on every call.

        Parameters
        ----------
        X : array of shape (n_features, m)
        Y : array
            ``(k, m)`` 0/1 for BinaryCrossEntropy (k sigmoid outputs), ``(C, m)`` one-hot for
            CategoricalCrossEntropy, ``(1, m)`` class indices for SparseCategoricalCrossEntropy.
        loss : str, default 'BinaryCrossEntropy'
            One of :data:`scratchnn.losses.LOSSES` (``'SpareCategoricalCrossEntropy'``, the seed's
            spelling, is accepted too).
        num_epochs : int, default 100
            Passes over the training data.
        learning_rate : float, default 0.01
        batch_size : int or None, default 64
            ``None`` or ``>= m`` gives full-batch gradient descent; the last partial batch is kept.
        lambd : float, default 0
            L2 regularization strength.
        keep_prob : sequence of float, length L, optional
            Dropout keep probabilities for the input and each hidden layer (see
            :meth:`forward_propagation`). Never applied by :meth:`predict`.
        print_cost : bool, default True
            Show a progress bar with the epoch and cost.
        optimizer : {'gd', 'momentum', 'rmsprop', 'adam'}, default 'gd'
        beta1, beta2 : float in [0, 1), default 0.9, 0.999
            Decay rates: ``beta1`` for momentum, RMSprop and Adam's first moment, ``beta2`` for
            Adam's second moment.
        epsilon : float > 0, default 1e-8
            Added to the root-mean-square in RMSprop and Adam.
        callback : callable, optional
            Called as ``callback(epoch, cost)`` after each epoch (``epoch`` counts from 1);
            a true return value stops training after that epoch.
        sample_weight : array of shape (m,), optional
            Non-negative weight of each example: the cost becomes :math:`\frac1{m_b}\sum_j w_j
            \mathcal L_j` over each mini-batch of :math:`m_b` examples (Keras's convention), so
            weights of 1 change nothing.
        resume : bool, default False
            Continue with the optimizer of the previous ``train`` call (or of a loaded
            checkpoint): its moments and step count carry over, so two calls of 10 epochs train
            exactly like one of 20. The optimizer must be the same kind; the other
            hyperparameters take this call's values.
        checkpoint : str or os.PathLike, optional
            Save a checkpoint there every ``checkpoint_every`` epochs: the model plus the
            optimizer's moments and step count, the random generator's state and the costs so far,
            written atomically (a crash mid-write leaves the previous checkpoint intact).
            ``ClassifierNN.load(checkpoint)`` then ``train(..., resume=True)`` continues exactly
            as if training had never stopped.
        checkpoint_every : int, default 1
            Epochs between checkpoints.

        Returns
        -------
        parameters : dict of str to ndarray
            The model's live parameters.
        costs : list of float
            One cost per epoch: the example-weighted mean of that epoch's mini-batch costs,
            L2 term included.

        Raises
        ------
        DivergenceError
            If a cost or gradient becomes NaN or infinite. The parameters of the last finite step
            stay in place; the error's ``costs`` attribute holds the costs of completed epochs.
        KeyboardInterrupt
            On Ctrl-C the step in progress is completed, the model keeps its parameters (and
            ``costs`` the completed epochs' costs), a warning says so, and the interrupt is
            raised again. A second Ctrl-C interrupts at once.
        """
        loss = self._check_loss(loss)
        X = check_X(X, self.n_features)
        dtype = self.dtype or (np.dtype(np.float32) if X.dtype == np.float32 else np.dtype(np.float64))
        m = X.shape[1]
        Y = self._check_Y(Y, loss, m, dtype)
        weights = check_sample_weight(sample_weight, m, dtype)
        num_epochs = check_int(num_epochs, "num_epochs", minimum=1)
        learning_rate = check_float(learning_rate, "learning_rate", low=0.0, low_open=True)
        batch_size = check_int(batch_size, "batch_size", minimum=1, allow_none=True)
        lambd = check_float(lambd, "lambd", low=0.0)
        keep_prob = check_keep_prob(keep_prob, self.num_layers - 1)
        print_cost = check_bool(print_cost, "print_cost")
        optimizer_cls = _optimizers.get(optimizer)
        beta1 = check_float(beta1, "beta1", low=0.0, high=1.0, high_open=True)
        beta2 = check_float(beta2, "beta2", low=0.0, high=1.0, high_open=True)
        epsilon = check_float(epsilon, "epsilon", low=0.0, low_open=True)

        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable or None, got {callback!r}")
        resume = check_bool(resume, "resume")
        checkpoint_every = check_int(checkpoint_every, "checkpoint_every", minimum=1)
        if checkpoint is not None and not isinstance(checkpoint, (str, os.PathLike)):
            raise TypeError(f"checkpoint must be a path or None, got {checkpoint!r}")

        self._ensure_dtype(dtype)
        if resume:
            previous = self.optimizer
            if previous is None or previous.name != optimizer_cls.name:
                raise ValueError(
                    f"resume=True continues the {optimizer_cls.name!r} optimizer of an earlier "
                    f"train call or loaded checkpoint, but the model has "
                    f"{'none' if previous is None else repr(previous.name)}"
                )
            previous.configure(learning_rate, beta1, beta2, epsilon)
        else:
            self.optimizer = optimizer_cls(self._theta.size, dtype, learning_rate, beta1, beta2,
                                           epsilon)
        batch_size = m if batch_size is None else min(batch_size, m)
        # Examples as rows, made once per call: a mini-batch is then a gather of contiguous rows,
        # several times cheaper than gathering columns of the (n_features, m) input.
        X_rows = _rows(X, dtype)
        Y_rows = _rows(Y, Y.dtype)
        W_rows = None if weights is None else _rows(weights, dtype)
        workspaces = {}
        for size in {batch_size, m % batch_size or batch_size}:
            workspace = self._workspace(size, keep_prob, dtype)
            workspace["Y_rows"] = np.empty((size, Y.shape[0]), Y.dtype)
            workspace["W_rows"] = np.empty((size, 1), dtype)
            workspaces[size] = workspace
        run = {"loss": loss, "batch_size": batch_size, "lambd": lambd, "keep_prob": keep_prob,
               "learning_rate": learning_rate, "workspaces": workspaces, "W_rows": W_rows,
               "interrupt": _DeferredInterrupt()}

        self.costs = costs = []
        progress = None
        if print_cost:
            from tqdm import tqdm

            progress = tqdm(total=num_epochs, desc="training", unit="epoch")
        # A diverging run overflows to inf/NaN somewhere in a step; the cost check in _train_epoch
        # catches that and raises DivergenceError, so NumPy's own warnings are not wanted here.
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"), run["interrupt"]:
                for epoch in range(1, num_epochs + 1):
                    cost = self._train_epoch(X_rows, Y_rows, run, epoch, costs)
                    costs.append(cost)
                    if progress is not None:
                        progress.set_postfix(cost=f"{cost:.6f}", refresh=False)
                        progress.update()
                    if checkpoint is not None and epoch % checkpoint_every == 0:
                        self._save_checkpoint(checkpoint, costs)
                    if callback is not None and callback(epoch, cost):
                        break
                    run["interrupt"].check()
        except KeyboardInterrupt:
            warnings.warn(
                f"training interrupted after {len(costs)} complete epoch(s): the model keeps the "
                f"parameters of the last completed step, and its costs attribute the costs of "
                f"the completed epochs", UserWarning, stacklevel=2,
            )
            raise
        finally:
            if progress is not None:
                progress.close()
        return self.parameters, costs

    def _train_epoch(self, X_rows, Y_rows, run, epoch, costs):
        """One pass over the shuffled examples; returns the example-weighted mean batch cost.

        ``X_rows``/``Y_rows`` hold one example per row; ``run`` the settings of the ``train`` call.
        """
        L = self.num_layers - 1
        m = X_rows.shape[0]
        theta, grad, parameters = self._theta, self._grad, self.parameters
        loss, batch_size, lambd, keep_prob = (run[k] for k in ("loss", "batch_size", "lambd",
                                                                "keep_prob"))
        workspaces, W_rows, interrupt = run["workspaces"], run["W_rows"], run["interrupt"]
        weights = None if W_rows is None else W_rows.T
        # Shuffle indices, not the data: one permutation per epoch from the model's generator.
        permutation = self.rng.permutation(m) if batch_size < m else None
        total = 0.0
        for start in range(0, m, batch_size):
            if permutation is None:
                workspace, X_batch, Y_batch = workspaces[batch_size], X_rows, Y_rows
            else:
                index = permutation[start:start + batch_size]
                workspace = workspaces[index.size]
                # mode="clip" lets take write straight into out (the indices are valid anyway).
                X_batch = np.take(X_rows, index, axis=0, out=workspace["X_rows"], mode="clip")
                Y_batch = np.take(Y_rows, index, axis=0, out=workspace["Y_rows"], mode="clip")
                if W_rows is not None:
                    weights = np.take(W_rows, index, axis=0, out=workspace["W_rows"],
                                      mode="clip").T
            A, caches = self._forward(X_batch.T, parameters, keep_prob, True, workspace=workspace)
            Y_batch = Y_batch.T
            cost = self._cost(A, Y_batch, loss, lambd, parameters, Z=caches["layers"][L]["Z"],
                              weights=weights)
            if not math.isfinite(cost):
                self._diverged(epoch, cost, costs, run["learning_rate"])
            self._backward(A, Y_batch, caches, lambd, loss, self._grads, workspace=workspace,
                           weights=weights)
            for l in self._hidden_bn_layers():
                _layers.update_running_stats(
                    self.bn_state[f"running_mean{l}"], self.bn_state[f"running_var{l}"],
                    caches["layers"][l]["bn"],
                )
            # The optimizer refuses a non-finite update, so theta only ever holds finite values.
            if not self.optimizer.step(theta, grad):
                self._diverged(epoch, cost, costs, run["learning_rate"])
            total += cost * A.shape[1]
            interrupt.check()  # a Ctrl-C takes effect here, between two complete steps
        return total / m

    def _diverged(self, epoch, cost, costs, learning_rate):
        """Raise :class:`DivergenceError`; the parameters are those of the last finite step."""
        error = DivergenceError(
            f"training diverged at epoch {epoch}: the cost, a gradient or a parameter became "
            f"NaN or infinite (cost {cost}); try a lower learning_rate than {learning_rate:g}. "
            f"The parameters of the last finite step were kept."
        )
        error.costs = costs
        raise error

    # ------------------------------------------------------------------ inference
    def predict_proba(self, X):
        """Output activations for ``X``: an array of shape ``(n_L, m)``.

        For a softmax output each column is a probability distribution over the classes; for
        sigmoid outputs each entry is the probability of a 1. No dropout, and batch normalization
        uses its running statistics. Large inputs are processed in chunks of
        ``PREDICT_CHUNK`` examples, so memory stays bounded whatever ``m`` is.
        """
        X = check_X(X, self.n_features)
        m = X.shape[1]
        dtype = self.compute_dtype
        A = np.empty((self.n_outputs, m), dtype)
        # Inputs near the float range can overflow a product W A to inf; that is reported below as
        # bad input instead of letting inf - inf turn into silent NaN probabilities.
        workspaces = {}  # by chunk size: the full one, and the last remainder
        with np.errstate(over="ignore", invalid="ignore"):
            for start in range(0, m, PREDICT_CHUNK):
                chunk = X[:, start:start + PREDICT_CHUNK].astype(dtype, copy=False)
                size = chunk.shape[1]
                if size not in workspaces:
                    workspaces[size] = self._workspace(size, None, dtype, training=False)
                A[:, start:start + size], _ = self._forward(chunk, self.parameters,
                                                            workspace=workspaces[size])
        if not (np.isfinite(A.min()) and np.isfinite(A.max())):
            raise ValueError(
                "X is too large for this network: the forward pass overflowed (scale the features)"
            )
        return A

    def predict(self, X):
        """Predicted labels, an integer array of shape ``(1, m)``.

        A single sigmoid output gives 0/1 (``A > 0.5``); otherwise the index of the largest
        output (the argmax class). (The seed thresholded every output at 0.5, which is wrong for
        softmax.)
        """
        A = self.predict_proba(X)
        if self.n_outputs == 1:
            return (A > 0.5).astype(np.int64)
        return np.argmax(A, axis=0).reshape(1, -1).astype(np.int64)

    def accuracy(self, X, Y):
        """Fraction of examples of ``X`` whose predicted label equals the label in ``Y``.

        Parameters
        ----------
        X : array of shape (n_features, m)
        Y : array
            Labels as a row ``(1, m)`` (or ``(m,)``), or one-hot ``(n_L, m)`` for several outputs.

        Returns
        -------
        float in [0, 1]
        """
        X = self._check_X(X)
        Y = np.asarray(Y)
        if Y.dtype.kind not in "biuf":
            raise TypeError(f"Y must hold numeric labels, got dtype {Y.dtype}")
        if Y.ndim == 1:
            Y = Y.reshape(1, -1)
        if Y.ndim != 2 or Y.shape[1] != X.shape[1]:
            raise ValueError(
                f"Y must be a label row of shape (1, {X.shape[1]}) or one-hot of shape "
                f"({self.n_outputs}, {X.shape[1]}), got {Y.shape}"
            )
        if not np.all(np.isfinite(Y)):
            raise ValueError("Y contains NaN or infinite values")
        if Y.shape[0] != 1:
            if Y.shape[0] != self.n_outputs or not (
                np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=0) == 1)
            ):
                raise ValueError(
                    f"Y must be a label row of shape (1, m) or one-hot of shape "
                    f"({self.n_outputs}, m), got shape {Y.shape}"
                )
            Y = np.argmax(Y, axis=0).reshape(1, -1)
        return float(np.mean(self.predict(X) == Y))

    # ------------------------------------------------------------------ tools
    def gradient_check(self, X, Y, loss="BinaryCrossEntropy", lambd=0, keep_prob=None,
                       epsilon=1e-7, return_details=False, sample_weight=None):
        """Compare backpropagation with central differences; return the relative difference.

        Works for any configuration (dropout with frozen masks, batch normalization in training
        mode), in float64 on a copy of the parameters. A correct gradient gives ~1e-9.
        See :func:`scratchnn.gradcheck.gradient_check`.
        """
        from .gradcheck import gradient_check

        return gradient_check(self, X, Y, loss=loss, lambd=lambd, keep_prob=keep_prob,
                              epsilon=epsilon, return_details=return_details,
                              sample_weight=sample_weight)

    def save(self, path):
        """Save the model to ``path`` (``.npz`` arrays plus a JSON header); see :mod:`scratchnn.io`."""
        from .io import save

        save(self, path)

    def _save_checkpoint(self, path, costs):
        """Save the model with everything ``train(..., resume=True)`` needs to continue exactly."""
        from .io import save

        optimizer = self.optimizer
        state = {
            "optimizer": optimizer.name, "t": optimizer.t,
            "learning_rate": optimizer.learning_rate, "beta1": optimizer.beta1,
            "beta2": optimizer.beta2, "epsilon": optimizer.epsilon,
            "rng": self.rng.bit_generator.state, "costs": list(costs),
        }
        metadata = {"training_state": state}
        metadata.update({f"optimizer_{name}": value
                         for name, value in optimizer.stored_moments.items()})
        save(self, path, metadata=metadata)

    @classmethod
    def load(cls, path):
        """Load a model written by :meth:`save` or a ``train`` checkpoint.

        A checkpoint also restores the optimizer (so ``train(..., resume=True)`` continues it),
        the random generator's state and ``costs``. See :func:`scratchnn.io.load`.
        """
        from .io import load_with_metadata

        model, metadata = load_with_metadata(path)
        if "training_state" in metadata:
            try:
                model._restore_training_state(metadata)
            except (KeyError, TypeError, ValueError, OverflowError) as exc:
                raise ValueError(f"{os.fspath(path)} is not a valid scratchnn model file: its "
                                 f"training state is damaged ({exc})") from None
        return model

    def _restore_training_state(self, metadata):
        state = metadata["training_state"]
        if not isinstance(state, dict):
            raise TypeError("training_state is not an object")
        optimizer_cls = _optimizers.get(state["optimizer"])
        hyper = [check_float(state["learning_rate"], "learning_rate", low=0.0, low_open=True),
                 check_float(state["beta1"], "beta1", low=0.0, high=1.0, high_open=True),
                 check_float(state["beta2"], "beta2", low=0.0, high=1.0, high_open=True),
                 check_float(state["epsilon"], "epsilon", low=0.0, low_open=True)]
        optimizer = optimizer_cls(self._theta.size, self.compute_dtype, *hyper)
        optimizer.t = check_int(state["t"], "t", minimum=0)
        for name, stored in optimizer.stored_moments.items():
            value = metadata[f"optimizer_{name}"]
            if value.dtype != stored.dtype or value.shape != stored.shape:
                raise ValueError(f"optimizer_{name} must be {stored.dtype} of shape {stored.shape}")
            stored[...] = value
        costs = state["costs"]
        if not isinstance(costs, list) or not all(
                isinstance(c, (int, float)) and not isinstance(c, bool) for c in costs):
            raise TypeError("costs is not a list of numbers")
        rng = np.random.default_rng()
        rng.bit_generator.state = state["rng"]  # raises for a malformed or foreign state
        self.optimizer, self.rng, self.costs = optimizer, rng, costs

    def to_onnx(self, path):
        """Export the network as an ONNX graph; see :func:`scratchnn.export.to_onnx`."""
        from .export import to_onnx

        return to_onnx(self, path)

    def __repr__(self):
        return (
            f"ClassifierNN(layer_dims={self.layer_dims}, activations={self.activations}, "
            f"batch_norm={self.batch_norm})"
        )
