"""The callbacks of the training loop (:func:`scratchnn.training.fit`): EarlyStopping,
ReduceLROnPlateau, ModelCheckpoint and CSVLogger, and :func:`check_states`, which checks their
states in a checkpoint.

Each subclasses :class:`scratchnn.callback.Callback`, whose docstring describes when the loop
calls which method and how a state is kept across ``train(..., resume=True)``. ``Callback`` and
``StateLimits`` (:mod:`scratchnn.callback`) and ``Diagnostics`` (:mod:`scratchnn.diagnostics`)
can be imported from this module too, as before; each is defined and documented in its own.

The callbacks that watch a history value name it in their ``monitor`` attribute (the loop checks
before the first epoch that a ``val_*`` key will exist). Those with ``mode='auto'`` take
``'max'`` for keys containing ``"accuracy"`` or ending in ``"r2"`` (a regressor's ``val_r2``) and
``'min'`` otherwise.
"""

import csv
import io
import math
import os
import re
import string

import numpy as np

# Callback, StateLimits and Diagnostics are imported for the subclasses below and for code that
# imports them from here; __all__ lists only what this module defines, so each class is
# documented once, in its own module.
from .callback import Callback, StateLimits
from .diagnostics import Diagnostics  # noqa: F401
from .fileio import atomic_write
from .validation import MAX_COUNT, check_bool, check_float, check_int

