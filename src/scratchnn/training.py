r"""The one training loop: epochs, shuffled mini-batches, optimizer steps, callbacks, checkpoints.

:meth:`ClassifierNN.train` checks its arguments (:func:`prepare`) and calls :func:`fit`; so does
:class:`scratchnn.NNClassifier`, whose data may arrive as a sequence of blocks (a memory-mapped
file, dask chunks). The loop sees the model only through its public surface (``forward``,
``cost``, ``backward``, ``theta``, ``grad``, ``rng``, ...), the way an optimizer sees only a flat
buffer and its gradient.

One epoch, for each block of examples (one block for in-memory data), shuffles the block's
indices with the model's generator and, for every mini-batch of ``batch_size`` examples (the last
one keeps the remainder),

1. gathers the batch's rows into preallocated arrays (densifying them when the block is a SciPy
   sparse matrix, :func:`batch_rows`),
2. runs the forward pass, the cost and the backward pass,
3. moves the batch-norm running statistics,
4. takes one optimizer step over the flat parameters,

then reports the epoch's cost (the example-weighted mean of its batch costs) to the progress bar,
the checkpoint and the callbacks (:mod:`scratchnn.callbacks`). Work arrays are made once per
:func:`fit` call for each batch size seen, never per step or per epoch. The whole run holds the
BLAS thread count of :func:`scratchnn.threads.blas_threads` (``n_threads``, or chosen and tuned
for the machine: the tuner is told of every finished step), restored when :func:`fit` returns.

Safety: a non-finite cost or update raises :class:`DivergenceError` with the parameters of the
last finite step in place (or, if a callback wrote NaN into them, a message that says so);
Ctrl-C is deferred until the step in progress is complete. The loop also checks what its
callbacks and schedule hand it: learning rates as ``train``'s own, parameters left non-finite
at an epoch's end, and a second ``train`` of the same model from inside the run (refused).

A run that ends normally is checked once more (:func:`warn_about_problems`): a hidden layer at
least half dead or vanishing gradients give a
:class:`scratchnn.diagnostics.TrainingProblemWarning`.
"""

import dataclasses
import math
import numbers
import os
import signal
import threading
import warnings
import weakref
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import losses as _losses
from . import optimizers as _optimizers
from . import threads as _threads
from .callback import Callback, StateLimits
from .callbacks import check_states
from .diagnostics import (
    SAMPLE_ROWS,
    Diagnostics,
    TrainingProblemWarning,
    end_of_training_problems,
)
from .io import load_with_metadata as _load_with_metadata
from .io import save as _save
from .metrics import r2_from_sums
from .parameters import slices
from .validation import (
    MAX_COUNT,
    check_bool,
    check_float,
    check_int,
    check_keep_prob,
    check_sample_weight,
    check_X,
    to_float,
)

__all__ = ["Block", "ArrayData", "DivergenceError", "EpochFunction", "Step", "TrainingSettings",
           "ValidationData", "as_rows", "batch_rows", "clip_gradient", "fit", "load", "prepare",
           "random_mini_batches", "restore_checkpoint", "save_checkpoint"]

MAX_STEPS = MAX_COUNT
"""The largest step or epoch count a checkpoint may hold (``2**53``: exact as a float). A run
that would count past it is refused before it starts, and a checkpoint holding more is refused
by ``load`` and never written."""

_RUNNING = weakref.WeakSet()
"""The models a :func:`fit` call is training right now: a second run of one of them (from a
callback, or another thread) is refused, since it would replace the first run's optimizer,
costs and history under it."""

EVALUATION_CHUNK = 4096
"""Validation examples per forward pass: memory stays bounded whatever the set's size."""


class DivergenceError(ValueError, FloatingPointError):
    """Training produced a NaN or infinite cost or gradient (usually: the learning rate is too high).

    It is a ``ValueError`` (a hyperparameter was unsuitable) and a ``FloatingPointError``.
    """


@dataclass(frozen=True)
class TrainingSettings:
    """Everything one training run needs besides the model and the data, already checked.

    The fields are :meth:`ClassifierNN.train`'s arguments of the same names; ``loss`` and
    ``optimizer`` are the classes from :mod:`scratchnn.losses` and :mod:`scratchnn.optimizers`.
    """

    loss: type
    num_epochs: int
    learning_rate: float
    batch_size: int = None
    lambd: float = 0.0
    l1: float = 0.0
    keep_prob: tuple = None
    optimizer: type = _optimizers.GradientDescent
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    resume: bool = False
    print_cost: bool = False
    checkpoint: str = None
    checkpoint_every: int = 1
    validation: object = None
    lr_schedule: object = None
    clipnorm: float = None
    clipvalue: float = None
    weight_decay: float = 0.0
    n_threads: int = None


def as_rows(M, dtype):
    """``M.T`` as a C-contiguous array of ``dtype``: one example per row (no copy if it is one)."""
    rows = M.T
    if rows.flags.c_contiguous and rows.dtype == dtype:
        return rows
    out = np.empty(rows.shape, dtype)
    out[...] = rows  # transpose and cast in one pass
    return out


class Block(NamedTuple):
    """Examples as rows, ready for the loop.

    Attributes
    ----------
    X : ndarray of shape (m, n_features), C-contiguous, in the model's dtype
        Or a SciPy sparse CSR matrix of that shape and dtype, densified one mini-batch at a time
        (:func:`batch_rows`); full-batch L-BFGS refuses it.
    Y : ndarray of shape (m, k)
        Checked labels (:meth:`ClassifierNN.check_labels`), one example per row.
    weights : ndarray of shape (m, 1) or None
        Per-example loss weights.
    """

    X: np.ndarray
    Y: np.ndarray
    weights: np.ndarray = None


