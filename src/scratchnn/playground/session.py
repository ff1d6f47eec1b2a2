"""One playground session: its settings, its data, its network and the training thread.

A session trains a real :class:`scratchnn.ClassifierNN` with :meth:`ClassifierNN.train` in a
thread of its own. A :class:`SessionCallback` in the training loop
(:func:`scratchnn.training.fit`) publishes a *frame* (the decision boundary, each hidden unit's
picture, the weights, the losses and accuracies, the diagnostics) at most
:data:`.streaming.FRAME_INTERVAL` seconds apart, and holds the loop at an epoch boundary while
the session is paused.

Streaming must not slow training down much, so the training thread spends a bounded share of
its time on each part of a frame, and the cheap parts come more often than the dear ones
(:mod:`.streaming`): the pictures (one forward pass over a small grid, :mod:`.pictures`) come
with every frame, the losses and accuracies (a pass over all the points) and the
:class:`scratchnn.callbacks.Diagnostics` callback (whose per-step statistics cost about as much
as the training itself, so it runs only over epochs chosen for it) less often as the data and
the network grow. When training holds still (paused, stepped, finished) the frame has all of
them fresh, the pictures on the full grid and the diagnostics of its own epoch.
Pausing never changes what is computed: a session paused and resumed ten times ends with the
same parameters, bit for bit, as one uninterrupted ``train`` call, which is what
:meth:`Session.python_code` writes out.

Everything a page can ask for is bounded by :data:`LIMITS`; a bad setting raises a ValueError or
TypeError that names it.
"""

import csv
import inspect
import io
import math
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

from .. import activations as _activations
from .. import callbacks as _callbacks
from .. import datasets as _datasets
from .. import initializers as _initializers
from .. import losses as _losses
from .. import optimizers as _optimizers
from ..callback import Callback
from ..network import ClassifierNN
from ..validation import check_bool, check_float, check_int
from . import streaming
from .pictures import GRID_SIZES, UNIT_GRID, NetworkViews
from .streaming import SampledDiagnostics, StreamCost

__all__ = ["LIMITS", "Limits", "PlaygroundConfig", "Session", "SessionCallback",
           "options", "parse_csv"]

MAX_CURVE_POINTS = 400
"""Points per curve in a frame; longer histories are thinned evenly (the last epoch kept)."""

DATASETS = ("moons", "circles", "spiral", "xor", "blobs", "csv")


@dataclass(frozen=True)
class Limits:
    """What one page may ask for; every setting outside these bounds is refused with a message."""

    min_points: int = 20
    max_points: int = 2000
    max_hidden_layers: int = 6
    max_units: int = 16
    max_classes: int = 5
    max_epochs: int = 10000
    max_upload_bytes: int = 200_000
    max_feature: float = 1e300  # beyond this the picture's extent (and rounding) overflow
    max_sessions: int = 8
    session_idle_seconds: float = 1800.0
    boundary_grid: int = GRID_SIZES["still"]  # while training runs: GRID_SIZES["running"]
    unit_grid: int = UNIT_GRID  # a sample of the boundary's grid: one forward pass for both
    max_weight: float = 100.0  # a weight set by hand on the page


LIMITS = Limits()


def schedule_names():
    """The learning-rate schedules ``train`` accepts by name, read when called (empty if none).

    A name of the :mod:`scratchnn.schedules` registry is offered when ``ClassifierNN.train``
    takes an ``lr_schedule`` argument and ``schedules.get(name, num_epochs)`` builds it from the
    name alone (a schedule that needs more arguments is left out).
    """
    try:
        from .. import schedules
    except ImportError:
        return []
    registry = getattr(schedules, "SCHEDULES", None)
    get = getattr(schedules, "get", None)
    if not isinstance(registry, dict) or get is None or "lr_schedule" not in _train_parameters():
        return []
    names = []
    for name in sorted(registry):
        try:
            get(name, 10)
        except (TypeError, ValueError):
            continue
        names.append(name)
    return names


def _train_parameters():
    return inspect.signature(ClassifierNN.train).parameters


def hidden_activation_names():
    """Activations a hidden layer may use (read from the registry)."""
    return [name for name in _activations.ACTIVATIONS if name != "softmax"]


def options():
    """What the page may choose from, read from the registries, plus the limits and defaults."""
    return {
        "datasets": list(DATASETS),
        "activations": hidden_activation_names(),
        "initializers": sorted(_initializers.INITIALIZERS),
        "optimizers": list(_optimizers.OPTIMIZERS),
        "schedules": schedule_names(),
        "diagnostics": _diagnostics_class() is not None,
        "limits": asdict(LIMITS),
        "defaults": PlaygroundConfig().to_json(),
        "formulas": _formulas(),
    }