__all__ = ["CSVLogger", "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "check_states"]


class EarlyStopping(Callback):
    r"""Stop when a monitored value stops improving, and put the best epoch's weights back.

    Parameters
    ----------
    monitor : str, default 'val_loss'
        The history key to watch (``"loss"``, ``"val_loss"``, ``"val_accuracy"``, ...).
    patience : int >= 1, default 10
        Epochs without an improvement of more than ``min_delta`` after which training stops.
    min_delta : float >= 0, default 0.0
        The smallest change that counts as an improvement.
    restore_best_weights : bool, default True
        When training ends, by this callback's stop or by reaching ``num_epochs``, copy back the
        parameters (and batch-norm running statistics) of the epoch with the best value.
    mode : {'auto', 'min', 'max'}, default 'auto'
        Whether smaller or larger is better; ``'auto'`` takes ``'max'`` for keys containing
        ``"accuracy"`` or ending in ``"r2"``, and ``'min'`` otherwise.

    Notes
    -----
    With ``best`` the best value so far (for ``mode='min'``), after each epoch

    .. math:: \text{wait} \leftarrow \begin{cases} 0 & \text{if value} < \text{best} -
              \text{min\_delta} \\ \text{wait} + 1 & \text{otherwise} \end{cases}, \qquad
              \text{best} \leftarrow \min(\text{best}, \text{value})

    and training stops when ``wait`` reaches ``patience``. The best value (and the weights kept)
    follow every strict improvement, while only an improvement of more than ``min_delta`` resets
    the count: scikit-learn's MLPClassifier counts the same way. (Keras moves ``best`` only on
    an improvement of more than ``min_delta``.)

    Attributes
    ----------
    best : float
        The best monitored value seen.
    best_epoch : int or None
        The epoch (from 1) it was seen at.
    stopped_epoch : int or None
        The epoch after which this callback stopped training, if it did.
    """

    def __init__(self, monitor="val_loss", patience=10, min_delta=0.0,
                 restore_best_weights=True, mode="auto"):
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be a history key (a string), got {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor = monitor
        self.patience = check_int(patience, "patience", minimum=1)
        self.min_delta = check_float(min_delta, "min_delta", low=0.0)
        self.restore_best_weights = check_bool(restore_best_weights, "restore_best_weights")
        if mode == "auto":
            mode = "max" if _higher_is_better(monitor) else "min"
        self.mode = mode
        self._sign = 1.0 if mode == "min" else -1.0  # compare sign * value: smaller is better

    def on_train_begin(self, model):
        self.model = model
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = self.stopped_epoch = None
        self.wait = 0
        self._best_weights = None

    def on_epoch_end(self, epoch, logs):
        if self.monitor not in logs:
            raise ValueError(f"EarlyStopping monitors {self.monitor!r}, but the history has only "
                             f"{sorted(logs)}")
        value = self._sign * float(logs[self.monitor])
        best = self._sign * self.best
        improved = value < best - self.min_delta
        if value < best:
            self.best, self.best_epoch = float(logs[self.monitor]), epoch
            if self.restore_best_weights:
                self._best_weights = _snapshot(self.model)
        self.wait = 0 if improved else self.wait + 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, logs):
        if self._best_weights is not None:
            _restore(self.model, self._best_weights)

    def get_state(self):
        """``best`` (``None`` before any value), ``best_epoch``, ``wait``, and with
        ``restore_best_weights`` the kept weights: ``best_theta`` and ``best_<key>`` for each
        batch-norm running statistic."""
        state = {"best": _finite_or_none(self.best), "best_epoch": self.best_epoch,
                 "wait": self.wait}
        if self._best_weights is not None:
            theta, bn_state = self._best_weights
            state["best_theta"] = theta.copy()
            state.update({f"best_{key}": value.copy() for key, value in bn_state.items()})
        return state

    def set_state(self, state):
        state = self.check_state(state, StateLimits.of(self.model))
        self.best = _best_or_worst(state["best"], self.mode)
        self.best_epoch, self.wait = state["best_epoch"], state["wait"]
        self._best_weights = None
        if "best_theta" in state:
            bn_state = {key: state[f"best_{key}"].copy() for key in self.model.bn_state}
            self._best_weights = (state["best_theta"].copy(), bn_state)

    @classmethod
    def check_state(cls, state, limits):
        """``best`` finite or ``None``; ``best_epoch`` from 1 to the epochs completed (``None``
        only while ``best`` is); ``wait`` from 0 to the epochs completed; kept weights,
        if any, of the model's dtype and shapes, finite, with non-negative running variances."""
        model = limits.model
        weights = ["best_theta", *(f"best_{key}" for key in model.bn_state)]
        fields = _state_fields(cls, state, ("best", "best_epoch", "wait"), weights)
        best = _state_best(cls, fields["best"])
        best_epoch = _state_count(cls, fields["best_epoch"], "best_epoch", limits, minimum=1,
                                  allow_none=True)
        checked = {"best": best, "best_epoch": best_epoch,
                   "wait": _state_count(cls, fields["wait"], "wait", limits)}
        if best is not None and best_epoch is None:
            raise ValueError(f"{cls.__name__} state best_epoch must name the epoch of best "
                             f"{best!r}, got None")
        present = [name for name in weights if name in fields]
        if present:
            if len(present) != len(weights):
                missing = sorted(set(weights) - set(present))
                raise ValueError(f"{cls.__name__} state holds best_theta without {missing[0]}: "
                                 f"kept weights need {weights}")
            if best_epoch is None:
                raise ValueError(f"{cls.__name__} state holds kept weights (best_theta) but no "
                                 f"best_epoch they were kept at")
            checked["best_theta"] = _state_array(cls, fields["best_theta"], "best_theta",
                                                 model.theta)
            for key, value in model.bn_state.items():
                name = f"best_{key}"
                checked[name] = _state_array(cls, fields[name], name, value,
                                             non_negative=key.startswith("running_var"))
        return checked


class ReduceLROnPlateau(Callback):
    r"""Divide the learning rate when a monitored value stops improving, as PyTorch decides.

    Makes the decisions of ``torch.optim.lr_scheduler.ReduceLROnPlateau(mode="min",
    threshold_mode="rel")`` stepped with the monitored value after every epoch, and writes the
    new rate into ``model.optimizer.learning_rate``, which the loop uses from the next epoch on.

    Parameters
    ----------
    monitor : str, default 'val_loss'
        The history key to watch.
    factor : float in (0, 1), default 0.1
        The factor the rate is multiplied by at each reduction.
    patience : int >= 0, default 10
        Bad epochs tolerated: the rate is reduced at the ``patience + 1``-th bad epoch in a row.
    threshold : float >= 0, default 1e-4
        The relative improvement that counts.
    cooldown : int >= 0, default 0
        Epochs after a reduction during which bad epochs are not counted.
    min_lr : float >= 0, default 0.0
        The rate is never reduced below this.
    mode : {'auto', 'min', 'max'}, default 'auto'
        Whether smaller or larger is better (see the module docstring); ``'min'`` for the
        default ``'val_loss'``.

    Notes
    -----
    With :math:`\tau` = ``threshold`` and ``best`` starting at :math:`+\infty` (``mode='min'``;
    :math:`-\infty` for ``'max'``), after each epoch with value :math:`a`::

        if a < best * (1 - tau)        # 'max': a > best * (1 + tau)
            best = a; num_bad_epochs = 0
        else
            num_bad_epochs += 1
        if cooldown_counter > 0
            cooldown_counter -= 1; num_bad_epochs = 0
        if num_bad_epochs > patience
            new = max(lr * factor, min_lr)
            if lr - new > 1e-8: lr = new
            cooldown_counter = cooldown; num_bad_epochs = 0

    The threshold is relative, as PyTorch's ``threshold_mode='rel'``, so for values that change
    sign (not losses) it behaves as there. A NaN value is a bad epoch.

    Attributes
    ----------
    best : float
        The best value seen.
    num_bad_epochs, cooldown_counter : int
        The counters above.
    """

    eps = 1e-8
    """The smallest change of the rate that is applied (PyTorch's ``eps``)."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, threshold=1e-4, cooldown=0,
                 min_lr=0.0, mode="auto"):
        self.monitor = _check_monitor(monitor)
        self.factor = check_float(factor, "factor", low=0.0, high=1.0, low_open=True,
                                  high_open=True)
        self.patience = check_int(patience, "patience", minimum=0)
        self.threshold = check_float(threshold, "threshold", low=0.0)
        self.cooldown = check_int(cooldown, "cooldown", minimum=0)
        self.min_lr = check_float(min_lr, "min_lr", low=0.0)
        self.mode = _resolve_mode(mode, self.monitor)

    def on_train_begin(self, model):
        self.model = model
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = 0

    def on_epoch_end(self, epoch, logs):
        value = _monitored(self, logs)
        if self._is_better(value, self.best):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown are not counted
        if self.num_bad_epochs > self.patience:
            old = float(self.model.optimizer.learning_rate)
            new = max(old * self.factor, self.min_lr)
            if old - new > self.eps:
                self.model.optimizer.learning_rate = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        return False

    def _is_better(self, value, best):
        if self.mode == "min":
            return value < best * (1.0 - self.threshold)
        return value > best * (1.0 + self.threshold)

    def get_state(self):
        """``best`` (``None`` before any value), ``num_bad_epochs``, ``cooldown_counter`` and
        the optimizer's ``learning_rate``."""
        return {"best": _finite_or_none(self.best), "num_bad_epochs": self.num_bad_epochs,
                "cooldown_counter": self.cooldown_counter,
                "learning_rate": float(self.model.optimizer.learning_rate)}

    def set_state(self, state):
        """Restore the counters, and write ``learning_rate`` back into the model's optimizer."""
        state = self.check_state(state, StateLimits.of(self.model))
        self.best = _best_or_worst(state["best"], self.mode)
        self.num_bad_epochs = state["num_bad_epochs"]
        self.cooldown_counter = state["cooldown_counter"]
        self.model.optimizer.learning_rate = state["learning_rate"]

    @classmethod
    def check_state(cls, state, limits):
        """``best`` finite or ``None``; ``num_bad_epochs`` from 0 to the epochs completed;
        ``cooldown_counter`` from 0 to ``2**53``; ``learning_rate`` a finite number > 0, not
        above the checkpoint's learning rate (the callback only lowers it)."""
        fields = _state_fields(cls, state,
                               ("best", "num_bad_epochs", "cooldown_counter", "learning_rate"))
        rate = check_float(fields["learning_rate"], f"{cls.__name__} state learning_rate",
                           low=0.0, low_open=True)
        if limits.learning_rate is not None and rate > limits.learning_rate:
            raise ValueError(f"{cls.__name__} state learning_rate {rate:g} is above the "
                             f"checkpoint's learning_rate {limits.learning_rate:g}: the callback "
                             f"only lowers the rate it is given")
        return {"best": _state_best(cls, fields["best"]),
                "num_bad_epochs": _state_count(cls, fields["num_bad_epochs"], "num_bad_epochs",
                                               limits),
                "cooldown_counter": _state_count(cls, fields["cooldown_counter"],
                                                 "cooldown_counter", limits, epochs=False),
                "learning_rate": rate}


class ModelCheckpoint(Callback):
    r"""Save the model after an epoch whose monitored value is the best so far (or after every
    epoch).

    Parameters
    ----------
    path : str or os.PathLike
        Where :meth:`ClassifierNN.save` writes (atomically: a crash mid-write leaves the previous
        file). Fields are filled in Keras's way, ``path.format(epoch=epoch, **logs)``: e.g.
        ``"model-{epoch:03d}.npz"`` or ``"model-{val_loss:.3f}.npz"`` keeps one file per save;
        a plain name is overwritten by each save.
    monitor : str, default 'val_loss'
        The history key to watch (unused when ``save_best_only`` is False).
    save_best_only : bool, default True
        Save only after an epoch whose value improves strictly on the best so far (``best``
        starts at :math:`+\infty` for ``'min'``, :math:`-\infty` for ``'max'``, and a NaN never
        improves); otherwise after every epoch.
    mode : {'auto', 'min', 'max'}, default 'auto'
        Whether smaller or larger is better (see the module docstring).

    Attributes
    ----------
    best : float
        The best monitored value seen.
    last_saved : str or None
        The path of the last save.
    """

    def __init__(self, path, monitor="val_loss", save_best_only=True, mode="auto"):
        if isinstance(path, os.PathLike):
            path = os.fspath(path)
        if not isinstance(path, str):
            raise TypeError(f"path must be a file name (str or os.PathLike), got {path!r}")
        try:
            list(string.Formatter().parse(path))
        except ValueError as exc:
            raise ValueError(f"path {path!r} is not a valid format string ({exc}); write a "
                             f"literal brace as '{{{{' or '}}}}'") from None
        self.path = path
        self.monitor = _check_monitor(monitor)
        self.save_best_only = check_bool(save_best_only, "save_best_only")
        self.mode = _resolve_mode(mode, self.monitor)

    def on_train_begin(self, model):
        self.model = model
        self.best = math.inf if self.mode == "min" else -math.inf
        self.last_saved = None

    def on_epoch_end(self, epoch, logs):
        if self.save_best_only:
            value = _monitored(self, logs)
            if not (value < self.best if self.mode == "min" else value > self.best):
                return False
        try:
            path = self.path.format_map({**logs, "epoch": epoch})
        except (KeyError, IndexError) as exc:
            raise ValueError(f"path {self.path!r} names {exc}, which is not 'epoch' nor a "
                             f"history key ({sorted(logs)})") from None
        self.model.save(path)
        # Only a saved model counts as the best: after a failed save, the next epoch that
        # beats the previous best is saved.
        if self.save_best_only:
            self.best = value
        self.last_saved = path
        return False

    def get_state(self):
        """``best`` (``None`` before any value)."""
        return {"best": _finite_or_none(self.best)}

    def set_state(self, state):
        state = self.check_state(state, StateLimits.of(self.model))
        self.best = _best_or_worst(state["best"], self.mode)

    @classmethod
    def check_state(cls, state, limits):
        """``best`` finite or ``None``."""
        fields = _state_fields(cls, state, ("best",))
        return {"best": _state_best(cls, fields["best"])}


class CSVLogger(Callback):
    """Write the history to a CSV file, one row per epoch.

    The columns are ``epoch`` (from 1) and then the keys of the first epoch's ``logs`` in their
    order; the file is started (atomically, with the header) at the first epoch of the run. Each
    row is appended by opening the file, writing and closing it, so the completed epochs are on
    disk however training ends, and no file stays open if it is interrupted. A key missing from a later epoch is left empty; keys
    that first appear later are not written.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    separator : str, default ','
        One character between the fields.
    append : bool, default False
        Add to an existing file (no second header when it is not empty) instead of starting it
        anew at the first epoch.

    Notes
    -----
    With ``resume=True`` the rows written before the checkpoint are kept (``get_state`` counts
    them) and the rows of epochs after it, written before an interruption, are dropped, so the
    file of a 10 + 10 epoch run equals that of a 20 epoch run.
    """

    def __init__(self, path, separator=",", append=False):
        if isinstance(path, os.PathLike):
            path = os.fspath(path)
        if not isinstance(path, str):
            raise TypeError(f"path must be a file name (str or os.PathLike), got {path!r}")
        if not isinstance(separator, str) or len(separator) != 1:
            raise (ValueError if isinstance(separator, str) else TypeError)(
                f"separator must be one character, got {separator!r}")
        self.path = path
        self.separator = separator
        self.append = check_bool(append, "append")

    def on_train_begin(self, model):
        self.model = model
        self.keys = None
        self.rows = 0
        self._keep_rows = None  # set by set_state: rows of the earlier run to keep

    def on_epoch_end(self, epoch, logs):
        if self.keys is None:
            self.keys = list(logs)
            self._start_file()
        self._append([epoch, *(_csv_value(logs.get(key, "")) for key in self.keys)])
        self.rows += 1
        return False

    def _start_file(self):
        """Before this run's first row: the header alone, or what an earlier run left.

        The file is replaced atomically (:func:`scratchnn.fileio.atomic_write`), so a crash
        here leaves the previous file whole.
        """
        exists = os.path.exists(self.path)
        if self._keep_rows is not None:
            lines = []
            if exists:
                with open(self.path, newline="", encoding="utf-8") as file:
                    lines = file.read().splitlines(keepends=True)[:1 + self._keep_rows]
            text = "".join(lines)
        elif self.append and exists and os.path.getsize(self.path) > 0:
            return
        else:
            text = ""
        if not text:
            buffer = io.StringIO(newline="")
            csv.writer(buffer, delimiter=self.separator).writerow(["epoch", *self.keys])
            text = buffer.getvalue()
        with atomic_write(self.path) as file:
            file.write(text.encode("utf-8"))

    def _append(self, row):
        # Opened and closed for every row: the row is on disk when the epoch ends, and no file
        # stays open if training is interrupted.
        with open(self.path, "a", newline="", encoding="utf-8") as file:
            csv.writer(file, delimiter=self.separator).writerow(row)

    def get_state(self):
        """``rows``: the epoch rows written so far."""
        return {"rows": self.rows}

    def set_state(self, state):
        state = self.check_state(state, StateLimits.of(self.model))
        self._keep_rows = state["rows"]
        self.rows = self._keep_rows

    @classmethod
    def check_state(cls, state, limits):
        """``rows`` from 0 to the epochs completed (one row per epoch)."""
        fields = _state_fields(cls, state, ("rows",))
        return {"rows": _state_count(cls, fields["rows"], "rows", limits)}


STATE_OWNERS = {cls.__name__: cls for cls in (EarlyStopping, ReduceLROnPlateau, ModelCheckpoint,
                                              CSVLogger)}
"""The callbacks of this module that keep a state, by the name a checkpoint files it under."""


def check_states(states, limits):
    """Every callback state of a checkpoint, checked by the class that owns it.

    Parameters
    ----------
    states : dict of str to dict
        By key: the callback's class name, ``_1``, ``_2``, ... added for the second, third
        callback of that class (as the training loop files them).
    limits : StateLimits

    Returns
    -------
    dict
        The checked states (:meth:`Callback.check_state`); those of callbacks not defined here
        are kept as they are, for their own ``set_state`` to check.
    """
    checked = {}
    for key, state in states.items():
        owner = STATE_OWNERS.get(re.sub(r"_[0-9]+\Z", "", key))
        checked[key] = state if owner is None else owner.check_state(state, limits)
    return checked


def _state_fields(cls, state, required, optional=()):
    """``state`` as a dict with every ``required`` key and no key outside ``required`` and
    ``optional``."""
    if not isinstance(state, dict):
        raise TypeError(f"{cls.__name__} state must be a dict, got {type(state).__name__}")
    for name in required:
        if name not in state:
            raise ValueError(f"{cls.__name__} state has no {name!r}")
    for name in state:
        if name not in required and name not in optional:
            raise ValueError(f"{cls.__name__} state has an unknown field {name!r}")
    return state


def _state_best(cls, best):
    """A saved ``best``: a finite number, or ``None`` before any value was seen."""
    return None if best is None else check_float(best, f"{cls.__name__} state best")


def _state_count(cls, value, name, limits, minimum=0, allow_none=False, epochs=True):
    """A saved counter: an integer from ``minimum`` to the epochs completed (``epochs``) or to
    ``2**53``."""
    maximum = min(limits.epochs, MAX_COUNT) if epochs else MAX_COUNT
    return check_int(value, f"{cls.__name__} state {name}", minimum=minimum,
                     maximum=maximum, allow_none=allow_none)


def _state_array(cls, value, name, like, non_negative=False):
    """A saved copy of the model array ``like``: its dtype and shape, finite values."""
    what = f"{cls.__name__} state {name}"
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{what} must be an array, got {type(value).__name__}")
    if value.dtype != like.dtype or value.shape != like.shape:
        raise ValueError(f"{what} must be {like.dtype} of shape {like.shape} (the model's), "
                         f"got {value.dtype} of shape {value.shape}")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{what} holds NaN or infinite values")
    if non_negative and np.any(value < 0):
        raise ValueError(f"{what} holds negative variances")
    return value


def _check_monitor(monitor):
    if not isinstance(monitor, str):
        raise TypeError(f"monitor must be a history key (a string), got {monitor!r}")
    return monitor


def _resolve_mode(mode, monitor):
    """``'min'`` or ``'max'`` from ``mode``; ``'auto'`` is ``'max'`` for accuracies."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        return "max" if _higher_is_better(monitor) else "min"
    return mode


def _higher_is_better(monitor):
    """Whether ``mode='auto'`` maximizes ``monitor``: accuracies and :math:`R^2`."""
    return "accuracy" in monitor or monitor == "r2" or monitor.endswith("_r2")


def _monitored(callback, logs):
    """The value of ``callback.monitor`` in ``logs`` as a float; a clear error when missing."""
    if callback.monitor not in logs:
        raise ValueError(f"{type(callback).__name__} monitors {callback.monitor!r}, but the "
                         f"history has only {sorted(logs)}")
    return float(logs[callback.monitor])


def _finite_or_none(best):
    """``best`` for a state dict: ``None`` while it is still the starting infinity."""
    return float(best) if math.isfinite(best) else None


def _best_or_worst(best, mode):
    """Inverse of :func:`_finite_or_none`."""
    if best is None:
        return math.inf if mode == "min" else -math.inf
    return float(best)


def _csv_value(value):
    """Numbers (Python or NumPy) as their shortest round-tripping text; the rest as ``str``."""
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return value


def _snapshot(model):
    """Copies of ``model``'s flat parameters and batch-norm running statistics."""
    return model.theta.copy(), {key: value.copy() for key, value in model.bn_state.items()}


def _restore(model, snapshot):
    """Write a :func:`_snapshot` back into ``model`` in place."""
    theta, bn_state = snapshot
    np.copyto(model.theta, theta)
    for key, value in bn_state.items():
        np.copyto(model.bn_state[key], value)