def batch_rows(X, index, out):
    """Rows ``index`` of a block's ``X``, as a dense array (in ``out`` when it must be made).

    This is where a sparse block becomes dense: one mini-batch at a time, so that a wide sparse
    ``X`` (one-hot columns) is never densified whole.

    Parameters
    ----------
    X : ndarray of shape (m, n_features), or a SciPy sparse CSR matrix of that shape
        A :class:`Block`'s ``X``, in the model's dtype.
    index : int array of shape (b,) or None
        The rows, in batch order; ``None`` for all of them (an ndarray ``X`` is then returned as
        it is, with no copy).
    out : ndarray of shape (b, n_features), C-contiguous, of ``X``'s dtype
        The batch's work array.

    Returns
    -------
    ndarray of shape (b, n_features)
    """
    if isinstance(X, np.ndarray):
        if index is None:
            return X
        # mode="clip" lets take write straight into out (the indices are valid anyway); the
        # method skips np.take's Python dispatch, a microsecond a call.
        return X.take(index, axis=0, out=out, mode="clip")
    return (X if index is None else X[index]).toarray(out=out)


class ArrayData:
    """Training data held in memory as one :class:`Block`.

    Any object with the attributes ``n`` (the number of examples) and ``n_blocks`` and a method
    ``blocks(rng)`` yielding :class:`Block` objects can be given to :func:`fit` instead;
    :class:`scratchnn.NNClassifier` streams memory-mapped data that way.
    """

    n_blocks = 1

    def __init__(self, block):
        self.block = block
        self.n = block.X.shape[0]

    @classmethod
    def from_columns(cls, X, Y, weights, dtype):
        """From the engine's layout: ``X`` ``(n_features, m)``, checked ``Y`` ``(k, m)`` and
        ``weights`` ``(1, m)`` or None. Made once per call, so that a mini-batch is a gather of
        contiguous rows, several times cheaper than gathering columns."""
        return cls(Block(as_rows(X, dtype), as_rows(Y, Y.dtype),
                         None if weights is None else as_rows(weights, dtype)))

    def blocks(self, rng):
        return (self.block,)


class ValidationData:
    """A held-out set scored after every epoch: ``val_loss``, and ``val_accuracy`` for a
    classification loss or ``val_r2`` for a regression loss.

    The cost is the training loss (label smoothing included, as Keras computes it) without the L2
    term, with no dropout and batch normalization in inference mode (running statistics); the
    accuracy counts the examples whose predicted label is right (for several sigmoid outputs,
    the mean over outputs and examples of thresholded agreement, Keras's ``binary_accuracy``);
    :math:`R^2` is averaged over the outputs (:func:`scratchnn.metrics.r2_score`).

    Parameters
    ----------
    X : ndarray of shape (n_features, m), in the model's dtype
    Y : ndarray
        Labels checked for ``loss``, in its format (possibly smoothed).
    loss : loss class
    labels : ndarray of shape (1, m) or (k, m), or None
        The hard labels accuracy compares with: class indices, or 0/1 rows for sigmoid outputs;
        None for a regression loss.
    """

    def __init__(self, X, Y, loss, labels):
        self.X, self.Y, self.loss, self.labels = X, Y, loss, labels
        self._workspaces = {}
        if loss.task == "regression":  # R^2's denominator, the same at every epoch
            Y64 = Y.astype(np.float64)
            self._ss_tot = np.sum((Y64 - Y64.mean(axis=1, keepdims=True)) ** 2, axis=1)

    @classmethod
    def from_arguments(cls, model, validation_data, loss, label_smoothing, dtype):
        """``train``'s ``validation_data = (X_val, Y_val)``, checked for ``model`` and ``loss``."""
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError(f"validation_data must be a tuple (X_val, Y_val), got "
                            f"{type(validation_data).__name__}")
        X_val = check_X(validation_data[0], model.n_features, "validation_data X_val")
        Y_val = model.check_labels(validation_data[1], loss, X_val.shape[1], dtype,
                                   name="validation_data Y_val", x_name="validation_data X_val")
        one_hot = loss is _losses.CategoricalCrossEntropy
        labels = np.argmax(Y_val, axis=0)[None] if one_hot else Y_val
        if loss.task == "regression":
            labels = None
        loss, Y_val = _losses.smooth_labels(loss, Y_val, label_smoothing, model.n_outputs)
        if Y_val.dtype.kind == "f":
            Y_val = Y_val.astype(dtype, copy=False)
        return cls(X_val.astype(dtype), Y_val, loss, labels)

    def evaluate(self, model):
        m = self.X.shape[1]
        total_cost = correct = 0.0
        regression = self.labels is None
        ss_res = 0.0
        for start in range(0, m, EVALUATION_CHUNK):
            stop = min(start + EVALUATION_CHUNK, m)
            size = stop - start
            if size not in self._workspaces:  # made once per fit for each chunk size
                self._workspaces[size] = model.make_workspace(size, training=False)
            A, caches = model.forward(self.X[:, start:stop], workspace=self._workspaces[size])
            total_cost += size * model.cost(A, self.Y[:, start:stop], self.loss, 0.0,
                                            Z=caches.layers[-1].Z)
            if regression:
                residual = A.astype(np.float64) - self.Y[:, start:stop]
                ss_res = ss_res + np.sum(residual * residual, axis=1)
                continue
            labels = self.labels[:, start:stop]
            if A.shape[0] == 1 or labels.shape[0] > 1:
                correct += np.mean((A > 0.5) == (labels > 0.5), axis=0).sum()
            else:
                correct += np.count_nonzero(np.argmax(A, axis=0) == labels[0])
        if regression:
            r2 = float(np.mean(r2_from_sums(ss_res, self._ss_tot)))
            return {"val_loss": total_cost / m, "val_r2": r2}
        return {"val_loss": total_cost / m, "val_accuracy": float(correct) / m}