def _formulas():
    """The Notes of each activation, loss and optimizer docstring: the documentation's formulas."""

    def notes(obj):
        doc = inspect.getdoc(obj) or ""
        head, _, rest = doc.partition("Notes\n-----\n")
        text = rest if rest else head
        return text.split("\n\n\n")[0].replace(".. math:: ", "").strip()

    return {
        "activations": {name: notes(cls) for name, cls in _activations.ACTIVATIONS.items()},
        "losses": {name: notes(cls) for name, cls in _losses.LOSSES.items()},
        "optimizers": {name: notes(cls) for name, cls in _optimizers.OPTIMIZERS.items()},
    }


def _diagnostics_class():
    """``scratchnn.callbacks.Diagnostics`` where it exists and ``train`` takes ``callbacks``
    (the way to hand it to the training loop), else None."""
    if "callbacks" not in _train_parameters():
        return None
    return getattr(_callbacks, "Diagnostics", None)


# --------------------------------------------------------------------------- settings
def _bounded_int(value, name, low, high):
    value = check_int(value, name, minimum=low)
    if value > high:
        raise ValueError(f"{name} must be at most {high} (the playground's limit), got {value}")
    return value


def _bounded_float(value, name, low, high, low_open=False):
    # check_float reads the number through validation.to_float, the one rule for numbers from
    # anywhere: a 400-digit integer of JSON is a ValueError naming the setting.
    return check_float(value, name, low=low, high=high, low_open=low_open)


def _choice(value, name, choices):
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {value!r}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


@dataclass(frozen=True)
class PlaygroundConfig:
    """A session's settings, as the page sends them (JSON) and :meth:`from_json` checks them.

    ``hidden`` is one ``{"units": n, "activation": name}`` per hidden layer; ``keep_prob`` is
    dropout's keep probability for every hidden layer's output (1 turns dropout off).
    """

    dataset: str = "moons"
    n_points: int = 500
    noise: float = 0.1
    classes: int = 3
    test_fraction: float = 0.3
    seed: int = 0
    hidden: tuple = ({"units": 8, "activation": "tanh"}, {"units": 8, "activation": "tanh"})
    batch_norm: bool = False
    keep_prob: float = 1.0
    initialization: str = "he"
    optimizer: str = "adam"
    learning_rate: float = 0.03
    schedule: str = None
    batch_size: int = 32
    l2: float = 0.0
    epochs: int = 2000

    @classmethod
    def from_json(cls, data, base=None):
        """Check a JSON object of settings; missing ones keep ``base``'s (default: the defaults)."""
        if not isinstance(data, dict):
            raise TypeError(f"the settings must be a JSON object, got {type(data).__name__}")
        base = base or cls()
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r}; expected some of {names}")
        merged = {**asdict(base), **data}
        lim = LIMITS
        hidden = merged["hidden"]
        if not isinstance(hidden, (list, tuple)):
            raise TypeError(f"hidden must be a list of layers, got {hidden!r}")
        if len(hidden) > lim.max_hidden_layers:
            raise ValueError(f"hidden may have at most {lim.max_hidden_layers} layers (the "
                             f"playground's limit), got {len(hidden)}")
        layers = []
        for i, layer in enumerate(hidden):
            where = f"hidden[{i}]"
            if not isinstance(layer, dict) or set(layer) != {"units", "activation"}:
                raise TypeError(f"{where} must be an object with 'units' and 'activation', "
                                f"got {layer!r}")
            layers.append({
                "units": _bounded_int(layer["units"], f"{where}.units", 1, lim.max_units),
                "activation": _choice(layer["activation"], f"{where}.activation",
                                      hidden_activation_names()),
            })
        schedule = merged["schedule"]
        if schedule is not None:
            schedule = _choice(schedule, "schedule", schedule_names())
        config = cls(
            dataset=_choice(merged["dataset"], "dataset", DATASETS),
            n_points=_bounded_int(merged["n_points"], "n_points", lim.min_points,
                                  lim.max_points),
            noise=_bounded_float(merged["noise"], "noise", 0.0, 1.0),
            classes=_bounded_int(merged["classes"], "classes", 2, lim.max_classes),
            test_fraction=_bounded_float(merged["test_fraction"], "test_fraction", 0.1, 0.9),
            seed=_bounded_int(merged["seed"], "seed", 0, 2**31 - 1),
            hidden=tuple(layers),
            batch_norm=check_bool(merged["batch_norm"], "batch_norm"),
            keep_prob=_bounded_float(merged["keep_prob"], "keep_prob", 0.1, 1.0),
            initialization=_choice(merged["initialization"], "initialization",
                                   sorted(_initializers.INITIALIZERS)),
            optimizer=_choice(merged["optimizer"], "optimizer", list(_optimizers.OPTIMIZERS)),
            learning_rate=_bounded_float(merged["learning_rate"], "learning_rate", 0.0, 10.0,
                                         low_open=True),
            schedule=schedule,
            batch_size=_bounded_int(merged["batch_size"], "batch_size", 1, lim.max_points),
            l2=_bounded_float(merged["l2"], "l2", 0.0, 1.0),
            epochs=_bounded_int(merged["epochs"], "epochs", 1, lim.max_epochs),
        )
        return config

    def to_json(self):
        out = asdict(self)
        out["hidden"] = [dict(layer) for layer in self.hidden]
        return out


