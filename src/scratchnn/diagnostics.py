r"""See inside a training run: per-layer gradient and weight norms, update sizes, dead and
saturated units, activation statistics, recorded epoch by epoch by a callback.

:class:`Diagnostics` plugs into the training loop (:func:`scratchnn.training.fit`) as a
:class:`scratchnn.callback.Callback`. After every optimizer step it reads the step's forward
cache and gradients (:class:`scratchnn.training.Step`) and the model's weights; after every epoch
it turns what it gathered into one row per quantity. :func:`scratchnn.plotting.plot_diagnostics`
draws the rows; :meth:`Diagnostics.problems` says in words what looks wrong at the end.

For every weight layer :math:`l = 1, \dots, L` and epoch, with :math:`t` running over the
epoch's steps and :math:`\|\cdot\|` the Frobenius norm:

``grad_norm``
    :math:`\operatorname{mean}_t \|dW^{[l]}_t\|`, the size of the gradient the step used.
``weight_norm``
    :math:`\|W^{[l]}\|` after the epoch's last step.
``update_ratio``
    :math:`\operatorname{mean}_t \|W^{[l]}_t - W^{[l]}_{t-1}\| / \|W^{[l]}_{t-1}\|`: how far one
    step moves the weights, relative to their size (about 1e-3 is the usual healthy figure; far
    larger means the steps overshoot, far smaller that the layer hardly learns).
``dead_fraction``
    relu hidden layers only: the share of units whose output :math:`A^{[l]}` was not positive on
    any example of the epoch. Such a unit passes no gradient (:math:`\operatorname{relu}'(z) = 0`
    for :math:`z \le 0`), so nothing can revive it but a change of the layers below.
``saturated_fraction``
    sigmoid and tanh hidden layers only: the share of units whose output was within
    :data:`SATURATION_TOLERANCE` of the activation's bounds (0 and 1, or -1 and 1) on every
    example of the epoch, where their derivative is nearly 0.
``activation_mean``, ``activation_std``
    the mean and standard deviation of :math:`A^{[l]}` over the epoch's examples and the layer's
    units.

The activations are those of each step's forward pass (training mode, before dropout), so they
belong to the weights before that step; the whole epoch's examples are counted once each.
Quantities that do not apply to a layer (the dead fraction of a tanh layer, anything of the
output layer but norms and activation statistics) are NaN.
"""

import contextlib
import math
import warnings

import numpy as np

from .callback import Callback
from .validation import check_bool

__all__ = ["Diagnostics", "TrainingProblemWarning", "QUANTITIES", "SATURATION_TOLERANCE",
           "describe_problems", "end_of_training_problems", "Problem", "ADVICE",
           "advice_for"]

QUANTITIES = ("grad_norm", "weight_norm", "update_ratio", "dead_fraction", "saturated_fraction",
              "activation_mean", "activation_std")
"""The names of :attr:`Diagnostics.history`, in the order they are drawn."""

SATURATION_TOLERANCE = 1e-3
"""How close to a bound a sigmoid or tanh output counts as saturated."""

DEAD_WARNING = 0.5
"""A hidden layer with at least this share of dead (or saturated) units is reported."""

VANISHING_RATIO = 1e-4
"""The first layer's gradient norm below this times the last layer's is reported."""

_BOUNDS = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}

ADVICE = {
    "library": {
        "dead": "leaky_relu hidden layers, a lower learning rate, {he}batch_norm=True, or "
                "another seed",
        "vanishing": "relu or leaky_relu instead of sigmoid/tanh, a lower learning rate, "
                     "batch_norm=True, {he}fewer layers, another seed",
    },
    "cli": {
        "dead": "--activation leaky_relu, a lower --lr, --batch-norm, or another --seed",
        "vanishing": "--activation relu or leaky_relu, a lower --lr, --batch-norm, fewer "
                     "--hidden layers, another --seed",
    },
    "estimator": {
        "dead": "activation='leaky_relu', a lower learning_rate, batch_norm=True, or another "
                "random_state",
        "vanishing": "activation='relu' or 'leaky_relu', a lower learning_rate, "
                     "batch_norm=True, fewer hidden_layer_sizes, another random_state",
    },
}
"""What helps against each problem, in the words of each interface: ``ClassifierNN``'s
arguments (``library``), the command line's options (``cli``) and ``NNClassifier``'s parameters
(``estimator``). Advice names only options the user can pass where they are."""

_HE = {"dead": "He initialization (initialization_method='he'), ",
       "vanishing": "He or Xavier initialization (initialization_method='he'), "}


