r"""The engine every model shares: parameters, forward, cost, backward, training, saving.

:class:`NeuralNetwork` is a fully connected network trained by backpropagation. The models are
its subclasses, which add what their task needs and nothing else:
:class:`~scratchnn.ClassifierNN` (:mod:`scratchnn.network`: sigmoid or softmax outputs,
cross-entropy, ``predict_proba``, ``accuracy``) and :class:`~scratchnn.RegressorNN`
(:mod:`scratchnn.regressor`: a linear output, the squared error or Huber, ``score`` as
:math:`R^2`). A subclass sets

``task``
    ``'classification'`` or ``'regression'``: the losses it accepts are those of its task
    (each loss of :mod:`scratchnn.losses` names its own);
``default_loss``
    the loss ``train`` and the other methods use when none is given;
``check_output_activation(names, layer_dims)``
    the rule for its output layer, checked by the constructor.

The class keeps the seed README's public walk-through (``initialize_parameters``,
``forward_propagation``, ``compute_cost``, ``backward_propagation``, ``random_mini_batches``,
``train``) so each formula there maps to a method here; the formulas themselves live one per
module:

- activations and their derivatives: :mod:`scratchnn.activations`
- losses and the fused output delta: :mod:`scratchnn.losses`
- dense / batch-norm / dropout computations: :mod:`scratchnn.layers`
- initializers: :mod:`scratchnn.initializers`; optimizers: :mod:`scratchnn.optimizers`
- the flat parameter buffer: :mod:`scratchnn.parameters`; the forward cache and work arrays:
  :mod:`scratchnn.workspace`

The model only computes. :meth:`NeuralNetwork.train` checks its arguments and hands over to the
one training loop, :func:`scratchnn.training.fit`. Everything outside the model (the loop, the
gradient check, L-BFGS, plots, the estimator, model files) uses its public surface: the flat
parameter vector :attr:`~NeuralNetwork.theta` and gradient :attr:`~NeuralNetwork.grad`,
:meth:`~NeuralNetwork.forward`, :meth:`~NeuralNetwork.cost` and :meth:`~NeuralNetwork.backward`
on checked inputs, :meth:`~NeuralNetwork.cost_and_gradient` for given flat parameters, and
:meth:`~NeuralNetwork.get_config` / :meth:`~NeuralNetwork.from_config`.

Conventions (as in the seed): ``X`` has shape ``(n_features, m)``, one example per column;
layer ``l`` has weights ``W{l}`` of shape ``(n_l, n_{l-1})`` and bias ``b{l}`` of shape
``(n_l, 1)``; with batch normalization, hidden layers have ``gamma{l}`` and ``beta{l}`` instead
of ``b{l}``.
"""

import numpy as np

from . import activations as _activations
from . import initializers as _initializers
from . import io as _io
from . import layers as _layers
from . import losses as _losses
from . import threads as _threads
from . import training as _training
from .objective import Objective
from .parameters import ParameterViews, allocate, parameter_shapes, views
from .validation import (
    check_bool,
    check_float,
    check_int,
    check_keep_prob,
    check_layer_dims,
    check_X,
    resolve_dtype,
)
from .workspace import NO_BUFFERS, ForwardCache, LayerCache, new_workspace

__all__ = ["NeuralNetwork"]

PREDICT_CHUNK = 4096
"""Examples per forward pass in :meth:`NeuralNetwork.predict_output`."""


def _check_activations(activations, layer_dims):
    """The activations' registered names, one per layer (the output rule is the model's)."""
    L = len(layer_dims) - 1
    if isinstance(activations, (str, bytes)) or not hasattr(activations, "__len__"):
        raise TypeError(f"activations must be a list of {L} names, got {activations!r}")
    if len(activations) != L:
        raise ValueError(
            f"activations must have one entry per layer after the input: {L} for layer_dims "
            f"{layer_dims}, got {len(activations)}"
        )
    return [_activations.get(a).name for a in activations]


def _check_parameters(parameters, shapes, default):
    """``parameters`` checked against ``shapes`` (name -> shape); ``default`` if it is None."""
    if parameters is None:
        return default
    if not isinstance(parameters, dict):
        raise TypeError(f"parameters must be a dict, got {type(parameters).__name__}")
    checked = {}
    for name, shape in shapes.items():
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


def _caches_fit(model, caches, A):
    """Whether ``caches`` has this network's layer structure for an output of ``A``'s shape."""
    layers = caches.layers
    if not isinstance(layers, (list, tuple)) or len(layers) != model.num_layers or A.ndim != 2:
        return False
    m = A.shape[1]
    for l, layer in enumerate(layers):
        if not isinstance(layer, LayerCache) or np.shape(layer.A) != (model.layer_dims[l], m):
            return False
        bn = model.batch_norm and 0 < l < model.num_layers - 1
        if l > 0 and (np.shape(layer.Z) != (model.layer_dims[l], m)
                      or np.shape(layer.A_prev) != (model.layer_dims[l - 1], m)
                      or (layer.bn is not None) != bn):
            return False
    try:
        _check_parameters(caches.parameters, model.parameter_shapes, None)
    except (TypeError, ValueError):
        return False
    return A.shape == np.shape(layers[-1].A)