def parse_csv(text):
    """Points from CSV text: two feature columns and an integer label per row.

    A first row that is not numeric is taken as a header. Labels are mapped to ``0 .. k - 1`` in
    sorted order (the original labels are returned too). Lines may end in LF, CR LF or CR alone
    (old Mac spreadsheets), as for the command line. A feature larger in magnitude than
    ``LIMITS.max_feature`` is refused: the picture's extent around it would overflow to
    infinity, which JSON cannot carry.

    Returns
    -------
    X : ndarray of shape (n, 2), float64
    y : ndarray of shape (n,), int64
    labels : list
        The original label of each class index.
    """
    if not isinstance(text, str):
        raise TypeError(f"the CSV must be text, got {type(text).__name__}")
    lim = LIMITS
    if len(text.encode()) > lim.max_upload_bytes:
        raise ValueError(f"the CSV is larger than {lim.max_upload_bytes} bytes (the playground's "
                         f"limit)")
    reader = csv.reader(io.StringIO(text, newline=""))  # "": the reader sees CR-only line ends
    try:
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:  # a field over csv.field_size_limit(), a NUL, ...
        raise ValueError(f"the CSV cannot be read at line {reader.line_num}: {exc}") from None
    if rows:
        try:
            [float(cell) for cell in rows[0]]
        except ValueError:
            rows = rows[1:]  # a header
    if not lim.min_points <= len(rows) <= lim.max_points:
        raise ValueError(f"the CSV must have between {lim.min_points} and {lim.max_points} rows "
                         f"of data, got {len(rows)}")
    X = np.empty((len(rows), 2))
    raw = []
    for i, row in enumerate(rows, start=1):
        if len(row) != 3:
            raise ValueError(f"CSV row {i} must have 3 columns (x1, x2, label), got {len(row)}")
        try:
            X[i - 1] = [float(row[0]), float(row[1])]
            label = float(row[2])
        except ValueError:
            raise ValueError(f"CSV row {i} must hold numbers, got {row!r}") from None
        if not (np.all(np.isfinite(X[i - 1])) and math.isfinite(label)
                and label == int(label)):
            raise ValueError(f"CSV row {i} must hold finite features and an integer label, "
                             f"got {row!r}")
        for column in (0, 1):
            if abs(X[i - 1, column]) > lim.max_feature:
                raise ValueError(f"CSV row {i}, column {column + 1} (x{column + 1}): "
                                 f"{row[column]} is too large; the playground accepts features "
                                 f"of magnitude at most {lim.max_feature:g}")
        raw.append(int(label))
    labels = sorted(set(raw))
    if not 2 <= len(labels) <= lim.max_classes:
        raise ValueError(f"the CSV must have between 2 and {lim.max_classes} distinct labels, "
                         f"got {len(labels)}")
    index = {label: k for k, label in enumerate(labels)}
    y = np.array([index[label] for label in raw], dtype=np.int64)
    return X, y, labels


def make_data(config, upload=None):
    """``(X, y)`` for ``config``: generated with its seed, or the uploaded ``(X, y)``."""
    n, noise, seed = config.n_points, config.noise, config.seed
    if config.dataset == "csv":
        if upload is None:
            raise ValueError("dataset 'csv' needs an uploaded CSV file first")
        return upload
    if config.dataset == "moons":
        return _datasets.make_moons(n, noise, seed=seed)
    if config.dataset == "circles":
        return _datasets.make_circles(n, noise, seed=seed)
    if config.dataset == "xor":
        return _datasets.make_xor(n, noise, seed=seed)
    if config.dataset == "spiral":
        return _datasets.make_spiral(n, config.classes, noise, seed=seed)
    return _datasets.make_blobs(n, config.classes, noise, seed=seed)