class Problem(str):
    """One sentence of :func:`describe_problems`: what went wrong, then what helps, in the
    library's words (a ``str``); :meth:`advice` says it for another interface.

    Attributes
    ----------
    finding : str
        The sentence without the advice.
    kind : {'dead', 'vanishing'}
    """

    def __new__(cls, finding, kind, initialization=None):
        he = "" if initialization == "he" else _HE[kind]
        text = f"{finding}; what helps: {ADVICE['library'][kind].format(he=he)}"
        self = super().__new__(cls, text)
        self.finding, self.kind = finding, kind
        return self

    def advice(self, interface):
        """The sentence with the advice of ``interface`` (a key of :data:`ADVICE`)."""
        if interface == "library":
            return str(self)
        return f"{self.finding}; what helps: {ADVICE[interface][self.kind]}"


@contextlib.contextmanager
def advice_for(interface):
    """Re-issue the :class:`TrainingProblemWarning` raised inside with the advice of
    ``interface`` (a key of :data:`ADVICE`); any other warning is issued again as it came."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TrainingProblemWarning)
        yield
    for caught_warning in caught:
        text = caught_warning.message.args[0] if caught_warning.message.args else ""
        if issubclass(caught_warning.category, TrainingProblemWarning) and isinstance(
                text, Problem):
            warnings.warn_explicit(text.advice(interface), caught_warning.category,
                                   caught_warning.filename, caught_warning.lineno)
        else:
            warnings.warn_explicit(caught_warning.message, caught_warning.category,
                                   caught_warning.filename, caught_warning.lineno)


class TrainingProblemWarning(UserWarning):
    """Issued at the end of every training run that ends with a mostly dead hidden layer or
    vanishing gradients (:func:`end_of_training_problems`), and by :class:`Diagnostics`
    (``warn=True``) for what it recorded; the message names the layer, the numbers and what
    helps. Silence it with ``warnings.filterwarnings("ignore", category=TrainingProblemWarning)``."""


class _Epoch:
    """Sums over the steps of one epoch, for one model (one slot per weight layer)."""

    def __init__(self, n_layers, units, hidden):
        self.steps = 0
        self.grad_norm = np.zeros(n_layers)
        self.update_ratio = np.zeros(n_layers)
        self.update_steps = np.zeros(n_layers)  # steps with a non-zero previous weight norm
        self.total = np.zeros(n_layers)
        self.total_sq = np.zeros(n_layers)
        self.count = np.zeros(n_layers)
        # Per hidden unit: ever positive (relu), always near a bound (sigmoid, tanh).
        self.ever_positive = [np.zeros(n, dtype=bool) for n in units[:hidden]]
        self.always_saturated = [np.ones(n, dtype=bool) for n in units[:hidden]]


class Diagnostics(Callback):
    r"""Record per layer and epoch what shows whether (and why) a network learns.

    Pass it among the callbacks of a training run; afterwards :attr:`history` holds, for each
    quantity of :data:`QUANTITIES`, an array of shape ``(n_epochs, L)`` (one column per weight
    layer ``1 .. L``). See the module docstring for the definitions.

    Parameters
    ----------
    warn : bool, default False
        At the end of training, issue a :class:`TrainingProblemWarning` for each of
        :meth:`problems`.

    Attributes
    ----------
    history : dict of str to ndarray of shape (n_epochs, L)
        One row per completed epoch, one column per weight layer.
    layer_names : list of str
        ``"layer l (activation)"`` for each column.
    activations : list of str
        The activation of each layer.

    Notes
    -----
    The cost per step is a few passes over the layers' outputs and weights (no extra forward or
    backward pass), small beside the step's matrix products.
    """

    def __init__(self, warn=False):
        self.warn = check_bool(warn, "warn")
        self._rows = {name: [] for name in QUANTITIES}
        self._width, self._history = 0, None
        self.layer_names, self.activations = [], []

    # ------------------------------------------------------------------ the callback
    def on_train_begin(self, model):
        self.model = model
        self.activations = list(model.activations)
        self.n_layers = L = len(self.activations)
        self.layer_names = [f"layer {l} ({name})" for l, name in enumerate(self.activations, 1)]
        self._units = list(model.layer_dims[1:])
        self._hidden = L - 1
        self._rows = {name: [] for name in QUANTITIES}
        self._width, self._history = L, None
        self._previous = [model.parameters[f"W{l}"].copy() for l in range(1, L + 1)]
        self._epoch = _Epoch(L, self._units, self._hidden)

    def on_batch_end(self, step):
        epoch, model = self._epoch, step.model
        epoch.steps += 1
        for i in range(self.n_layers):
            l = i + 1
            W, previous = model.parameters[f"W{l}"], self._previous[i]
            epoch.grad_norm[i] += _norm(step.grads[f"dW{l}"])
            size = _norm(previous)
            if size > 0.0:
                np.subtract(W, previous, out=previous)
                epoch.update_ratio[i] += _norm(previous) / size
                epoch.update_steps[i] += 1
            np.copyto(previous, W)
            A = step.caches.layers[l].A
            epoch.total[i] += float(np.sum(A, dtype=np.float64))
            epoch.total_sq[i] += float(np.vdot(A, A))
            epoch.count[i] += A.size
            if i < self._hidden:
                name = self.activations[i]
                if name == "relu":
                    np.logical_or(epoch.ever_positive[i], (A > 0).any(axis=1),
                                  out=epoch.ever_positive[i])
                elif name in _BOUNDS:
                    low, high = _BOUNDS[name]
                    near = (A <= low + SATURATION_TOLERANCE) | (A >= high - SATURATION_TOLERANCE)
                    np.logical_and(epoch.always_saturated[i], near.all(axis=1),
                                   out=epoch.always_saturated[i])

    def on_epoch_end(self, epoch_number, logs):
        epoch, L = self._epoch, self.n_layers
        nan = np.full(L, np.nan)
        steps = max(epoch.steps, 1)
        mean = np.divide(epoch.total, epoch.count, out=nan.copy(), where=epoch.count > 0)
        mean_sq = np.divide(epoch.total_sq, epoch.count, out=nan.copy(), where=epoch.count > 0)
        dead, saturated = nan.copy(), nan.copy()
        for i in range(self._hidden):
            if self.activations[i] == "relu":
                dead[i] = 1.0 - float(np.mean(epoch.ever_positive[i]))
            elif self.activations[i] in _BOUNDS:
                saturated[i] = float(np.mean(epoch.always_saturated[i]))
        row = {
            "grad_norm": epoch.grad_norm / steps,
            "weight_norm": np.array([_norm(self.model.parameters[f"W{l}"])
                                     for l in range(1, L + 1)]),
            "update_ratio": np.divide(epoch.update_ratio, epoch.update_steps, out=nan.copy(),
                                      where=epoch.update_steps > 0),
            "dead_fraction": dead,
            "saturated_fraction": saturated,
            "activation_mean": mean,
            # E[A^2] - E[A]^2 can come out a hair below 0 by rounding.
            "activation_std": np.sqrt(np.maximum(mean_sq - mean**2, 0.0)),
        }
        for name, values in row.items():
            self._rows[name].append(values)
        self._history = None  # stacked again on the next read, not every epoch
        self._epoch = _Epoch(L, self._units, self._hidden)
        return False

    def on_train_end(self, logs):
        if self.warn:
            for message in self.problems():
                warnings.warn(message, TrainingProblemWarning, stacklevel=2)

    # ------------------------------------------------------------------ reading the record
    @property
    def history(self):
        """Each quantity's record: name -> array of shape ``(n_epochs, L)``, one row an epoch.

        Stacked from the per-epoch rows when read (and kept until the next epoch), so recording
        costs the same in epoch 1,000 as in epoch 1.
        """
        if self._history is None:
            self._history = {name: np.array(rows) if rows else np.empty((0, self._width))
                             for name, rows in self._rows.items()}
        return self._history

    @property
    def n_epochs(self):
        """The number of epochs recorded."""
        return len(self._rows["grad_norm"])

    def last(self, name):
        """The last epoch's row of quantity ``name``: an array of shape ``(L,)``."""
        if name not in QUANTITIES:
            raise ValueError(f"name must be one of {list(QUANTITIES)}, got {name!r}")
        if self.n_epochs == 0:
            raise ValueError("no epoch recorded yet: train with this callback first")
        return np.asarray(self._rows[name][-1])

    def problems(self):
        """What looks wrong after the last recorded epoch, one sentence each (empty if nothing).

        Reported: a hidden layer with at least half its units dead (relu) or saturated (sigmoid,
        tanh); a first-layer gradient norm above 0 but below 1e-4 of the last layer's
        (vanishing gradients). Each sentence names the layer and the numbers, and what usually helps.
        """
        if self.n_epochs == 0:
            return []
        hidden = range(self._hidden)
        return describe_problems(
            self.layer_names, self._units[:self._hidden],
            [self.last("dead_fraction")[i] for i in hidden],
            [self.last("saturated_fraction")[i] for i in hidden],
            self.last("grad_norm"), "in the last epoch", "in the last epoch",
            getattr(self.model, "initialization_method", None))