def _check_forward_result(model, A, caches, keep_prob):
    """``A`` and ``caches`` checked to be one ``forward_propagation`` result of ``model``."""
    if not isinstance(caches, ForwardCache):
        raise TypeError("caches must be the second result of forward_propagation")
    A = np.asarray(A)
    if not _caches_fit(model, caches, A):
        raise ValueError(
            "A and caches must come from the same forward_propagation call of this network"
        )
    if A.dtype.kind != "f":
        what = "a float array of probabilities" if model.task == "classification" else "floats"
        raise TypeError(f"A must be {what}, got dtype {A.dtype}")
    if keep_prob is not None:
        if check_keep_prob(keep_prob, model.num_layers - 1) != caches.keep_prob:
            raise ValueError("keep_prob differs from the one used in forward_propagation")
    return A



class NeuralNetwork:
    r"""A fully connected neural network trained by backpropagation: the engine of the models.

    Not built directly: :class:`~scratchnn.ClassifierNN` and :class:`~scratchnn.RegressorNN` are
    its subclasses (see the module notes for what a subclass sets).

    Parameters
    ----------
    layer_dims : sequence of int, length L + 1
        ``[n_features, n_1, ..., n_L]``: the input size, then the units of each layer. The last
        entry is the number of outputs.
    activations : sequence of str, length L
        One activation per layer: ``'sigmoid'``, ``'relu'``, ``'tanh'``, ``'softmax'``,
        ``'leaky_relu'`` or ``'linear'`` for hidden layers; the output layer's rule is the
        model's (``check_output_activation``).
    initialization_method : {'he', 'random', 'xavier', 'glorot_uniform'}, default 'he'
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
        ``W{l}``, ``b{l}`` (or ``gamma{l}``, ``beta{l}``): views into the flat buffer ``theta``.
    theta, grad : ndarray of shape (n_parameters,)
        The flat parameter buffer and the flat gradient buffer the views share.
    bn_state : dict of str to ndarray
        ``running_mean{l}`` and ``running_var{l}`` of shape ``(n_l, 1)`` for batch-normalized
        layers (state used at inference, not trained by gradients).
    optimizer : Optimizer or None
        The optimizer of the last ``train`` call, with its moments and step count.
    costs : list of float
        The per-epoch costs of the latest ``train`` call (or loaded checkpoint), kept up to date
        while it runs, so they survive an interruption.
    """

    task = None
    """``'classification'`` or ``'regression'``: the task of the model's losses."""

    default_loss = None
    """The loss used when a method is given none."""

    def __init__(self, layer_dims, activations, initialization_method="he", *, batch_norm=False,
                 seed=None, dtype=None):
        if self.task is None:
            raise TypeError(f"{type(self).__name__} is the engine the models share; build a "
                            f"ClassifierNN or a RegressorNN")
        self.layer_dims = check_layer_dims(layer_dims)
        self.activations = _check_activations(activations, self.layer_dims)
        self.check_output_activation(self.activations, self.layer_dims)
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

    def get_config(self):
        """The constructor arguments that rebuild this network's architecture (Keras's convention).

        Returns
        -------
        dict
            ``layer_dims``, ``activations``, ``initialization_method``, ``batch_norm`` and
            ``dtype`` (``None`` when the dtype follows the training data); JSON-serializable.
        """
        return {"layer_dims": list(self.layer_dims), "activations": list(self.activations),
                "initialization_method": self.initialization_method,
                "batch_norm": self.batch_norm,
                "dtype": None if self.dtype is None else self.dtype.name}

    @classmethod
    def from_config(cls, config):
        """A new network, freshly initialized, with the architecture :meth:`get_config` describes."""
        return cls(config["layer_dims"], config["activations"],
                   config.get("initialization_method", "he"),
                   batch_norm=config.get("batch_norm", False), dtype=config.get("dtype"))

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

    @property
    def parameter_shapes(self):
        """Names and shapes of the parameters in buffer order (``{"W1": (n_1, n_0), ...}``)."""
        return dict(self._shapes)

    @property
    def theta(self):
        """The flat parameter vector: every ``W``, ``b``, ``gamma``, ``beta`` in buffer order.

        This is the live buffer the named ``parameters`` are views of: writing into it (or
        assigning ``model.theta = vector``, which copies ``vector`` in) changes the model.
        """
        return self._theta

    @theta.setter
    def theta(self, value):
        value = np.asarray(value)
        if value.shape != self._theta.shape:
            raise ValueError(f"theta must have shape {self._theta.shape}, got {value.shape}")
        if value.dtype.kind not in "biuf":
            raise TypeError(f"theta must be numeric, got dtype {value.dtype}")
        if not np.all(np.isfinite(value)):
            raise ValueError("theta contains NaN or infinite values")
        self._theta[...] = value

    @property
    def parameters(self):
        """The named parameters ``W{l}``, ``b{l}`` (or ``gamma{l}``, ``beta{l}``): views of
        :attr:`theta`.

        Assigning an entry, ``nn.parameters["W1"] = new_W1`` (the seed's update style), copies
        ``new_W1`` into the buffer after checking its shape and values; assigning the whole
        mapping, ``nn.parameters = {...}``, does that for every entry it holds. Either way the
        optimizer, ``predict`` and ``save`` keep seeing one set of parameters
        (:class:`scratchnn.parameters.ParameterViews`).
        """
        return self._parameters

    @parameters.setter
    def parameters(self, value):
        if value is self._parameters:
            return
        if not isinstance(value, dict):
            raise TypeError(f"parameters must be a dict of arrays by name, got "
                            f"{type(value).__name__}")
        unknown = [name for name in value if name not in self._parameters]
        if unknown:
            raise ValueError(f"parameters has no entry {unknown[0]!r}; its names are "
                             f"{list(self._parameters)}")
        # Every entry is checked (on copies) before any is copied in: a bad one changes nothing.
        checker = ParameterViews({name: view.copy() for name, view in self._parameters.items()})
        checker.update(value)
        self._parameters.update({name: checker[name] for name in value})

    @property
    def grad(self):
        """The flat gradient buffer the training loop fills (same layout as :attr:`theta`)."""
        return self._grad

    @property
    def grads(self):
        """Named views of :attr:`grad`: ``dW{l}``, ``db{l}`` (or ``dgamma{l}``, ``dbeta{l}``)."""
        return self._grads

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
        self._parameters = ParameterViews(views(theta, self._shapes))
        self._grad, self._grads = allocate(self._shapes, theta.dtype, prefix="d")

    def __getstate__(self):
        # parameters and the gradients are views of the flat buffers; pickle (and deepcopy) would
        # copy each view on its own and cut it loose from its buffer, so keep only the buffers.
        state = self.__dict__.copy()
        for name in ("_parameters", "_grad", "_grads"):
            state.pop(name, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._set_theta(self._theta)  # rebuild the named views and the gradient buffer

    def set_compute_dtype(self, dtype):
        """Convert parameters and running statistics to ``dtype`` if they are not in it (a new
        optimizer then starts: the old one's moments are in the old dtype)."""
        if self._theta.dtype != dtype:
            self._set_theta(self._theta.astype(dtype))
            self.bn_state = {k: v.astype(dtype) for k, v in self.bn_state.items()}
            self.optimizer = None

    @property
    def compute_dtype(self):
        """The dtype the parameters are stored and computed in."""
        return self._theta.dtype

    @classmethod
    def check_output_activation(cls, names, layer_dims):
        """Refuse an output activation the model cannot use (each model defines the rule).

        Parameters
        ----------
        names : list of str, length L
            The registered names of the layers' activations, the output's last.
        layer_dims : list of int, length L + 1

        Raises
        ------
        ValueError
            Naming the output activation and what the model needs instead.
        """
        raise NotImplementedError

    # ------------------------------------------------------------------ checks of data
    def check_loss(self, loss):
        """The loss named by ``loss`` (:attr:`default_loss` for None), checked against this
        model's task and output activation."""
        loss = _losses.get(self.default_loss if loss is None else loss)
        if loss.task != self.task:
            accepted = [name for name, cls in _losses.LOSSES.items() if cls.task == self.task]
            other = "RegressorNN" if loss.task == "regression" else "ClassifierNN"
            raise ValueError(
                f"loss {loss.name!r} is a {loss.task} loss, but a {type(self).__name__} trains "
                f"with {' or '.join(repr(n) for n in accepted)}; for {loss.task} use {other}"
            )
        if self.activations[-1] != loss.output_activation:
            raise ValueError(
                f"loss {loss.name!r} needs a {loss.output_activation!r} output layer, but this "
                f"network's output activation is {self.activations[-1]!r}"
            )
        return loss

    def check_labels(self, Y, loss, m, dtype, name="Y", x_name="X"):
        """``Y`` checked against ``loss`` (a loss class) and ``m`` examples, in the engine's format.

        Returns float labels (or targets) in ``dtype``, or the integer class indices of sparse
        labels; the errors name the argument ``name``, and ``x_name`` the inputs whose ``m``
        examples the labels must match.
        """
        try:
            Y = loss.check_labels(Y, self.n_outputs)
        except (TypeError, ValueError) as exc:
            message = str(exc)
            if name != "Y":
                message = message.replace("Y ", f"{name} ", 1)
            raise type(exc)(message) from None
        if Y.shape[1] != m:
            raise ValueError(f"{name} has {Y.shape[1]} examples (columns) but {x_name} has {m}")
        if Y.dtype.kind == "i" and loss is _losses.SparseCategoricalCrossEntropy:
            return Y  # class indices: they index, they never enter the arithmetic
        # Any other labels enter the cost and the delta: in the model's dtype, so that an integer
        # 0/1 array does not make NumPy compute them in float64.
        return Y.astype(dtype, copy=False)

    def check_output_values(self, A):
        """``A`` checked as an output of this model, of shape ``(n_outputs, m)`` (for
        :meth:`compute_cost`); each model defines what its outputs may hold."""
        raise NotImplementedError

    def _check_X(self, X, name="X"):
        return check_X(X, self.n_features, name).astype(self.compute_dtype, copy=False)

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
            The output activations (probabilities of a classifier, values of a regressor).
        caches : ForwardCache
            What backward propagation needs (each layer's input, net input, output, dropout mask
            and batch-norm cache); pass it to :meth:`backward_propagation` as it is.
        """
        X = self._check_X(X)
        keep_prob = check_keep_prob(keep_prob, self.num_layers - 1)
        parameters = _check_parameters(parameters, self._shapes, self.parameters)
        training = check_bool(training, "training")
        return self.forward(X, parameters, keep_prob, training)

    def forward(self, X, parameters=None, keep_prob=None, training=False, masks=None,
                workspace=None):
        """Forward pass on checked inputs (see :meth:`forward_propagation` for the math).

        ``parameters`` defaults to the model's own. ``masks`` (layer -> D), when given, replaces
        the random dropout masks: exactly the layers it holds are masked (gradient checking). ``workspace`` (from :meth:`make_workspace`) supplies
        preallocated arrays and a cache structure that are reused at every training step; without
        it every array is allocated afresh.
        """
        if parameters is None:
            parameters = self.parameters
        L = self.num_layers - 1
        if workspace is None:
            caches = ForwardCache(parameters, keep_prob, [LayerCache() for _ in range(L + 1)])
            buffers = [NO_BUFFERS] * (L + 1)
        else:
            caches, buffers = workspace.caches, workspace.layers
            caches.parameters, caches.keep_prob = parameters, keep_prob
        layers = caches.layers
        layers[0].A = A = X
        for l in range(0, L + 1):
            layer, out = layers[l], buffers[l]
            if l > 0:
                layer.A_prev = A
                if self.batch_norm and l < L:
                    Z = _layers.dense_forward(A, parameters[f"W{l}"], out=out.Z_lin)
                    Z, layer.bn = _layers.batchnorm_forward(
                        Z, parameters[f"gamma{l}"], parameters[f"beta{l}"],
                        self.bn_state[f"running_mean{l}"], self.bn_state[f"running_var{l}"],
                        training, out=out.Z, Z_hat=out.Z_hat,
                    )
                else:
                    Z = _layers.dense_forward(A, parameters[f"W{l}"], parameters[f"b{l}"],
                                              out=out.Z)
                    layer.bn = None
                A = self._kernels[l - 1].forward(Z, out=out.A)
                layer.Z, layer.A = Z, A
            # Inverted dropout on the output of every layer before the output layer.
            if masks is not None:
                layer.D = masks.get(l)
            elif keep_prob is not None and l < L and keep_prob[l] < 1.0:
                layer.D = _layers.dropout_mask(A.shape, keep_prob[l], self.rng, A.dtype,
                                               out=out.D)
            else:
                layer.D = None
            if layer.D is not None:
                A = _layers.dropout_apply(A, layer.D, out=out.A_dropped)
        return layers[L].A, caches

    def make_workspace(self, m, keep_prob=None, training=True):
        """Arrays for passes over batches of ``m`` examples, allocated once and reused.

        Every step writes its activations, gradients and dropout masks into the same arrays, so
        the hot loop allocates (almost) nothing. Layer ``l``'s buffers hold, as needed: ``Z``,
        ``A`` (shape ``(n_l, m)``), ``Z_lin``/``Z_hat`` (batch norm); for training also ``dZ``,
        ``dZ_lin`` (batch norm), ``D``/``A_dropped`` (dropout) and ``dA`` (the gradient arriving
        from layer ``l + 1``), plus a scratch for the L2 term.

        Returns
        -------
        Workspace
        """
        return new_workspace(self, m, keep_prob, training)

    # ------------------------------------------------------------------ cost
    def compute_cost(self, A, Y, lambd=0, loss=None):
        r"""Mean loss of the output ``A`` against ``Y``, plus the L2 penalty.

        .. math:: J = \frac{1}{m}\sum_{j=1}^{m}\mathcal L(A_{:,j}, Y_{:,j})
                    + \frac{\lambda}{2m}\sum_{l=1}^{L}\lVert W^{[l]}\rVert_F^2

        (weights only; biases and batch-norm parameters are not penalized), with the loss
        :math:`\mathcal L` of :mod:`scratchnn.losses`. For the cross-entropies the probabilities
        are clipped into ``[tiny, 1 - eps]`` of their dtype so the logs stay finite; ``A`` itself
        is never modified. (Training evaluates the same cost from the output layer's logits, which
        is exact even where a probability rounds to 0 or 1.)

        Parameters
        ----------
        A : array of shape (n_L, m)
            Output activations from :meth:`forward_propagation`.
        Y : array
            Labels in the loss's format (see :mod:`scratchnn.losses`).
        lambd : float, default 0
            L2 regularization strength :math:`\lambda \ge 0`.
        loss : str or loss, optional
            Default: the model's :attr:`default_loss`.

        Returns
        -------
        float
        """
        loss = self.check_loss(loss)
        lambd = check_float(lambd, "lambd", low=0.0)
        A = self.check_output_values(A)
        Y = self.check_labels(Y, loss, A.shape[1], A.dtype)
        return self.cost(A, Y, loss, lambd)

    def cost(self, A, Y, loss, lambd=0.0, parameters=None, Z=None, weights=None, *, l1=0.0):
        r"""Cost on checked inputs (see :meth:`compute_cost`); ``Z`` (the output layer's logits)
        selects the exact log-sum-exp form, ``weights`` of shape ``(1, m)`` weigh the examples.
        ``l1`` adds the L1 penalty :math:`\frac{\lambda_1}{m}\sum_l \sum_{i,j}|W^{[l]}_{ij}|`."""
        if parameters is None:
            parameters = self.parameters
        penalty = 0.0
        if lambd:
            weights_W = (parameters[f"W{l}"].ravel() for l in range(1, self.num_layers))
            penalty = lambd / (2 * A.shape[1]) * sum(float(np.dot(W, W)) for W in weights_W)
        if l1:
            penalty += l1 / A.shape[1] * sum(float(np.abs(parameters[f"W{l}"]).sum())
                                             for l in range(1, self.num_layers))
        return loss.cost(A, Y, Z, weights) + penalty

    # ------------------------------------------------------------------ backward
    def backward_propagation(self, A, Y, caches, lambd=0, keep_prob=None,
                             loss=None):
        r"""Gradients of the cost with respect to every parameter, by the chain rule.

        Starting from the fused output delta :math:`dZ^{[L]} = (A - Y)/m`
        (:mod:`scratchnn.losses`), for :math:`l = L, \dots, 1`:

        .. math::
            dW^{[l]} = dZ^{[l]} A^{[l-1]T} + \frac{\lambda}{m} W^{[l]}, \qquad
            db^{[l]} = \sum_j dZ^{[l]}_{:,j}, \qquad
            dA^{[l-1]} = W^{[l]T} dZ^{[l]}

        then, one layer down, dropout's mask (``dA = dA * D``), the activation's derivative
        (:math:`dZ = dA \odot g'(Z)`, written in terms of the output ``A``; a hidden softmax
        takes its full Jacobian-vector product instead, :mod:`scratchnn.activations`) and batch
        normalization's backward pass (:func:`scratchnn.layers.batchnorm_backward`).

        Parameters
        ----------
        A : ndarray of shape (n_L, m)
            Output of :meth:`forward_propagation`.
        Y : array
            Labels in the loss's format.
        caches : ForwardCache
            The second result of :meth:`forward_propagation` for the same ``A``.
        lambd : float, default 0
        keep_prob : sequence of float, optional
            Accepted for the seed's signature; the dropout masks (already scaled by
            ``1/keep_prob``) are taken from ``caches``. If given, it must match the forward pass's.
        loss : str or loss, optional
            Default: the model's :attr:`default_loss`.

        Returns
        -------
        dict of str to ndarray
            ``dW{l}``, ``db{l}`` (or ``dgamma{l}``, ``dbeta{l}``): views of a new flat gradient
            buffer, in the dtype of ``A``.
        """
        loss = self.check_loss(loss)
        lambd = check_float(lambd, "lambd", low=0.0)
        A = _check_forward_result(self, A, caches, keep_prob)
        Y = self.check_labels(Y, loss, A.shape[1], A.dtype)
        _, grads = allocate(self._shapes, A.dtype, prefix="d")
        return self.backward(A, Y, caches, loss, lambd, grads)

    def backward(self, A, Y, caches, loss, lambd=0.0, grads=None, workspace=None, weights=None,
                 *, l1=0.0):
        r"""Backward pass on checked inputs (see :meth:`backward_propagation` for the math).

        Writes into the gradient views ``grads`` (default: the model's own, :attr:`grads`) and
        returns them. With a ``workspace`` (see :meth:`make_workspace`) every intermediate goes
        into its arrays; ``weights`` of shape ``(1, m)`` weigh the examples. ``l1`` adds the L1
        penalty's (sub)gradient, :math:`dW^{[l]} \mathrel{+}= \frac{\lambda_1}{m}
        \operatorname{sign}(W^{[l]})` (0 where a weight is 0).
        """
        if grads is None:
            grads = self._grads
        L = self.num_layers - 1
        parameters, layers = caches.parameters, caches.layers
        buffers = workspace.layers if workspace is not None else [NO_BUFFERS] * (L + 1)
        ones = workspace.ones if workspace is not None else None
        m = A.shape[1]
        dZ = loss.delta(A, Y, out=buffers[L].dZ, weights=weights)
        dA_prev = None  # the gradient each layer hands to the one below
        for l in range(L, 0, -1):
            layer, out = layers[l], buffers[l]
            if l < L:
                dA = dA_prev
                if layer.D is not None:
                    dA = _layers.dropout_apply(dA, layer.D, out=dA)
                dZ = self._kernels[l - 1].backward(dA, layer.A, out=out.dZ)
                if layer.bn is not None:
                    dZ = _layers.batchnorm_backward(
                        dZ, layer.bn, parameters[f"gamma{l}"], grads[f"dgamma{l}"],
                        grads[f"dbeta{l}"], out=out.dZ_lin,
                    )
            W = parameters[f"W{l}"]
            dA_prev = _layers.dense_backward(
                dZ, layer.A_prev, W, grads[f"dW{l}"], grads.get(f"db{l}"),
                need_dA_prev=l > 1, out=buffers[l - 1].dA, ones=ones,
            )
            if lambd:
                scratch = workspace.l2[f"W{l}"] if workspace is not None else None
                grads[f"dW{l}"] += np.multiply(W, lambd / m, out=scratch)
            if l1:  # into the same scratch as L2's term: no array per step
                scratch = workspace.l2[f"W{l}"] if workspace is not None else None
                step = np.sign(W, out=scratch)
                step *= l1 / m
                grads[f"dW{l}"] += step
        return grads

    def update_batch_norm_statistics(self, caches):
        """Move the batch-norm running statistics toward the batch statistics in ``caches``."""
        for l in self._hidden_bn_layers():
            _layers.update_running_stats(self.bn_state[f"running_mean{l}"],
                                         self.bn_state[f"running_var{l}"], caches.layers[l].bn)

    # ------------------------------------------------------------------ cost and gradient
    def cost_and_gradient(self, theta, X, Y, loss=None, lambd=0,
                          sample_weight=None, dropout_masks=None, label_smoothing=0.0, *, l1=0.0):
        r"""The cost and its flat gradient at the flat parameters ``theta`` (not the model's own).

        The one function every solver and check uses, in the spirit of scikit-learn's
        ``_loss_grad_lbfgs``: the gradient check, L-BFGS and the loss-surface plots. The model is
        not changed. Batch normalization runs in training mode (batch statistics over ``X``).

        Parameters
        ----------
        theta : ndarray of shape (n_parameters,)
            Flat parameters in the layout of :attr:`theta`; the computation runs in its dtype
            (float32 or float64; anything else is computed in float64).
        X : array of shape (n_features, m)
        Y : array
            Labels in the loss's format.
        loss : str or loss, optional
            Default: the model's :attr:`default_loss`.
        lambd : float, default 0
        sample_weight : array of shape (m,), optional
        dropout_masks : dict of int to ndarray, optional
            Frozen dropout masks by layer (``0`` is the input), each of shape ``(n_l, m)`` and
            already scaled by ``1/keep_prob`` (:func:`scratchnn.layers.dropout_mask`).
        label_smoothing : float in [0, 1), default 0
            Smooth the targets as ``train`` does (:func:`scratchnn.losses.smooth_labels`).
        l1 : float, default 0
            L1 regularization strength :math:`\lambda_1 \ge 0` (see ``train``).

        Returns
        -------
        cost : float
        gradient : ndarray of shape (n_parameters,), in the dtype of the computation
        """
        return self.objective(X, Y, loss, lambd, sample_weight, dropout_masks,
                              label_smoothing, l1=l1)(theta)

    def objective(self, X, Y, loss=None, lambd=0, sample_weight=None,
                  dropout_masks=None, label_smoothing=0.0, *, l1=0.0):
        """:meth:`cost_and_gradient` with its data checked once: a callable ``f(theta)``.

        Returns
        -------
        Objective
            ``f(theta)`` gives ``(cost, gradient)``; ``f.cost(theta)`` the cost alone.
        """
        return Objective(self, X, Y, loss, lambd, sample_weight, dropout_masks, label_smoothing,
                         l1=l1)

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
        return _training.random_mini_batches(self._check_X(X), Y, batch_size, seed, self.rng)

    # ------------------------------------------------------------------ training
    def train(self, X, Y, loss=None, num_epochs=100, learning_rate=0.01,
              batch_size=64, lambd=0, keep_prob=None, print_cost=True, optimizer="gd",
              beta1=0.9, beta2=0.999, epsilon=1e-8, callback=None, *, sample_weight=None,
              resume=False, checkpoint=None, checkpoint_every=1, validation_data=None,
              callbacks=None, lr_schedule=None, clipnorm=None, clipvalue=None,
              weight_decay=None, label_smoothing=0.0, l1=0.0, n_threads=None):
        r"""Train the network with mini-batch gradient-based optimization.

        Each epoch reshuffles the examples (with the model's generator), and for every mini-batch
        runs forward propagation, the cost, backward propagation and one optimizer step. Training
        continues from the current parameters; the optimizer starts fresh on every call.

        Parameters
        ----------
        X : array of shape (n_features, m)
        Y : array
            In the loss's format. A classifier's labels: ``(k, m)`` 0/1 for BinaryCrossEntropy
            (k sigmoid outputs), ``(C, m)`` one-hot for CategoricalCrossEntropy, ``(1, m)``
            class indices for SparseCategoricalCrossEntropy. A regressor's targets: ``(k, m)``
            finite numbers, one row per output (``(m,)`` for one output).
        loss : str or loss, optional
            One of :data:`scratchnn.losses.LOSSES` of the model's task
            (``'SpareCategoricalCrossEntropy'``, the seed's spelling, is accepted too; so is a
            ``Huber(delta=...)`` instance). Default: the model's :attr:`default_loss`,
            ``'BinaryCrossEntropy'`` for ClassifierNN, ``'MeanSquaredError'`` for RegressorNN.
        num_epochs : int, default 100
            Passes over the training data.
        learning_rate : float, default 0.01
        batch_size : int or None, default 64
            ``None`` or ``>= m`` gives full-batch gradient descent; the last partial batch is kept.
        lambd : float, default 0
            L2 regularization strength.
        keep_prob : sequence of float, length L, optional
            Dropout keep probabilities for the input and each hidden layer (see
            :meth:`forward_propagation`). Never applied by ``predict`` or
            :meth:`predict_output`.
        print_cost : bool, default True
            Show a progress bar with the epoch and cost.
        optimizer : {'gd', 'momentum', 'nesterov', 'rmsprop', 'adam', 'adamw', 'nadam', 'lbfgs'}, default 'gd'
            See :mod:`scratchnn.optimizers`. ``'lbfgs'`` runs SciPy's full-batch L-BFGS-B over
            :meth:`cost_and_gradient` (the ``scipy`` extra): ``num_epochs`` is its iteration limit,
            ``costs`` has one value per iteration, and ``batch_size``, ``learning_rate``, dropout,
            schedules, clipping and weight decay do not apply (the last four are refused).
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
            ``ClassifierNN.load(checkpoint)`` (``RegressorNN.load`` for a regressor) then
            ``train(..., resume=True)`` continues exactly
            as if training had never stopped.
        checkpoint_every : int, default 1
            Epochs between checkpoints.
        validation_data : tuple (X_val, Y_val), optional
            Scored after every epoch (:class:`scratchnn.training.ValidationData`): ``val_loss``,
            the cost without dropout or the L2 term with batch normalization in inference mode,
            and ``val_accuracy`` for a classifier, ``val_r2`` (:math:`R^2` averaged over the
            outputs) for a regressor. ``Y_val`` is in the same format as ``Y``.
        callbacks : sequence of scratchnn.callback.Callback, optional
            Hooks called by the training loop (:mod:`scratchnn.callbacks`): ``EarlyStopping``,
            ``ReduceLROnPlateau``, ``ModelCheckpoint``, ``CSVLogger`` or your own. A callback
            that monitors a ``val_*`` value needs ``validation_data``.
        lr_schedule : Schedule or 'cosine', optional
            The learning rate of each epoch from ``learning_rate`` (:mod:`scratchnn.schedules`);
            ``'cosine'`` is ``CosineDecay(num_epochs)``. Epochs count from 0 and continue across
            ``resume``.
        clipnorm, clipvalue : float > 0, optional
            Clip the gradient before each step: rescale it to a global L2 norm of at most
            ``clipnorm``, then clamp each component into ``[-clipvalue, clipvalue]``
            (:func:`scratchnn.training.clip_gradient`).
        weight_decay : float >= 0, optional
            Decoupled weight decay of the weights ``W`` (not biases or batch-norm parameters):
            each step also does ``W -= learning_rate * weight_decay * W``. Default: 0.01 for
            ``'adamw'``, 0 otherwise.
        label_smoothing : float in [0, 1), default 0
            Train toward ``(1 - eps) y + eps / C`` (categorical losses) or ``y (1 - eps) + eps / 2``
            (binary), :func:`scratchnn.losses.smooth_labels`. Classification only: a regressor
            refuses any value but 0.
        l1 : float, default 0
            L1 regularization strength :math:`\lambda_1 \ge 0`, beside or instead of ``lambd``:
            the cost gains :math:`\frac{\lambda_1}{m}\sum_{l}\sum_{i,j}|W^{[l]}_{ij}|` and each
            weight gradient :math:`\frac{\lambda_1}{m}\operatorname{sign}(W^{[l]})` (``m``: the
            mini-batch's size; weights only). It pulls every weight towards 0 by the same amount,
            so small weights end near 0 (a sign step oscillates around 0 rather than landing on it).
        n_threads : int >= 1 or None, default None
            BLAS threads for this call only (restored afterwards). ``None`` chooses for the
            machine as it is: CPU affinity, container quota, one thread in a dask worker or
            joblib child, and a tuner that times a few steps at each count now and then and keeps
            the faster (:mod:`scratchnn.threads`).

        Returns
        -------
        parameters : dict of str to ndarray
            The model's live parameters.
        costs : list of float
            One cost per epoch: the example-weighted mean of that epoch's mini-batch costs,
            L2 term included. ``history`` holds it as ``"loss"`` beside the epoch's
            ``"learning_rate"`` (and ``"val_loss"`` with ``"val_accuracy"`` or ``"val_r2"``
            with validation data).

        Raises
        ------
        DivergenceError
            If a cost or gradient becomes NaN or infinite. The parameters of the last finite step
            stay in place (unless a callback wrote NaN into them: the message then says so);
            the error's ``costs`` attribute holds the costs of completed epochs.
        RuntimeError
            If called from a callback of a ``train`` call running on this model.
        KeyboardInterrupt
            On Ctrl-C the step in progress is completed, the model keeps its parameters (and
            ``costs`` the completed epochs' costs), a warning says so, and the interrupt is
            raised again. A second Ctrl-C interrupts at once.
        """
        data, settings, callbacks = _training.prepare(self, X, Y, dict(
            loss=loss, num_epochs=num_epochs, learning_rate=learning_rate, batch_size=batch_size,
            lambd=lambd, keep_prob=keep_prob, print_cost=print_cost, optimizer=optimizer,
            beta1=beta1, beta2=beta2, epsilon=epsilon, callback=callback,
            sample_weight=sample_weight, resume=resume, checkpoint=checkpoint,
            checkpoint_every=checkpoint_every, validation_data=validation_data,
            callbacks=callbacks, lr_schedule=lr_schedule, clipnorm=clipnorm,
            clipvalue=clipvalue, weight_decay=weight_decay, label_smoothing=label_smoothing,
            l1=l1, n_threads=n_threads))
        costs = _training.fit(self, data, settings, callbacks)
        return self.parameters, costs

    # ------------------------------------------------------------------ inference
    def predict_output(self, X):
        """Output activations for ``X``: an array of shape ``(n_L, m)``, in the model's dtype.

        No dropout, and batch normalization uses its running statistics. Large inputs are
        processed in chunks of ``PREDICT_CHUNK`` examples, so memory stays bounded whatever ``m``
        is. (A classifier's ``predict_proba`` and a regressor's ``predict``.)
        """
        X = check_X(X, self.n_features)
        m = X.shape[1]
        dtype = self.compute_dtype
        A = np.empty((self.n_outputs, m), dtype)
        # Inputs near the float range can overflow a product W A to inf; that is reported below as
        # bad input instead of letting inf - inf turn into silent NaN outputs.
        workspaces = {}  # by chunk size: the full one, and the last remainder
        with np.errstate(over="ignore", invalid="ignore"), _threads.blas_threads(tune=False):
            for start in range(0, m, PREDICT_CHUNK):
                chunk = X[:, start:start + PREDICT_CHUNK].astype(dtype, copy=False)
                size = chunk.shape[1]
                if size not in workspaces:
                    workspaces[size] = self.make_workspace(size, training=False)
                A[:, start:start + size], _ = self.forward(chunk, workspace=workspaces[size])
        if not (np.isfinite(A.min()) and np.isfinite(A.max())):
            raise ValueError(
                "X is too large for this network: the forward pass overflowed (scale the features)"
            )
        return A

    # ------------------------------------------------------------------ tools
    def gradient_check(self, X, Y, loss=None, lambd=0, keep_prob=None,
                       epsilon=1e-7, return_details=False, sample_weight=None,
                       label_smoothing=0.0, *, l1=0.0):
        """Compare backpropagation with central differences; return the relative difference.

        Works for any configuration (dropout with frozen masks, batch normalization in training
        mode), in float64 on a copy of the parameters. A correct gradient gives ~1e-9.
        See :func:`scratchnn.gradcheck.gradient_check`.
        """
        from .gradcheck import gradient_check

        return gradient_check(self, X, Y, loss=loss, lambd=lambd, keep_prob=keep_prob,
                              epsilon=epsilon, return_details=return_details,
                              sample_weight=sample_weight, label_smoothing=label_smoothing,
                              l1=l1)

    def save(self, path):
        """Save the model to ``path`` (``.npz`` arrays plus a JSON header); see :mod:`scratchnn.io`."""
        _io.save(self, path)

    @classmethod
    def load(cls, path):
        """Load a model written by :meth:`save` or a ``train`` checkpoint.

        A checkpoint also restores the optimizer (so ``train(..., resume=True)`` continues it),
        the random generator's state and ``costs``. See :func:`scratchnn.io.load`.

        Raises
        ------
        ValueError
            If the file holds another kind of model (a regressor for ``ClassifierNN.load``, say);
            ``NeuralNetwork.load`` returns whichever model the file holds.
        """
        model = _training.load(path)
        if not isinstance(model, cls):
            kind = type(model).__name__
            raise ValueError(f"{path} holds a {kind}, not a {cls.__name__}: load it with "
                             f"{kind}.load")
        return model

    def to_onnx(self, path):
        """Export the network as an ONNX graph; see :func:`scratchnn.export.to_onnx`."""
        from .export import to_onnx

        return to_onnx(self, path)

    def __repr__(self):
        return (
            f"{type(self).__name__}(layer_dims={self.layer_dims}, "
            f"activations={self.activations}, "
            f"batch_norm={self.batch_norm})"
        )