# --------------------------------------------------------------------------- the network
@dataclass(frozen=True)
class _Plan:
    """The network and the ``train`` arguments a configuration and its data give."""

    layer_dims: list
    activations: list
    loss: str
    train_kwargs: dict = field(default_factory=dict)


def _plan(config, n_classes):
    binary = n_classes == 2
    layer_dims = [2, *(layer["units"] for layer in config.hidden), 1 if binary else n_classes]
    activations = [layer["activation"] for layer in config.hidden]
    activations.append("sigmoid" if binary else "softmax")
    keep_prob = None
    if config.keep_prob < 1.0 and config.hidden:
        keep_prob = (1.0, *([config.keep_prob] * len(config.hidden)))
    loss = "BinaryCrossEntropy" if binary else "SparseCategoricalCrossEntropy"
    kwargs = {"loss": loss, "learning_rate": config.learning_rate,
              "batch_size": config.batch_size, "lambd": config.l2, "keep_prob": keep_prob,
              "optimizer": config.optimizer}
    if config.schedule is not None:
        kwargs["lr_schedule"] = config.schedule
    return _Plan(layer_dims, activations, loss, kwargs)


class SessionCallback(Callback):
    """The training loop's hook into a :class:`Session`: publishes frames, holds for pause."""

    def __init__(self, session):
        self.session = session

    def on_epoch_end(self, epoch, logs):
        return self.session.epoch_end(epoch, logs)


class _Stopped(Exception):
    """The session was reset while its training thread waited."""