def describe_problems(layer_names, units, dead, saturated, grad_norms, units_when, grad_when,
                      initialization=None):
    """The rule of :meth:`Diagnostics.problems` and of the check at the end of every training
    run (:func:`end_of_training_problems`), one sentence per problem found.

    Parameters
    ----------
    layer_names : list of str
        ``"layer l (activation)"`` for every weight layer.
    units : sequence of int
        The width of each hidden layer.
    dead, saturated : sequence of float
        Per hidden layer, the share of dead (relu) or saturated (sigmoid, tanh) units; NaN where
        it does not apply or was not measured.
    grad_norms : sequence of float or None
        The gradient norm of every weight layer; None skips the vanishing-gradient rule.
    units_when, grad_when : str
        What the shares and the gradient norms were measured on ("in the last epoch", ...),
        said in the sentences.
    initialization : str, optional
        The model's initialization: He initialization is not advised to a model that has it.

    Returns
    -------
    list of Problem
        Strings, the advice in the library's words (:meth:`Problem.advice` for the others').
    """
    messages = []
    for i, width in enumerate(units):
        for shares, what in ((dead, "dead (never positive on any example)"),
                             (saturated, "saturated (always within "
                              f"{SATURATION_TOLERANCE:g} of a bound)")):
            share = shares[i]
            if not math.isnan(share) and share >= DEAD_WARNING:
                count = round(share * width)
                messages.append(Problem(
                    f"{layer_names[i]}: {count} of {width} units ended the training {what} "
                    f"{units_when}, so they pass no gradient", "dead", initialization))
    if grad_norms is not None and len(grad_norms) > 1:
        first, last = grad_norms[0], grad_norms[-1]
        # A gradient of exactly 0 is no signal at all (inputs all 0, or a dead first layer,
        # which the rule above reports), not a vanishing one.
        if 0.0 < first < VANISHING_RATIO * last:
            messages.append(Problem(
                f"vanishing gradients: the gradient norm of {layer_names[0]} ({first:.3g}) is "
                f"{first / last:.2g} times that of {layer_names[-1]} ({last:.3g}) {grad_when}, "
                f"so the first layer hardly learns", "vanishing", initialization))
    return messages