class Step(NamedTuple):
    """What :meth:`Callback.on_batch_end` sees after an optimizer step.

    Attributes
    ----------
    model : ClassifierNN
    caches : ForwardCache
        The step's forward cache (``caches.layers[l].A`` is layer ``l``'s output).
    grads : dict of str to ndarray
        The step's gradients by name (``dW1``, ...), views of ``model.grad``.
    learning_rate : float
    """

    model: object
    caches: object
    grads: dict
    learning_rate: float


class EpochFunction(Callback):
    """The ``callback(epoch, cost)`` function of :meth:`ClassifierNN.train` as a :class:`Callback`."""

    def __init__(self, function):
        if not callable(function):
            raise TypeError(f"callback must be callable or None, got {function!r}")
        self.function = function

    def on_epoch_end(self, epoch, logs):
        return self.function(epoch, logs["loss"])


class _Buffers(NamedTuple):
    """A model workspace plus the rows of one mini-batch, for one batch size."""

    workspace: object
    X: np.ndarray
    Y: np.ndarray
    weights: np.ndarray


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


class _Run:
    """The working state of one :func:`fit` call: settings, buffers, callbacks, costs so far."""

    def __init__(self, model, settings, callbacks, threads):
        self.model, self.settings, self.callbacks = model, settings, callbacks
        self.threads = threads  # the BLAS thread count's tuner (scratchnn.threads)
        self.logs = {}
        self.buffers = {}  # by batch size: the settings' and at most one other (buffers_for)
        self.batch_callbacks = [c for c in callbacks
                                if type(c).on_batch_end is not Callback.on_batch_end]
        self.interrupt = _DeferredInterrupt()
        self.costs = []
        self.last_block = None  # the block of the last step, sampled by the end-of-run check

    def buffers_for(self, size, block):
        """The work arrays for batches of ``size`` examples of ``block``, made on first use.

        Kept for the full batch size and for one other, the last one asked for: blocks of
        different sizes (a memory-mapped ``X`` with rows held out) each end on a batch of
        their own size, and keeping one set per size would hold up to ``batch_size`` sets.
        """
        buffers = self.buffers.get(size)
        if buffers is None:
            if size != self.settings.batch_size:
                self.buffers = {key: value for key, value in self.buffers.items()
                                if key == self.settings.batch_size}
            dtype = self.model.compute_dtype
            buffers = self.buffers[size] = _Buffers(
                self.model.make_workspace(size, self.settings.keep_prob),
                np.empty((size, block.X.shape[1]), dtype),
                np.empty((size, block.Y.shape[1]), block.Y.dtype),
                np.empty((size, 1), dtype))
        return buffers

    def diverged(self, epoch, cost):
        """Raise :class:`DivergenceError`, saying what the model now holds.

        An optimizer step never writes a non-finite value, so the parameters are those of the
        last finite step, unless something outside the loop (a callback) wrote NaN or infinity
        into them: then the message says so instead.
        """
        model, settings = self.model, self.settings
        what = (f"the cost became {cost}" if not math.isfinite(cost) else
                f"the update became NaN or infinite (the cost, {cost:.6g}, was still finite)")
        hint = f"try a lower learning_rate than {settings.learning_rate:g}"
        rate = model.optimizer.learning_rate
        if not settings.optimizer.full_batch and rate != settings.learning_rate:
            source = "lr_schedule" if settings.lr_schedule is not None else "a callback"
            hint += f" (the rate in use was {rate:g}, set by {source})"
        if _holds_finite_values(model):
            kept = "The parameters of the last finite step were kept."
        else:
            kept = ("The model's parameters now hold NaN or infinite values that no optimizer "
                    "step wrote (a callback or other code changed them during training); they "
                    "were left as they are.")
        error = DivergenceError(f"training diverged at epoch {epoch}: {what}; {hint}. {kept}")
        error.costs = self.costs
        raise error


def _holds_finite_values(model):
    """Whether every parameter and batch-norm running statistic of ``model`` is finite."""
    return bool(np.all(np.isfinite(model.theta))) and all(
        np.all(np.isfinite(value)) for value in model.bn_state.values())


def check_not_running(model):
    """Refuse to start a run on a model that :func:`fit` is training right now."""
    if model in _RUNNING:
        raise RuntimeError(
            "train is already running on this model: a callback (or another thread) cannot "
            "train the model that is being trained, since the inner run would replace the "
            "outer run's optimizer, costs and history; return True from on_epoch_end to stop, "
            "and train again after train returns")