class Session:
    """One browser tab's playground: settings, data, network, training thread and frames.

    Parameters
    ----------
    config : PlaygroundConfig, optional
    upload : tuple (X, y, labels), optional
        Data from :func:`parse_csv`, used when ``config.dataset == 'csv'``.
    """

    def __init__(self, config=None, upload=None):
        self._cond = threading.Condition()
        self._thread = None
        self._tasks = []
        self.touched = time.monotonic()
        self._setup(config or PlaygroundConfig(), upload)

    # ---------------------------------------------------------------- setup
    def _setup(self, config, upload):
        self._apply(self._prepare(config, upload))

    @staticmethod
    def _prepare(config, upload):
        """Data, split, network and labels for ``config``; raises before anything changes."""
        X, y = make_data(config, upload and upload[:2])
        X_train, X_test, y_train, y_test = _datasets.train_test_split(
            X, y, test_size=config.test_fraction, seed=config.seed)
        if config.batch_size > X_train.shape[0]:
            config = replace(config, batch_size=X_train.shape[0])
        n_classes = int(y.max()) + 1
        plan = _plan(config, n_classes)
        model = ClassifierNN(plan.layer_dims, plan.activations, config.initialization,
                             batch_norm=config.batch_norm, seed=config.seed)
        loss = _losses.get(plan.loss)
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = np.maximum(0.1 * (hi - lo), 0.25)
        extent = [float(lo[0] - pad[0]), float(hi[0] + pad[0]),
                  float(lo[1] - pad[1]), float(hi[1] + pad[1])]
        return {
            "config": config, "upload": upload, "plan": plan, "model": model,
            "n_classes": n_classes, "loss": loss, "extent": extent,
            "X_train": X_train, "X_test": X_test, "y_train": y_train, "y_test": y_test,
            "_Y_train": model.check_labels(y_train.reshape(1, -1), loss, y_train.size,
                                           np.float64),
            "_Y_test": model.check_labels(y_test.reshape(1, -1), loss, y_test.size, np.float64),
        }

    def _apply(self, prepared):
        for name, value in prepared.items():
            setattr(self, name, value)
        self._views = NetworkViews(self.model, self.extent, self.loss, self.n_classes,
                                   (self.X_train, self.y_train, self._Y_train),
                                   (self.X_test, self.y_test, self._Y_test))
        self.epoch, self.error, self._finished, self._mode, self._steps = 0, None, False, "pause", 0
        self._stop = self._held = False
        self.history = {"epoch": [], "loss": [], "train_loss": [], "test_loss": [],
                        "train_accuracy": [], "test_accuracy": []}
        self.edits = []  # weights set by hand: (epoch, layer, row, column, value)
        self._last_logs = {}
        self._diagnostics = self._sampler = self._diagnostics_summary = None
        self._latest_metrics = None
        self._rates = {"pictures": streaming.Rate(streaming.FRAME_DUTY),
                       "metrics": streaming.Rate(streaming.METRICS_DUTY),
                       "diagnostics": streaming.Rate(streaming.DIAGNOSTICS_DUTY)}
        self._last_epoch_end = None
        self._epoch_time = 0.0  # the last epoch's own time, without the hooks
        self.cost = StreamCost()
        self.version = getattr(self, "version", -1) + 1
        self._latest_metrics = self._metrics()
        self.frame = self._make_frame()

    # ---------------------------------------------------------------- controls
    @property
    def status(self):
        """'ready', 'running', 'paused', 'finished' or 'error'."""
        if self.error is not None:
            return "error"
        if self._finished:
            return "finished"
        if self._thread is None:
            return "ready"
        return "paused" if self._held and self._holding() else "running"

    def play(self):
        """Start or resume training."""
        with self._cond:
            self._check_can_train()
            self._mode = "run"
            self._cond.notify_all()
            self._start()

    def pause(self):
        """Hold training at the next epoch boundary."""
        with self._cond:
            if self._mode == "run":
                self._mode = "pause"
                self._cond.notify_all()

    def step(self):
        """Train exactly one more epoch, then hold."""
        with self._cond:
            self._check_can_train()
            self._mode = "pause"
            self._steps += 1
            self._cond.notify_all()
            self._start()

    def reset(self, config=None, upload=None):
        """Stop training and start again from a freshly seeded network (new settings if given)."""
        if upload is None:
            upload = self.upload
        prepared = self._prepare(config or self.config, upload)
        self.close()
        with self._cond:
            self._apply(prepared)
            self._cond.notify_all()

    def close(self):
        """Stop the training thread, if any, and wait for it."""
        with self._cond:
            thread = self._thread
            self._stop = True
            self._cond.notify_all()
        if thread is not None:
            thread.join()

    def _check_can_train(self):
        if self.error is not None:
            raise ValueError(f"training failed ({self.error}); press Reset")
        if self._finished:
            raise ValueError(f"training finished after {self.epoch} epochs (the epochs "
                             f"setting); press Reset or raise epochs")

    def _start(self):
        if self._thread is None:
            self._thread = threading.Thread(target=self._train, name="playground-training",
                                            daemon=True)
            self._thread.start()

    # ---------------------------------------------------------------- the training thread
    def _train(self):
        callbacks = []
        diagnostics = _diagnostics_class()
        self._diagnostics = self._sampler = None
        if diagnostics is not None:
            self._diagnostics = diagnostics()
            self._sampler = SampledDiagnostics(self._diagnostics)
            callbacks.append(self._sampler)
        session_callback = SessionCallback(self)
        callbacks.append(session_callback)
        kwargs = dict(self.plan.train_kwargs, num_epochs=self.config.epochs, print_cost=False)
        if "callbacks" in _train_parameters():
            kwargs["callbacks"] = callbacks
        else:  # the training loop's callbacks reached through train's callback(epoch, cost)
            kwargs["callback"] = lambda epoch, cost: session_callback.on_epoch_end(
                epoch, {"loss": cost})
        start = self._last_epoch_end = time.perf_counter()
        try:
            self.model.train(self.X_train.T, self.y_train.reshape(1, -1), **kwargs)
        except _Stopped:
            pass
        except (ValueError, TypeError, ImportError) as exc:
            # DivergenceError, or settings the training loop refuses together (say, an
            # optimizer that cannot take dropout): the page shows the message.
            self.error = str(exc)
        finally:
            self.cost.train_seconds += time.perf_counter() - start
            with self._cond:
                if not self._stop:
                    self._finished = self.error is None
                    self._publish(self._make_frame())
                self._run_tasks()
                self._thread = None

    def epoch_end(self, epoch, logs):
        """Record the epoch, publish a frame when one is due, hold while paused (called by
        :class:`SessionCallback` in the training thread). A reset ends training from here."""
        now = time.perf_counter()
        with self._cond:
            self.epoch = epoch
            self._last_logs = dict(logs)
            if self._steps > 0:
                self._steps -= 1
            hold = self._holding()
        sampler, last = self._sampler, epoch == self.config.epochs
        recorded = sampler is None or sampler.epoch == epoch
        if sampler is not None and sampler.epoch == epoch:
            self._diagnostics_summary = _jsonable(self._diagnostics_frame(epoch))
            seconds = sampler.take_seconds()
            self.cost.diagnostics_seconds += seconds
            self._rates["diagnostics"].paid(now, seconds)
        # A paused page shows the diagnostics of its own epoch: a pause that arrives after an
        # epoch the diagnostics did not record waits for the next epoch, which they will record.
        # Frames while training runs show the latest diagnostics, with their epoch.
        unrecorded = not (recorded or last)
        hold = hold and not unrecorded
        frame = None
        # Frames come only at epoch ends: one falls due at the end nearest its time, so that
        # with epochs as long as a frame's spacing the frames do not come every other epoch.
        soon = now + self._epoch_time / 2
        if hold or last or self._rates["pictures"].due(soon):
            frame = self._timed_frame(epoch, logs.get("loss"), "paused" if hold else None, now,
                                      still=hold or last)
        with self._cond:
            # One block from publishing to holding, so a page that sees 'paused' also sees
            # the frame of the epoch it paused at.
            if frame is not None:
                self._publish(frame)
            if self._holding() and not hold and not unrecorded:  # paused while the epoch ended
                self._record(epoch, logs.get("loss"))
                self._publish(self._make_frame("paused"))
            self._run_tasks()
            while self._holding() and not unrecorded:
                self._held = True
                self._cond.wait()
                self._run_tasks()
            self._held = False
            if self._stop:
                raise _Stopped
            running = self._mode == "run" and self._steps == 0
        self._arm_diagnostics(epoch, running, now)
        return False

    def _timed_frame(self, epoch, loss, status, start, still):
        """The epoch's frame: its pictures, and its metrics when they are due (or ``still``:
        training holds or ends here); their costs set when each may come again."""
        cost = self.cost
        if still or self._rates["metrics"].due(start + self._epoch_time / 2):
            begin = time.perf_counter()
            self._record(epoch, loss)
            seconds = time.perf_counter() - begin
            self._rates["metrics"].paid(begin, seconds)
            cost.frame_seconds += seconds
        begin = time.perf_counter()
        frame = self._make_frame(status, still=still)
        seconds = time.perf_counter() - begin
        self._rates["pictures"].paid(begin, seconds)
        cost.frames += 1
        cost.frame_seconds += seconds
        return frame

    def _arm_diagnostics(self, epoch, running, epoch_end):
        """Have the diagnostics record the next epoch when they fall due within about one
        epoch's time, or training is not running freely (a step or a pause holds after it), or
        it is the last epoch."""
        now = time.perf_counter()
        # The epoch's own time: from the end of the last epoch's hook to the start of this one.
        epoch_time = 0.0 if self._last_epoch_end is None else epoch_end - self._last_epoch_end
        self._last_epoch_end, self._epoch_time = now, epoch_time
        if self._sampler is None or epoch >= self.config.epochs:
            return
        if (not running or epoch + 1 == self.config.epochs
                or self._rates["diagnostics"].due(now + epoch_time)):
            self._sampler.arm()

    def _holding(self):
        return self._mode != "run" and self._steps == 0 and not self._stop

    def _publish(self, frame):
        self.frame = frame
        self.version += 1
        self._cond.notify_all()

    def _run_tasks(self):
        while self._tasks:
            task, done = self._tasks.pop(0)
            try:
                done.result = task()
            except Exception as exc:  # handed back to the caller's thread
                done.error = exc
            done.set()

    def at_epoch_boundary(self, task, timeout=30.0):
        """``task()`` run while the model holds still (between two epochs, or when idle)."""
        with self._cond:
            if self._thread is None:
                return task()
            done = threading.Event()
            done.result = done.error = None
            self._tasks.append((task, done))
            self._cond.notify_all()
        if not done.wait(timeout):  # pragma: no cover - a stuck epoch
            raise TimeoutError("the training thread did not reach an epoch boundary")
        if done.error is not None:
            raise done.error
        return done.result

    def wait_for_frame(self, version, timeout):
        """Block until a frame newer than ``version`` exists (or ``timeout``); return it."""
        with self._cond:
            self._cond.wait_for(lambda: self.version > version, timeout)
            return self.version, self.frame

    # ---------------------------------------------------------------- frames
    def _metrics(self):
        """The views' metrics, or None when the network's output is not finite (a run that
        diverged)."""
        try:
            return self._views.metrics()
        except ValueError:
            return None

    def _record(self, epoch, loss):
        """Append the epoch's losses and accuracies to the history (the curves' data)."""
        if self.history["epoch"] and self.history["epoch"][-1] == epoch:
            return
        metrics = self._metrics()
        if metrics is None:
            return
        self._latest_metrics = metrics
        self.history["epoch"].append(epoch)
        self.history["loss"].append(_rounded(loss))
        for key, value in metrics.items():
            self.history[key].append(_rounded(value))

    def _make_frame(self, status=None, still=True):
        """What the page draws: boundary, unit pictures, weights, metrics, history; JSON-ready.

        The pictures are made on the full grid when ``still`` (training holds or ends), on the
        smaller one while it runs (:data:`.pictures.GRID_SIZES`).
        """
        try:
            pictures = self._views.pictures(GRID_SIZES["still" if still else "running"])
        except ValueError:  # parameters too large to evaluate (a run that diverged)
            pictures = {"boundary": self.frame["boundary"], "units": self.frame["units"]}
        n = len(self.history["epoch"])
        stride = max(1, math.ceil(n / MAX_CURVE_POINTS))
        keep = list(range(0, n, stride))
        if n and keep[-1] != n - 1:
            keep.append(n - 1)  # the curves always end at the latest epoch
        history = {key: [values[i] for i in keep] for key, values in self.history.items()}
        loss = self._last_logs.get("loss")
        metrics = self._latest_metrics
        extra = {key: value for key, value in self._last_logs.items() if key != "loss"}
        return {
            "epoch": self.epoch,
            "status": status or self.status,
            "error": self.error,
            "loss": loss,
            "metrics": metrics,
            "history": history,
            **pictures,
            "weights": self._views.weights(),
            "logs": _jsonable(extra),
            "diagnostics": self._diagnostics_summary,
        }

    def _diagnostics_frame(self, epoch):
        """The Diagnostics callback's last epoch per layer, and the problems it reports."""
        diagnostics = self._diagnostics
        if diagnostics is None or not diagnostics.n_epochs:
            return None
        return {"epoch": epoch, "layers": list(diagnostics.layer_names),
                "values": {name: diagnostics.last(name) for name in diagnostics.history},
                "problems": list(diagnostics.problems())}

    # ---------------------------------------------------------------- a weight set by hand
    def set_weight(self, layer, row, column, value):
        """Set one weight of the live network, ``W[layer][row, column] = value``, between two
        epochs; the frame that follows shows its effect.

        Parameters
        ----------
        layer : int
            1 .. L: the layer whose input the weight scales (``W1`` joins the inputs to the
            first hidden layer).
        row, column : int
            The unit of ``layer`` (0 .. n_layer - 1) and the unit of the layer below
            (0 .. n_{layer-1} - 1) it joins.
        value : float
            At most ``LIMITS.max_weight`` in magnitude.

        Returns the frame published after the change. The change is recorded in
        :attr:`edits`; :meth:`python_code` replays the ones made before training started.
        """
        dims = self.plan.layer_dims
        layer = _bounded_int(layer, "layer", 1, len(dims) - 1)
        row = _bounded_int(row, "row", 0, dims[layer] - 1)
        column = _bounded_int(column, "column", 0, dims[layer - 1] - 1)
        value = _bounded_float(value, "value", -LIMITS.max_weight, LIMITS.max_weight)

        def change():
            self.model.parameters[f"W{layer}"][row, column] = value
            self.edits.append((self.epoch, layer, row, column, value))
            self._latest_metrics = self._metrics()
            self._publish(self._make_frame())
            return self.frame

        return self.at_epoch_boundary(change)

    def state(self):
        """The session's full state: settings, data points, the latest frame."""
        with self._cond:
            frame = dict(self.frame, status=self.status, error=self.error)
            return {
                "config": self.config.to_json(),
                "n_classes": self.n_classes,
                "layer_dims": self.plan.layer_dims,
                "activations": self.plan.activations,
                "loss": self.plan.loss,
                "extent": self.extent,
                "train": {"X": np.round(self.X_train, 4).tolist(), "y": self.y_train.tolist()},
                "test": {"X": np.round(self.X_test, 4).tolist(), "y": self.y_test.tolist()},
                "version": self.version,
                "frame": frame,
            }

    # ---------------------------------------------------------------- take it home
    def model_file(self):
        """The model as the bytes of a :func:`scratchnn.io.save` file, taken between epochs."""

        def save():
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "playground-model.npz")
                self.model.save(path)
                with open(path, "rb") as file:
                    return file.read()

        return self.at_epoch_boundary(save)

    def python_code(self):
        """A Python script that rebuilds the data and the network and trains them as this
        session did (its epochs so far), ending with the same parameters bit for bit."""
        epochs, edits = self.at_epoch_boundary(lambda: (self.epoch, list(self.edits)))
        return python_code(self.config, self.plan, epochs, self.upload, edits)


