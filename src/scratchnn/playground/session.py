"""One playground session: its settings, its data, its network and the training thread.

A session trains a real :class:`scratchnn.ClassifierNN` with :meth:`ClassifierNN.train` in a
thread of its own (a :class:`scratchnn.RegressorNN` on a regression data set, whose frames show
the prediction as a heat map and R² in place of the accuracy). A :class:`SessionCallback` in the training loop
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

Everything a page can ask for is bounded by :data:`~.settings.LIMITS` (:mod:`.settings`); the
script a session becomes is written by :mod:`.script`.
"""

import math
import os
import tempfile
import threading
import time
from dataclasses import replace

import numpy as np

from .. import datasets as _datasets
from .. import losses as _losses
from ..callback import Callback
from ..network import ClassifierNN
from ..regressor import RegressorNN
from . import streaming
from .advice import page_problems
from .features import feature_matrix
from .learn import lesson
from .pictures import GRID_SIZES, NetworkViews
from .script import python_code
from .settings import (
    LIMITS,
    REGRESSION_DATASETS,
    PlaygroundConfig,
    bounded_float,
    bounded_int,
    diagnostics_class,
    make_data,
    make_plan,
    train_parameters,
)
from .streaming import SampledDiagnostics, StreamCost

__all__ = ["Session", "SessionCallback"]

MAX_CURVE_POINTS = 400
"""Points per curve in a frame; longer histories are thinned evenly (the last epoch kept)."""