def check_learning_rate(value, source, allow_zero=False):
    """A learning rate that a schedule or a callback hands the optimizer, checked as
    ``train``'s own ``learning_rate`` is: a real number, finite and > 0 (``allow_zero``: >= 0).

    ``source`` names where the value came from, and starts the message.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{source} must give the learning rate as a real number, got "
                        f"{value!r}")
    rate = to_float(value, source)
    if not math.isfinite(rate) or rate < 0.0 or (rate == 0.0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{source} must give a finite learning rate {bound}, got {rate!r}")
    return rate


def fit(model, data, settings, callbacks=()):
    """Train ``model`` on ``data``; return the list of per-epoch costs.

    Parameters
    ----------
    model : ClassifierNN
        Trained in place; its dtype must already be the data's.
    data : ArrayData or an object like it
        The examples, as blocks of rows (see :class:`ArrayData`).
    settings : TrainingSettings
    callbacks : sequence of Callback

    Returns
    -------
    list of float
        One cost per completed epoch, also kept up to date in ``model.costs`` while training
        runs. ``model.history`` holds every per-epoch value (``"loss"``, ``"learning_rate"``,
        and with validation data ``"val_loss"`` and ``"val_accuracy"``).

    Raises
    ------
    RuntimeError
        If ``model`` is being trained already (a callback calling ``train`` on it).
    """
    check_not_running(model)
    _RUNNING.add(model)
    try:
        # The BLAS thread count is chosen (and tuned) for this call only, then restored.
        with _threads.blas_threads(settings.n_threads) as threads:
            return _fit(model, data, settings, callbacks, threads)
    finally:
        _RUNNING.discard(model)


def _fit(model, data, settings, callbacks, threads):
    _start_optimizer(model, settings, data)
    run = _Run(model, settings, callbacks, threads)
    model.costs = costs = run.costs
    model.history = {}
    optimizer = model.optimizer
    progress = None
    if settings.print_cost:
        from tqdm import tqdm

        progress = tqdm(total=settings.num_epochs, desc="training", unit="epoch")
    for callback in callbacks:
        callback.on_train_begin(model)
    if settings.resume:
        for key, callback in _keyed(callbacks):
            if key in optimizer.callback_states:
                callback.set_state(optimizer.callback_states[key])
    logs = {}
    try:
        if optimizer.full_batch:
            _fit_lbfgs(run, data, callbacks, progress)
            logs = run.logs
        else:
            # A diverging run overflows to inf/NaN somewhere in a step; the cost check in
            # _train_block catches that and raises DivergenceError, so NumPy's own warnings are
            # not wanted here.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"), run.interrupt:
                for epoch in range(1, settings.num_epochs + 1):
                    if settings.lr_schedule is not None:
                        schedule = settings.lr_schedule
                        optimizer.learning_rate = check_learning_rate(
                            schedule(optimizer.epoch, settings.learning_rate),
                            f"lr_schedule {type(schedule).__name__} (epoch {optimizer.epoch})",
                            allow_zero=schedule.zero_rate_allowed)
                    learning_rate = optimizer.learning_rate
                    cost = _train_epoch(run, data, epoch)
                    optimizer.epoch += 1
                    logs = {"loss": cost, "learning_rate": learning_rate}
                    if _end_epoch(run, epoch, logs, progress):
                        break
                    run.interrupt.check()
    except KeyboardInterrupt:
        warnings.warn(
            f"training interrupted after {len(costs)} complete epoch(s): the model keeps the "
            f"parameters of the last completed step, and its costs attribute the costs of "
            f"the completed epochs", UserWarning, stacklevel=4,  # _fit, fit, train, its caller
        )
        raise
    finally:
        if progress is not None:
            progress.close()
        if costs:  # however the run ended, resume=True continues from its last epoch
            _keep_callback_states(run)
    for callback in callbacks:
        callback.on_train_end(logs)
    warn_about_problems(run)
    return costs


def warn_about_problems(run):
    """Warn (:class:`TrainingProblemWarning`) if the run ended with a hidden layer at least half
    dead or with vanishing gradients (:func:`scratchnn.diagnostics.end_of_training_problems`).

    One forward pass over at most 512 rows of the last block; it draws nothing from the model's
    generator and writes no parameter. Skipped when a ``Diagnostics(warn=True)`` callback already
    says what it found, and when no step was taken.
    """
    if run.last_block is None or any(isinstance(c, Diagnostics) and c.warn
                                      for c in run.callbacks):
        return
    grads = not run.model.optimizer.full_batch
    rows = run.last_block.X
    if not isinstance(rows, np.ndarray):  # sparse: densify only the rows the check looks at
        rows = rows[:SAMPLE_ROWS].toarray()
    for message in end_of_training_problems(run.model, rows, grads=grads):
        # stacklevel: this function, _fit, fit, NeuralNetwork.train, then the caller of train.
        warnings.warn(message, TrainingProblemWarning, stacklevel=5)


def _end_epoch(run, epoch, logs, progress):
    """Score, record, report and checkpoint one finished epoch; True when a callback stops."""
    model, settings = run.model, run.settings
    if settings.validation is not None:
        logs.update(settings.validation.evaluate(model))
    run.costs.append(logs["loss"])
    for key, value in logs.items():
        model.history.setdefault(key, []).append(value)
    if progress is not None:
        progress.set_postfix(cost=f"{logs['loss']:.6f}", refresh=False)
        progress.update()
    stop = False
    for callback in run.callbacks:
        rate = model.optimizer.learning_rate
        stop = bool(callback.on_epoch_end(epoch, logs)) or stop
        _check_callback_effects(model, callback, rate, epoch)
    if settings.checkpoint is not None and (epoch % settings.checkpoint_every == 0):
        _keep_callback_states(run)
        save_checkpoint(model, settings.checkpoint, run.costs)
    run.logs = logs
    return stop


def _check_callback_effects(model, callback, rate, epoch, check_parameters=True):
    """After ``callback`` ran: a learning rate it set is checked as ``train``'s own, and
    parameters it made non-finite stop training, naming it (``rate``: the rate before it ran)."""
    optimizer = model.optimizer
    if optimizer.learning_rate is not rate and not optimizer.full_batch:
        optimizer.learning_rate = check_learning_rate(
            optimizer.learning_rate, f"callback {type(callback).__name__} (epoch {epoch})")
    if check_parameters and not _holds_finite_values(model):
        raise ValueError(f"callback {type(callback).__name__} left NaN or infinite values in the "
                         f"model's parameters or running statistics at the end of epoch "
                         f"{epoch}; training stopped with them in place")


def _keep_callback_states(run):
    """Put every callback's :meth:`~scratchnn.callback.Callback.get_state` on the optimizer,
    where ``resume=True`` and checkpoints find it. Called only when a checkpoint is written and
    when the run ends, not every epoch (a state may hold a copy of the weights)."""
    states = {}
    for key, callback in _keyed(run.callbacks):
        state = callback.get_state()
        if state is not None:
            states[key] = state
    run.model.optimizer.callback_states = states


def _keyed(callbacks):
    """``(key, callback)`` pairs: the class name and its count among callbacks of that class,
    so a resumed run finds each callback's saved state (``ReduceLROnPlateau``,
    ``EarlyStopping``, ``EarlyStopping_1``, ...)."""
    seen = {}
    for callback in callbacks:
        name = type(callback).__name__
        count = seen.get(name, 0)
        seen[name] = count + 1
        yield (name if count == 0 else f"{name}_{count}"), callback


def check_monitors(callbacks, has_validation, task="classification"):
    """Refuse, before any training, a callback that monitors ``val_*`` without validation data,
    or a value the model's ``task`` does not report (an accuracy for a regressor, ``R^2`` for a
    classifier)."""
    # The validation score each task reports, and the one it does not.
    scores = {"classification": ("val_accuracy", "val_r2"),
              "regression": ("val_r2", "val_accuracy")}
    for callback in callbacks:
        monitor = getattr(callback, "monitor", None)
        if task in scores and monitor == scores[task][1]:
            raise ValueError(
                f"{type(callback).__name__} monitors {monitor!r}, which a {task} model does not "
                f"report: monitor 'loss', 'val_loss' or {scores[task][0]!r}")
        if isinstance(monitor, str) and monitor.startswith("val_") and not has_validation:
            raise ValueError(
                f"{type(callback).__name__} monitors {monitor!r}, but train has no "
                f"validation_data: pass validation_data=(X_val, Y_val) or monitor 'loss'"
            )


def _fit_lbfgs(run, data, callbacks, progress):
    """Full-batch L-BFGS over :meth:`ClassifierNN.cost_and_gradient`: ``num_epochs`` iterations.

    SciPy's ``L-BFGS-B`` runs in float64; after each iteration the loop records the cost, scores
    the validation data, runs the callbacks (a true return stops it) and checkpoints, as after an
    epoch. With batch normalization the running statistics become the full batch's statistics
    at the final parameters.
    """
    try:
        from scipy.optimize import minimize
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("optimizer='lbfgs' needs SciPy: pip install 'scratchnn[scipy]'") from None
    model, settings = run.model, run.settings
    if data.n_blocks != 1:
        raise ValueError("optimizer='lbfgs' trains on in-memory data only (one block)")
    block = next(iter(data.blocks(None)))
    if not isinstance(block.X, np.ndarray):
        raise ValueError("optimizer='lbfgs' trains on dense data only, not a sparse X (it would "
                         "have to densify X whole): choose another optimizer")
    run.last_block = block
    objective = model.objective(
        block.X.T, block.Y.T, settings.loss, settings.lambd,
        None if block.weights is None else block.weights[:, 0], l1=settings.l1)
    theta0 = model.theta.astype(np.float64)
    state = {"epoch": 0, "theta": theta0.copy()}

    def after_iteration(intermediate_result):
        state["epoch"] += 1
        model.theta = intermediate_result.x
        state["theta"] = intermediate_result.x.copy()
        _refresh_batch_norm(model, objective)
        model.optimizer.t += 1
        model.optimizer.epoch += 1
        if _end_epoch(run, state["epoch"], {"loss": float(intermediate_result.fun)}, progress):
            raise StopIteration

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        cost0, _ = objective(theta0)
        if not math.isfinite(cost0):
            run.diverged(1, cost0)
        minimize(objective, theta0, jac=True, method="L-BFGS-B", callback=after_iteration,
                 options={"maxiter": settings.num_epochs, "maxfun": 15000 + settings.num_epochs})
    model.theta = state["theta"]
    _refresh_batch_norm(model, objective)
    if not run.costs:  # converged before its first iteration: the starting cost
        run.logs = {"loss": cost0}


def _refresh_batch_norm(model, objective):
    """Set the batch-norm running statistics to the full batch's at the current parameters."""
    if not model.batch_norm:
        return
    _, caches = model.forward(objective.X.astype(model.compute_dtype, copy=False), training=True)
    for l, layer in enumerate(caches.layers):
        if layer.bn is not None:
            np.copyto(model.bn_state[f"running_mean{l}"], layer.bn.mu)
            np.copyto(model.bn_state[f"running_var{l}"], layer.bn.var)