def _rounded(value):
    return value if value is None or isinstance(value, int) else float(f"{value:.5g}")


def _jsonable(value):
    """``value`` with NumPy scalars and arrays made into plain numbers and lists."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def _train_lines(epochs, arguments, total_epochs, schedule):
    if epochs == 0:
        return ["# Not trained yet: the playground's network is still as initialized."]
    if schedule is None or epochs == total_epochs:
        return ["model.train(",
                f"    X_train.T, y_train.reshape(1, -1), num_epochs={epochs}, print_cost=False,",
                *(f"    {argument}," for argument in arguments),
                ")"]
    # The schedule's rates depend on the run's length: train for the playground's number of
    # epochs, and stop where the playground was.
    return [f"# The {schedule!r} schedule spreads over {total_epochs} epochs; the playground "
            f"stopped after {epochs}.",
            "model.train(",
            f"    X_train.T, y_train.reshape(1, -1), num_epochs={total_epochs}, "
            f"print_cost=False,",
            *(f"    {argument}," for argument in arguments),
            f"    callback=lambda epoch, cost: epoch >= {epochs},",
            ")"]


def _edit_lines(edits):
    """The script's lines for the weights set by hand on the page (:meth:`Session.set_weight`):
    the ones made before training are replayed; later ones cannot be inside one ``train`` call,
    and the script says so."""
    before = [edit for edit in edits if edit[0] == 0]
    during = [edit for edit in edits if edit[0] > 0]
    lines = []
    if before:
        lines.append("# Weights set by hand on the page before training:")
        lines += [f"model.parameters['W{layer}'][{row}, {column}] = {value!r}"
                  for _, layer, row, column, value in before]
    if during:
        listed = ", ".join(f"W{layer}[{row}, {column}] = {value!r} after epoch {epoch}"
                           for epoch, layer, row, column, value in during)
        lines += ["# Weights were also set by hand while training ran, which one train call",
                  f"# cannot replay: {listed}.",
                  "# This script ends where the page would have without them."]
    return lines


def python_code(config, plan, epochs, upload=None, edits=()):
    """The script of :meth:`Session.python_code`; ``edits`` are :attr:`Session.edits`."""
    c = config
    imports = ["from scratchnn import ClassifierNN"]
    if c.dataset == "csv":
        imports = ["import numpy as np", "", *imports]
        X, y, labels = upload
        data = [
            f"# The uploaded CSV's points; labels {labels} are classes 0 .. {len(labels) - 1}.",
            "X = np.array([",
            *(f"    [{a!r}, {b!r}]," for a, b in X.tolist()),
            "])",
            f"y = np.array({y.tolist()!r})",
        ]
        imports.append("from scratchnn.datasets import train_test_split")
    else:
        maker = f"make_{c.dataset}"
        imports.append(f"from scratchnn.datasets import {maker}, train_test_split")
        if c.dataset in ("spiral", "blobs"):
            call = f"{maker}({c.n_points}, {c.classes}, {c.noise!r}, seed={c.seed})"
        else:
            call = f"{maker}({c.n_points}, {c.noise!r}, seed={c.seed})"
        data = [f"X, y = {call}"]
    kwargs = dict(plan.train_kwargs)
    arguments = [f"{key}={value!r}" for key, value in kwargs.items()]
    lines = [
        f'"""A scratchnn playground session, {epochs} epoch(s) of training, as a script.',
        "",
        "It rebuilds the same data, the same network with the same seed, and trains it with the",
        "same settings, so the model ends with the playground's parameters bit for bit.",
        '"""',
        "",
        *imports,
        "",
        "# The data: one example per row, as scikit-learn has it.",
        *data,
        f"X_train, X_test, y_train, y_test = train_test_split(X, y, test_size={c.test_fraction!r},"
        f" seed={c.seed})",
        "",
        "# The network: ClassifierNN wants one example per column, hence the .T below.",
        f"model = ClassifierNN({plan.layer_dims!r}, {plan.activations!r}, {c.initialization!r},",
        f"                     batch_norm={c.batch_norm!r}, seed={c.seed})",
        *_edit_lines(edits),
        *_train_lines(epochs, arguments, c.epochs, c.schedule),
        "",
        'print(f"train accuracy {model.accuracy(X_train.T, y_train):.4f}")',
        'print(f"test accuracy {model.accuracy(X_test.T, y_test):.4f}")',
        "",
    ]
    return "\n".join(lines)