class SessionCallback(Callback):
    """The training loop's hook into a :class:`Session`: publishes frames, holds for pause."""

    def __init__(self, session):
        self.session = session
        self.offset = 0  # the epochs trained before this train call (training kept going)

    def on_epoch_end(self, epoch, logs):
        return self.session.epoch_end(self.offset + epoch, logs)


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
        self._idle = threading.Event()  # set while no training thread runs
        self._idle.set()
        self._event = None  # (version, the frame encoded as an event), made once per frame
        self._tasks = []
        self.touched = time.monotonic()
        self.watchers = 0
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
        # A regression set has values to fit, no classes: None.
        n_classes = None if config.dataset in REGRESSION_DATASETS else int(y.max()) + 1
        plan = make_plan(config, n_classes)
        network = RegressorNN if plan.regression else ClassifierNN
        model = network(plan.layer_dims, plan.activations, config.initialization,
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
            # The network's inputs: the chosen features of the points.
            "F_train": feature_matrix(X_train, config.features),
            "F_test": feature_matrix(X_test, config.features),
            "_Y_train": model.check_labels(y_train.reshape(1, -1), loss, y_train.size,
                                           np.float64),
            "_Y_test": model.check_labels(y_test.reshape(1, -1), loss, y_test.size, np.float64),
        }

    def _apply(self, prepared):
        for name, value in prepared.items():
            setattr(self, name, value)
        features = self.config.features
        self._views = NetworkViews(self.model, self.extent, self.loss, self.n_classes,
                                   (self.F_train, self.y_train, self._Y_train),
                                   (self.F_test, self.y_test, self._Y_test),
                                   inputs=lambda G: feature_matrix(G.T, features).T)
        self.epoch, self.error, self._finished, self._mode, self._steps = 0, None, False, "pause", 0
        self._stop = self._held = False
        score = "r2" if self.plan.regression else "accuracy"
        self.history = {"epoch": [], "loss": [], "train_loss": [], "test_loss": [],
                        f"train_{score}": [], f"test_{score}": []}
        self.edits = []  # weights set by hand: (epoch, layer, row, column, value)
        self._last_logs = {}
        self._diagnostics = self._sampler = self._diagnostics_summary = None
        self._latest_metrics = None
        self._rates = {"pictures": streaming.Rate(streaming.FRAME_DUTY),
                       "metrics": streaming.Rate(streaming.METRICS_DUTY),
                       "diagnostics": streaming.Rate(streaming.DIAGNOSTICS_DUTY)}
        self._curves = streaming.EncodedCurves(MAX_CURVE_POINTS)
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

    def continues(self, config):
        """Whether ``config`` may keep this session's training going rather than start again:
        it differs only in what the page shows, or at most in ``epochs`` too, not below the
        epochs trained, with no schedule (whose rates depend on the run's length) and an
        optimizer that continues exactly (``train(..., resume=True)``; not L-BFGS)."""
        if self.config.same_run(config):  # only what the page shows changed
            return True
        return (replace(self.config, epochs=config.epochs).same_run(config)
                and config.epochs >= self.epoch and config.schedule is None
                and config.optimizer != "lbfgs")

    def configure(self, config):
        """New settings: the training goes on where only the number of epochs changed
        (:meth:`continues`), else starts again (:meth:`reset`)."""
        with self._cond:
            if self.continues(config):
                self.config = config
                self._finished = self._finished and self.epoch >= config.epochs
                self._cond.notify_all()
                return
        self.reset(config)

    def reset(self, config=None, upload=None):
        """Stop training and start again from a freshly seeded network (new settings if given)."""
        if upload is None:
            upload = self.upload
        prepared = self._prepare(config or self.config, upload)
        self.close()
        with self._cond:
            self._apply(prepared)
            self._cond.notify_all()

    def watch(self, change):
        """One more (``+1``) or one fewer (``-1``) open event stream; either counts as use
        (``touched``), so a session whose last stream closed lives on for the server's grace."""
        with self._cond:
            self.watchers += change
            self.touched = time.monotonic()

    @property
    def training(self):
        """Whether the session's training thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

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
                             f"setting); press Keep training, raise epochs, or press Reset")

    def _start(self):
        if self._thread is None:
            self._thread = threading.Thread(target=self._train, name="playground-training",
                                            daemon=True)
            self._idle.clear()
            self._thread.start()

    def wait_idle(self, timeout=None):
        """Block until no training thread runs (it finished, failed, was stopped or never
        started), or ``timeout`` seconds; whether it ended. Woken once, at the end, not by
        every frame as :meth:`wait_for_frame` is."""
        return self._idle.wait(timeout)

    # ---------------------------------------------------------------- the training thread
    def _train(self):
        callbacks = []
        diagnostics = diagnostics_class()
        self._diagnostics = self._sampler = None
        if diagnostics is not None:
            self._diagnostics = diagnostics()
            self._sampler = SampledDiagnostics(self._diagnostics)
            callbacks.append(self._sampler)
        session_callback = SessionCallback(self)
        callbacks.append(session_callback)
        kwargs = dict(self.plan.train_kwargs, print_cost=False)
        if "callbacks" in train_parameters():
            kwargs["callbacks"] = callbacks
        else:  # the training loop's callbacks reached through train's callback(epoch, cost)
            kwargs["callback"] = lambda epoch, cost: session_callback.on_epoch_end(
                epoch, {"loss": cost})
        start = self._last_epoch_end = time.perf_counter()
        cpu_start, core_wait_start = time.thread_time(), streaming.core_wait_seconds()
        try:
            # One train call to the epochs setting; where the setting was raised meanwhile
            # (training kept going), more calls with resume=True, which continue exactly as
            # one call for all the epochs would have.
            while True:
                with self._cond:
                    offset = self.epoch
                    if self._stop or offset >= self.config.epochs:
                        break
                    epochs = self.config.epochs - offset
                session_callback.offset = offset
                if self._sampler is not None:
                    self._sampler.offset = offset
                if offset:
                    kwargs["resume"] = True
                self.model.train(self.F_train.T, self.y_train.reshape(1, -1),
                                 num_epochs=epochs, **kwargs)
        except _Stopped:
            pass
        except (ValueError, TypeError, ImportError) as exc:
            # DivergenceError, or settings the training loop refuses together (say, an
            # optimizer that cannot take dropout): the page shows the message.
            self.error = str(exc)
        finally:
            # Read inside the wall-clock span, so its parts never add up to more than it.
            self.cost.core_wait_seconds += streaming.core_wait_seconds() - core_wait_start
            self.cost.cpu_seconds += time.thread_time() - cpu_start
            self.cost.train_seconds += time.perf_counter() - start
            with self._cond:
                if not self._stop:
                    self._finished = self.error is None
                    self._publish(self._make_frame())
                self._run_tasks()
                self._thread = None
                self._idle.set()

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
        # Encoded before the lock is taken, so the threads that publishing wakes do not wait on
        # the lock for it (the version it will have is checked there).
        event = self._encode_event(frame) if frame is not None and self.watchers > 0 else None
        with self._cond:
            # One block from publishing to holding, so a page that sees 'paused' also sees
            # the frame of the epoch it paused at.
            if frame is not None:
                self._publish(frame)
                if event is not None and event[0] == self.version:
                    self._event = event
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
        self._event = None
        self._cond.notify_all()

    def _encode_event(self, frame):
        """``(version, event)``: ``frame`` encoded as the event a watching page receives
        (:meth:`wait_for_event`), with the version its publishing next will give it; None if it
        holds a number JSON cannot carry (left to the server, which says so). Called in the
        training thread, which alone publishes while it runs; timed as part of the frame."""
        begin = time.perf_counter()
        try:
            return (self.version + 1, self._event_bytes(self.version + 1, frame))
        except ValueError:
            return None
        finally:
            self.cost.frame_seconds += time.perf_counter() - begin

    def _event_bytes(self, version, frame):
        """:func:`.streaming.frame_event`, its curves encoded once for all the frames that
        show them (:class:`.streaming.EncodedCurves`)."""
        return streaming.frame_event(version, frame,
                                     self._curves.encoded(frame.get("history")))

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

    def wait_for_event(self, version, timeout):
        """:meth:`wait_for_frame`, the frame as the bytes of its Server-Sent Event
        (:func:`.streaming.frame_event`): ``(version, event)``, ``event`` None when no newer
        frame came within ``timeout``. Each frame is encoded once, whoever asks for it: by the
        training thread as it publishes it while a page watches, else by the first caller.

        Raises
        ------
        ValueError
            If the frame holds a number JSON cannot carry.
        """
        with self._cond:
            self._cond.wait_for(lambda: self.version > version, timeout)
            if self.version == version:
                return version, None
            version, frame, event = self.version, self.frame, self._event
        if event is None or event[0] != version:
            event = (version, self._event_bytes(version, frame))
            with self._cond:
                if self.version == version:
                    self._event = event
        return event

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
            last = getattr(self, "frame", None)
            pictures = (self._views.blank() if last is None
                        else {key: last[key] for key in ("boundary", "inputs", "units")})
        # Thinned (and encoded, :meth:`_event_bytes`) once per point added, not once per frame.
        history = self._curves.curves(self.history)
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
                "problems": page_problems(diagnostics, self.config.initialization)}

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
        The indices are checked against the network the change reaches (a reset in between
        may have replaced it).
        """
        value = bounded_float(value, "value", -LIMITS.max_weight, LIMITS.max_weight)

        def change():
            dims = self.plan.layer_dims
            at = bounded_int(layer, "layer", 1, len(dims) - 1)
            i = bounded_int(row, "row", 0, dims[at] - 1)
            j = bounded_int(column, "column", 0, dims[at - 1] - 1)
            self.model.parameters[f"W{at}"][i, j] = value
            self.edits.append((self.epoch, at, i, j, value))
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
                # "regression": values to fit, drawn on a diverging scale of +-value_scale
                # (the largest target's magnitude), scored by R²; else classes.
                "task": "regression" if self.plan.regression else "classification",
                "value_scale": self._views.value_scale,
                "layer_dims": self.plan.layer_dims,
                "activations": self.plan.activations,
                "loss": self.plan.loss,
                "extent": self.extent,
                "lesson": lesson(self.config, self.plan),
                "train": {"X": np.round(self.X_train, 4).tolist(),
                          "y": _targets(self.y_train)},
                "test": {"X": np.round(self.X_test, 4).tolist(), "y": _targets(self.y_test)},
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


def _targets(y):
    """Class indices as they are, values to fit rounded to 4 significant digits (JSON)."""
    return y.tolist() if y.dtype.kind == "i" else [float(f"{v:.4g}") for v in y.tolist()]


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