def _start_optimizer(model, settings, data):
    """Continue the model's optimizer (``resume``) or start a fresh one."""
    dtype = model.compute_dtype
    hyper = (settings.learning_rate, settings.beta1, settings.beta2, settings.epsilon)
    if settings.resume:
        previous = model.optimizer
        if previous is None or previous.name != settings.optimizer.name:
            raise ValueError(
                f"resume=True continues the {settings.optimizer.name!r} optimizer of an earlier "
                f"train call or loaded checkpoint, but the model has "
                f"{'none' if previous is None else repr(previous.name)}"
            )
        _check_counts_fit(previous, settings, data)
        previous.configure(*hyper)
    else:
        model.optimizer = settings.optimizer(model.n_parameters, dtype, *hyper)
    weights = [part for name, part in slices(model.parameter_shapes).items()
               if name.startswith("W")]
    model.optimizer.set_weight_decay(settings.weight_decay, weights)


def _check_counts_fit(optimizer, settings, data):
    """Refuse a resumed run whose epoch or step count would pass ``MAX_STEPS``: its checkpoints
    could not be loaded. (Steps are counted generously: one per started batch of each block.)"""
    epochs = settings.num_epochs
    batch = max(1, data.n if settings.batch_size is None else min(settings.batch_size, data.n))
    steps = epochs * (1 if optimizer.full_batch else -(-data.n // batch) + data.n_blocks - 1)
    for name, count, more in (("epoch", optimizer.epoch, epochs), ("step", optimizer.t, steps)):
        if count + more > MAX_STEPS:
            raise ValueError(
                f"resume=True cannot train {epochs} more epochs: the {name} count is already "
                f"{count}, and a checkpoint may count at most 2**53 = {MAX_STEPS}")


def clip_gradient(grad, clipnorm=None, clipvalue=None):
    r"""Clip the flat gradient in place: first its global norm, then each component.

    With ``clipnorm`` :math:`c`, the whole gradient is rescaled when its L2 norm exceeds it,

    .. math:: g \leftarrow g \cdot \min\left(1, \frac{c}{\lVert g\rVert_2 + 10^{-6}}\right),

    as ``torch.nn.utils.clip_grad_norm_`` (every parameter, the L2 term included); with
    ``clipvalue`` :math:`v` each component is clamped into :math:`[-v, v]`, as
    ``clip_grad_value_``.

    Returns the norm before clipping, or ``None`` without ``clipnorm``. A gradient holding an
    infinity (of either sign) and no NaN has norm ``inf``; one holding a NaN has norm ``NaN``.
    Either is left unscaled by ``clipnorm``, so a non-finite update reaches the optimizer, which
    refuses it; ``clipvalue`` still clamps an infinity to :math:`\pm v` (a NaN stays NaN).
    """
    norm = math.sqrt(float(np.dot(grad, grad))) if clipnorm is not None else None
    if clipnorm is not None and math.isfinite(norm):
        scale = clipnorm / (norm + 1e-6)
        if scale < 1.0:
            grad *= scale
    if clipvalue is not None:
        np.clip(grad, -clipvalue, clipvalue, out=grad)
    return norm


def _train_epoch(run, data, epoch):
    """One pass over every block; returns the example-weighted mean batch cost."""
    total = 0.0
    for block in data.blocks(run.model.rng):
        if block.weights is not None and not np.any(block.weights > 0):
            continue  # nothing to learn from this block
        cost = _train_block(run, block, epoch)
        if data.n_blocks == 1:
            return cost
        total += cost * block.X.shape[0]
    return total / data.n


def _train_block(run, block, epoch):
    """One pass over the shuffled examples of ``block``; returns its weighted mean batch cost."""
    model, settings = run.model, run.settings
    run.last_block = block
    loss, lambd, keep_prob = settings.loss, settings.lambd, settings.keep_prob
    theta, grad, grads = model.theta, model.grad, model.grads
    m = block.X.shape[0]
    batch_size = m if settings.batch_size is None else min(settings.batch_size, m)
    weights = None if block.weights is None else block.weights.T
    # Shuffle indices, not the data: one permutation per block from the model's generator.
    permutation = model.rng.permutation(m) if batch_size < m else None
    starts = list(range(0, m, batch_size))
    if model.batch_norm and len(starts) > 1 and m - starts[-1] == 1:
        starts.pop()  # batch norm: a trailing batch of one joins the previous batch
    # Callbacks that override on_batch_end and want this epoch's steps (``wants_batches``).
    listening = [c for c in run.batch_callbacks if c.wants_batches]
    total = 0.0
    for start, stop in zip(starts, starts[1:] + [m]):
        if permutation is None:
            buffers = run.buffers_for(batch_size, block)
            X_batch, Y_batch = batch_rows(block.X, None, buffers.X), block.Y
        else:
            index = permutation[start:stop]
            buffers = run.buffers_for(index.size, block)
            X_batch = batch_rows(block.X, index, buffers.X)
            Y_batch = block.Y.take(index, axis=0, out=buffers.Y, mode="clip")
            if block.weights is not None:
                weights = block.weights.take(index, axis=0, out=buffers.weights,
                                             mode="clip").T
        workspace = buffers.workspace
        A, caches = model.forward(X_batch.T, None, keep_prob, True, workspace=workspace)
        Y_batch = Y_batch.T
        cost = model.cost(A, Y_batch, loss, lambd, Z=caches.layers[-1].Z, weights=weights,
                          l1=settings.l1)
        if not math.isfinite(cost):
            run.diverged(epoch, cost)
        model.backward(A, Y_batch, caches, loss, lambd, grads, workspace=workspace,
                       weights=weights, l1=settings.l1)
        if model.batch_norm:
            model.update_batch_norm_statistics(caches)
        if settings.clipnorm is not None or settings.clipvalue is not None:
            clip_gradient(grad, settings.clipnorm, settings.clipvalue)
        # The optimizer refuses a non-finite update, so theta only ever holds finite values.
        if not model.optimizer.step(theta, grad):
            run.diverged(epoch, cost)
        if listening:
            step = Step(model, caches, grads, model.optimizer.learning_rate)
            for callback in listening:
                callback.on_batch_end(step)
                if model.optimizer.learning_rate is not step.learning_rate:
                    _check_callback_effects(model, callback, step.learning_rate, epoch,
                                            check_parameters=False)
        total += cost * A.shape[1]
        run.threads.step_done()
        run.interrupt.check()  # a Ctrl-C takes effect here, between two complete steps
    return total / m


# --------------------------------------------------------------------------- argument checks
def prepare(model, X, Y, arguments):
    """Check :meth:`ClassifierNN.train`'s arguments (a dict by name) and make the run's pieces.

    Returns ``(data, settings, callbacks)`` for :func:`fit`. Everything is checked before the
    model is touched; the model's dtype is then set from ``X`` (unless fixed).
    """
    check_not_running(model)
    a = arguments
    loss = model.check_loss(a["loss"])
    X = check_X(X, model.n_features)
    dtype = model.dtype or np.dtype(np.float32 if X.dtype == np.float32 else np.float64)
    m = X.shape[1]
    Y = model.check_labels(Y, loss, m, dtype)
    weights = check_sample_weight(a["sample_weight"], m, dtype)
    optimizer = _optimizers.get(a["optimizer"])
    num_epochs = check_int(a["num_epochs"], "num_epochs", minimum=1)
    settings = TrainingSettings(
        loss=loss,
        num_epochs=num_epochs,
        learning_rate=check_float(a["learning_rate"], "learning_rate", low=0.0, low_open=True),
        batch_size=check_int(a["batch_size"], "batch_size", minimum=1, allow_none=True),
        lambd=check_float(a["lambd"], "lambd", low=0.0),
        l1=check_float(a.get("l1", 0.0), "l1", low=0.0),
        keep_prob=check_dropout(a["keep_prob"], model.num_layers - 1, dtype),
        print_cost=check_bool(a["print_cost"], "print_cost"),
        optimizer=optimizer,
        beta1=check_float(a["beta1"], "beta1", low=0.0, high=1.0, high_open=True),
        beta2=check_float(a["beta2"], "beta2", low=0.0, high=1.0, high_open=True),
        epsilon=check_float(a["epsilon"], "epsilon", low=0.0, low_open=True),
        resume=check_bool(a["resume"], "resume"),
        checkpoint=check_checkpoint(a["checkpoint"]),
        checkpoint_every=check_int(a["checkpoint_every"], "checkpoint_every", minimum=1),
        lr_schedule=check_schedule(a["lr_schedule"], num_epochs),
        clipnorm=check_float(a["clipnorm"], "clipnorm", low=0.0, low_open=True,
                             allow_none=True),
        clipvalue=check_float(a["clipvalue"], "clipvalue", low=0.0, low_open=True,
                              allow_none=True),
        weight_decay=optimizer.default_weight_decay if a["weight_decay"] is None else
        check_float(a["weight_decay"], "weight_decay", low=0.0),
        n_threads=_threads.check_n_threads(a.get("n_threads")),
    )
    callbacks = check_callbacks(a["callbacks"], a["callback"])
    check_combination(model, settings, callbacks, m)
    check_monitors(callbacks, a["validation_data"] is not None, model.task)
    smoothing = check_float(a["label_smoothing"], "label_smoothing", low=0.0, high=1.0,
                            high_open=True)
    validation = None
    if a["validation_data"] is not None:
        validation = ValidationData.from_arguments(model, a["validation_data"], loss, smoothing,
                                                   dtype)
    model.set_compute_dtype(dtype)
    loss, Y = _losses.smooth_labels(loss, Y, smoothing, model.n_outputs)
    if Y.dtype.kind == "f":  # smoothed targets come in float64: computed in the model's dtype
        Y = Y.astype(dtype, copy=False)
    settings = dataclasses.replace(settings, loss=loss, validation=validation)
    return ArrayData.from_columns(X, Y, weights, dtype), settings, callbacks


def random_mini_batches(X, Y, batch_size, seed, rng):
    """The seed's ``random_mini_batches`` (see :meth:`ClassifierNN.random_mini_batches`): ``X``
    checked, ``Y`` of shape ``(k, m)``; a local generator from ``seed``, or ``rng`` for None."""
    Y = np.asarray(Y)
    if Y.ndim == 1:
        Y = Y.reshape(1, -1)
    if Y.ndim != 2 or Y.shape[1] != X.shape[1]:
        raise ValueError(f"Y must have shape (k, {X.shape[1]}) to match X, got {Y.shape}")
    batch_size = check_int(batch_size, "batch_size", minimum=1, allow_none=True)
    if seed is not None:
        rng = np.random.default_rng(check_int(seed, "seed", 0))
    m = X.shape[1]
    permutation = rng.permutation(m)
    size = m if batch_size is None else batch_size
    return [(X[:, permutation[k:k + size]], Y[:, permutation[k:k + size]])
            for k in range(0, m, size)]



def check_dropout(keep_prob, n_layers, dtype):
    """:func:`~scratchnn.validation.check_keep_prob`, and refuse a probability whose inverse (the
    inverted-dropout scale) overflows ``dtype``: that would otherwise surface as divergence."""
    keep_prob = check_keep_prob(keep_prob, n_layers)
    if keep_prob is not None:
        tiny = 1.0 / float(np.finfo(dtype).max)
        for i, p in enumerate(keep_prob):
            if p <= tiny:
                raise ValueError(f"keep_prob[{i}] = {p:g} is too small for {np.dtype(dtype).name}: "
                                 f"its inverse, the dropout scale, overflows")
    return keep_prob


def check_schedule(lr_schedule, num_epochs):
    """The schedule object for ``lr_schedule`` (:func:`scratchnn.schedules.get`), or None."""
    if lr_schedule is None:
        return None
    from . import schedules

    return schedules.get(lr_schedule, num_epochs)


def check_callbacks(callbacks, callback=None):
    """``callbacks`` as a list of :class:`Callback` objects, the legacy ``callback`` function
    first (as :class:`EpochFunction`)."""
    checked = [] if callback is None else [EpochFunction(callback)]
    if callbacks is None:
        return checked
    if isinstance(callbacks, Callback) or not hasattr(callbacks, "__iter__"):
        raise TypeError(f"callbacks must be a list of scratchnn.callbacks.Callback objects, got "
                        f"{callbacks!r}")
    for i, item in enumerate(callbacks):
        if not isinstance(item, Callback):
            raise TypeError(f"callbacks[{i}] must be a scratchnn.callbacks.Callback, got "
                            f"{item!r}")
        checked.append(item)
    return checked


def check_combination(model, settings, callbacks, m):
    """Refuse combinations of otherwise valid settings that cannot work together."""
    if model.batch_norm and settings.batch_size == 1 and m > 1:
        raise ValueError("batch_size=1 cannot train with batch_norm=True: a batch of one example "
                         "has no variance to normalize by (use batch_size >= 2)")
    if settings.optimizer.full_batch:
        refused = [name for name, value in (
            ("keep_prob", settings.keep_prob and min(settings.keep_prob) < 1.0),
            ("lr_schedule", settings.lr_schedule),
            ("clipnorm", settings.clipnorm), ("clipvalue", settings.clipvalue),
            ("weight_decay", settings.weight_decay)) if value]
        if refused:
            raise ValueError(f"optimizer='lbfgs' minimizes one deterministic full-batch cost and "
                             f"cannot be combined with {', '.join(refused)}")
    if settings.lr_schedule is not None:
        for callback in callbacks:
            if type(callback).__name__ == "ReduceLROnPlateau":
                raise ValueError("lr_schedule and ReduceLROnPlateau both set the learning rate: "
                                 "use one of them")


# --------------------------------------------------------------------------- checkpoints
def check_checkpoint(checkpoint):
    """``checkpoint`` if it is a path or None; a TypeError naming it otherwise."""
    if checkpoint is not None and not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(f"checkpoint must be a path or None, got {checkpoint!r}")
    return checkpoint


def save_checkpoint(model, path, costs):
    """Save the model with everything ``train(..., resume=True)`` needs to continue exactly:
    the optimizer's hyperparameters, stored moments and step count, the random generator's
    state and the costs so far.

    A state that :func:`load` would refuse (a step or epoch count above ``MAX_STEPS``, a
    callback state its class refuses) raises ``ValueError`` or ``TypeError`` naming ``path``
    before anything is written."""
    optimizer = model.optimizer
    # What load would refuse is refused here, before the file is touched.
    try:
        check_int(optimizer.t, "t", minimum=0, maximum=MAX_STEPS)
        check_int(optimizer.epoch, "epoch", minimum=0, maximum=MAX_STEPS)
        check_states(optimizer.callback_states,
                     StateLimits(model, optimizer.epoch, optimizer.learning_rate))
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"cannot save a checkpoint to {os.fspath(path)}: {exc}") from None
    state = {
        "optimizer": optimizer.name, "t": optimizer.t,
        "learning_rate": optimizer.learning_rate, "beta1": optimizer.beta1,
        "beta2": optimizer.beta2, "epsilon": optimizer.epsilon,
        "rng": model.rng.bit_generator.state, "costs": list(costs),
        "epoch": optimizer.epoch, "callbacks": {},
    }
    metadata = {"training_state": state}
    metadata.update({f"optimizer_{name}": value
                     for name, value in optimizer.stored_moments.items()})
    # Callbacks' states: JSON values in the header, arrays (best weights) as members of their own.
    for key, callback_state in optimizer.callback_states.items():
        saved = state["callbacks"][key] = {}
        for name, value in callback_state.items():
            if isinstance(value, np.ndarray):
                metadata[f"callback_{key}_{name}"] = value
                saved[name] = {"array": f"callback_{key}_{name}"}
            else:
                saved[name] = value
    _save(model, path, metadata=metadata)


def load(path):
    """A model file or checkpoint: the model, with the training state of a checkpoint restored
    (:func:`restore_checkpoint`); a damaged state is a ``ValueError`` naming the file."""
    model, metadata = _load_with_metadata(path)
    if "training_state" in metadata:
        try:
            restore_checkpoint(model, metadata)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"{os.fspath(path)} is not a valid scratchnn model file: its "
                             f"training state is damaged ({exc})") from None
    return model