SAMPLE_ROWS = 512
"""At most this many training rows are passed forward by :func:`end_of_training_problems`."""

MIN_SAMPLE_ROWS = 32
"""With fewer training rows than this, :func:`end_of_training_problems` counts no dead units: on
a handful of examples about half of any healthy relu layer is never positive by chance."""


def end_of_training_problems(model, rows, grads=True):
    """What :func:`scratchnn.training.fit` warns about when a run ends normally.

    Dead units are counted the way :class:`Diagnostics` counts them (a relu hidden unit whose
    output is not positive on any example), on one forward pass in inference mode over the first
    :data:`SAMPLE_ROWS` of ``rows`` (examples as rows, in the model's dtype) with the final
    weights, when there are at least :data:`MIN_SAMPLE_ROWS` of them; the gradient norms are those of the last step (``model.grads``). Nothing random is
    drawn and no parameter is written. With ``grads=False`` (a full-batch run, whose last
    gradient is not the model's) only dead units are checked.
    """
    activations = list(model.activations)
    hidden = len(activations) - 1
    units = list(model.layer_dims[1:hidden + 1])
    names = [f"layer {l} ({name})" for l, name in enumerate(activations, 1)]
    dead = [math.nan] * hidden
    if rows is not None and len(rows) >= MIN_SAMPLE_ROWS and "relu" in activations[:hidden]:
        _, caches = model.forward(rows[:SAMPLE_ROWS].T, training=False)
        for i in range(hidden):
            if activations[i] == "relu":
                alive = (caches.layers[i + 1].A > 0).any(axis=1)
                dead[i] = 1.0 - float(np.mean(alive))
    grad_norms = None
    if grads:
        grad_norms = [_norm(model.grads[f"dW{l}"]) for l in range(1, len(activations) + 1)]
    sample = "" if rows is None else f"{min(len(rows), SAMPLE_ROWS)} "
    return describe_problems(names, units, dead, [math.nan] * hidden, grad_norms,
                             f"on the first {sample}training examples",
                             "in the last training step",
                             getattr(model, "initialization_method", None))


def _norm(array):
    """The Frobenius norm of ``array``, as a float (in float64 whatever the array's dtype)."""
    flat = array.reshape(-1)
    return math.sqrt(float(np.dot(flat, flat)))