def restore_checkpoint(model, metadata):
    """Restore the optimizer, generator and costs that :func:`save_checkpoint` stored.

    The callbacks' states are checked too, each by the class of :mod:`scratchnn.callbacks` that
    owns it (:func:`scratchnn.callbacks.check_states`), against this model and the stored epoch
    count and learning rate.

    Raises ``KeyError``, ``TypeError`` or ``ValueError`` for a damaged training state; the model
    is changed only when everything is valid.
    """
    state = metadata["training_state"]
    if not isinstance(state, dict):
        raise TypeError("training_state is not an object")
    optimizer_cls = _optimizers.get(state["optimizer"])
    hyper = [check_float(state["learning_rate"], "learning_rate", low=0.0, low_open=True),
             check_float(state["beta1"], "beta1", low=0.0, high=1.0, high_open=True),
             check_float(state["beta2"], "beta2", low=0.0, high=1.0, high_open=True),
             check_float(state["epsilon"], "epsilon", low=0.0, low_open=True)]
    optimizer = optimizer_cls(model.n_parameters, model.compute_dtype, *hyper)
    # The step count enters powers like beta ** t: bounded so that resuming cannot overflow.
    optimizer.t = check_int(state["t"], "t", minimum=0, maximum=MAX_STEPS)
    optimizer.epoch = check_int(state.get("epoch", 0), "epoch", minimum=0, maximum=MAX_STEPS)
    for name, stored in optimizer.stored_moments.items():
        value = metadata[f"optimizer_{name}"]
        if value.dtype != stored.dtype or value.shape != stored.shape:
            raise ValueError(f"optimizer_{name} must be {stored.dtype} of shape {stored.shape}")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"optimizer_{name} holds NaN or infinite values")
        if name == "s" and np.any(value < 0):
            raise ValueError("optimizer_s (a sum of squared gradients) holds negative values")
        stored[...] = value
    callbacks = state.get("callbacks", {})
    if not isinstance(callbacks, dict) or not all(
            isinstance(saved, dict) for saved in callbacks.values()):
        raise TypeError("callbacks is not an object of objects")
    # Each callback's state is checked by the class that owns it, against this model and
    # optimizer, so a damaged one is refused here rather than inside train.
    optimizer.callback_states = check_states({
        key: {name: metadata[value["array"]] if isinstance(value, dict) and "array" in value
              else value for name, value in saved.items()}
        for key, saved in callbacks.items()},
        StateLimits(model, optimizer.epoch, optimizer.learning_rate))
    costs = state["costs"]
    if not isinstance(costs, list) or not all(
            isinstance(c, (int, float)) and not isinstance(c, bool) for c in costs):
        raise TypeError("costs is not a list of numbers")
    rng = np.random.default_rng()
    rng.bit_generator.state = state["rng"]  # raises for a malformed or foreign state
    model.optimizer, model.rng, model.costs = optimizer, rng, costs
