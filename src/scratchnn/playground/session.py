"""One playground session: its settings, its data, its network and the training thread.

A session trains a real :class:`scratchnn.ClassifierNN` with :meth:`ClassifierNN.train` in a
thread of its own. A :class:`SessionCallback` in the training loop
(:func:`scratchnn.training.fit`) publishes a *frame* (the decision boundary, each hidden unit's
picture, the losses and accuracies, the diagnostics) at most :data:`FRAME_INTERVAL` seconds apart,
and holds the loop at an epoch boundary while the session is paused.

Streaming must not slow training down much, so the training thread spends at most about
:data:`FRAME_DUTY` of its time on it: a frame is one forward pass over the picture's grid and
all the points together, through arrays allocated once, and the next frame waits until the
one before has been paid for. The :class:`scratchnn.callbacks.Diagnostics` callback, whose
per-step statistics would otherwise cost as much as the training itself, runs only over the
epochs that end in a frame (:class:`_SampledDiagnostics`). Pausing therefore never changes what is
computed: a session paused and resumed ten times ends with the same parameters, bit for bit, as
one uninterrupted ``train`` call, which is what :meth:`Session.python_code` writes out.

Everything a page can ask for is bounded by :data:`~.settings.LIMITS` (:mod:`.settings`); the
script a session becomes is written by :mod:`.script`.
"""

import base64
import math
import os
import tempfile
import threading
import time
from dataclasses import dataclass, replace

import numpy as np

from .. import datasets as _datasets
from .. import losses as _losses
from ..callback import Callback
from ..network import ClassifierNN
from .advice import page_problems
from .features import feature_matrix
from .learn import lesson
from .script import python_code
from .settings import (
    LIMITS,
    PlaygroundConfig,
    diagnostics_class,
    make_data,
    make_plan,
    train_parameters,
)

__all__ = ["Session", "SessionCallback", "StreamCost"]

FRAME_INTERVAL = 1 / 25
"""Seconds between two frames while training runs (at most 25 frames a second)."""

FRAME_DUTY = 0.05
"""The largest share of the training thread's time spent on frames: a frame (with the
diagnostics of its epoch) that took ``f`` seconds to make is followed by the next one no sooner
than ``f / FRAME_DUTY`` seconds after it started."""

MAX_CURVE_POINTS = 400
"""Points per curve in a frame; longer histories are thinned evenly (the last epoch kept)."""


class SessionCallback(Callback):
    """The training loop's hook into a :class:`Session`: publishes frames, holds for pause."""

    def __init__(self, session):
        self.session = session
        self.offset = 0  # the epochs trained before this train call (training kept going)

    def on_epoch_end(self, epoch, logs):
        return self.session.epoch_end(self.offset + epoch, logs)


class _SampledDiagnostics(Callback):
    """A :class:`scratchnn.callbacks.Diagnostics` run over chosen epochs only.

    Recording every step's norms and unit statistics costs about as much as the step itself
    on the playground's small networks, while a frame shows only the last epoch's numbers. The
    session arms this callback (:meth:`arm`) at the boundary before an epoch that will end in a
    frame; the wrapped callback then starts afresh (``on_train_begin``, so its update ratios are
    measured from the weights the epoch starts with) and records exactly that epoch.

    Attributes
    ----------
    diagnostics : Diagnostics
    epoch : int or None
        The last epoch recorded.
    seconds : float
        Time spent in the wrapped callback since the session last took it (:meth:`take_seconds`).
    """

    def __init__(self, diagnostics):
        self.diagnostics = diagnostics
        self.model = None
        self.armed = False
        self.epoch = None
        self.offset = 0  # the epochs trained before this train call (training kept going)
        self.seconds = 0.0

    def on_train_begin(self, model):
        self.model = model
        self.arm()  # the first epoch ends in a frame

    def arm(self):
        """Record the next epoch (called at an epoch boundary)."""
        if not self.armed:
            start = time.perf_counter()
            self.diagnostics.on_train_begin(self.model)
            self.armed = True
            self.seconds += time.perf_counter() - start

    @property
    def wants_batches(self):
        """Only an armed epoch's steps reach this callback (the loop skips the others)."""
        return self.armed

    def on_batch_end(self, step):
        if self.armed:
            start = time.perf_counter()
            self.diagnostics.on_batch_end(step)
            self.seconds += time.perf_counter() - start

    def on_epoch_end(self, epoch, logs):
        if not self.armed:
            return False
        start = time.perf_counter()
        stop = self.diagnostics.on_epoch_end(epoch, logs)
        self.armed, self.epoch = False, self.offset + epoch
        self.seconds += time.perf_counter() - start
        return stop

    def on_train_end(self, logs):
        self.diagnostics.on_train_end(logs)

    def take_seconds(self):
        """The seconds spent since the last call."""
        seconds, self.seconds = self.seconds, 0.0
        return seconds


@dataclass
class StreamCost:
    """What streaming cost a session's training thread, since its last reset.

    Attributes
    ----------
    frames : int
        Frames made by the training thread.
    frame_seconds : float
        Time spent making them (the forward pass, the pictures, the curves).
    diagnostics_seconds : float
        Time spent in the Diagnostics callback (over the epochs it recorded).
    train_seconds : float
        Wall time of the ``train`` calls, streaming and any pause included.
    """

    frames: int = 0
    frame_seconds: float = 0.0
    diagnostics_seconds: float = 0.0
    train_seconds: float = 0.0

    @property
    def seconds_per_frame(self):
        """Frames and diagnostics, per frame (0 before the first)."""
        return (self.frame_seconds + self.diagnostics_seconds) / max(self.frames, 1)


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
        n_classes = int(y.max()) + 1
        plan = make_plan(config, n_classes)
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
        # Every frame is one forward pass over the boundary's grid, the training points and the
        # test points side by side, through arrays allocated once per network.
        dtype = self.model.compute_dtype
        grid = feature_matrix(self._grid(LIMITS.boundary_grid).T, self.config.features)
        self._eval_X = np.hstack([grid.T, self.F_train.T, self.F_test.T]).astype(dtype)
        self._eval_workspace = self.model.make_workspace(self._eval_X.shape[1], training=False)
        self._fresh = None  # the evaluation _record made, for the frame that follows it
        self.epoch, self.error, self._finished, self._mode, self._steps = 0, None, False, "pause", 0
        self._stop = self._held = False
        self.history = {"epoch": [], "loss": [], "train_loss": [], "test_loss": [],
                        "train_accuracy": [], "test_accuracy": []}
        self._last_logs = {}
        self._diagnostics = self._sampler = self._diagnostics_summary = None
        self._latest_metrics = None
        self._next_frame_time = -math.inf
        self._frame_promised = False
        self._last_epoch_end = None
        self.cost = StreamCost()
        self.version = getattr(self, "version", -1) + 1
        self.frame = self._make_frame()

    def _grid(self, n):
        x0, x1, y0, y1 = self.extent
        gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y1, y0, n))  # top row first
        return np.vstack([gx.ravel(), gy.ravel()])

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
        it differs only in what the page shows, or at most in ``epochs`` too, not below the epochs trained, with no schedule (whose
        rates depend on the run's length) and an optimizer that continues exactly
        (``train(..., resume=True)``; not L-BFGS)."""
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
            self._thread.start()

    # ---------------------------------------------------------------- the training thread
    def _train(self):
        callbacks = []
        diagnostics = diagnostics_class()
        self._diagnostics = self._sampler = None
        if diagnostics is not None:
            self._diagnostics = diagnostics()
            self._sampler = _SampledDiagnostics(self._diagnostics)
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
        if sampler is not None and recorded:
            self._diagnostics_summary = _jsonable(self._diagnostics_frame())
        # A frame shows the diagnostics of its own epoch: one that falls due (or a pause that
        # arrives) after an epoch the diagnostics did not record waits for the next epoch,
        # which they will record.
        wait = not (recorded or last)
        hold = hold and not wait
        frame = None
        # Frames, and the curves' points with them, are made at a bounded rate, not per epoch,
        # so what streaming costs does not grow with the number of epochs per second.
        due = now >= self._next_frame_time or (self._frame_promised and recorded)
        if hold or last or (due and not wait):
            frame = self._timed_frame(epoch, logs.get("loss"), "paused" if hold else None, now)
        with self._cond:
            # One block from publishing to holding, so a page that sees 'paused' also sees
            # the frame of the epoch it paused at.
            if frame is not None:
                self._publish(frame)
            if self._holding() and not hold and not wait:  # paused while the epoch ended
                self._record(epoch, logs.get("loss"))
                self._publish(self._make_frame("paused"))
            self._run_tasks()
            while self._holding() and not wait:
                self._held = True
                self._cond.wait()
                self._run_tasks()
            self._held = False
            if self._stop:
                raise _Stopped
            running = self._mode == "run" and self._steps == 0
        self._arm_diagnostics(epoch, due and wait, running, now)
        return False

    def _timed_frame(self, epoch, loss, status, start):
        """Record the epoch and make its frame; set when the next frame may start."""
        self._record(epoch, loss)
        frame = self._make_frame(status)
        cost = self.cost
        made = time.perf_counter() - start
        diagnostics = self._sampler.take_seconds() if self._sampler is not None else 0.0
        cost.frames += 1
        cost.frame_seconds += made
        cost.diagnostics_seconds += diagnostics
        self._next_frame_time = start + max(FRAME_INTERVAL, (made + diagnostics) / FRAME_DUTY)
        self._frame_promised = False
        return frame

    def _arm_diagnostics(self, epoch, missed, running, epoch_end):
        """Have the diagnostics record the next epoch when it will end in a frame: a frame
        falls due within about one epoch's time, or one was missed (``missed``), or training
        is not running freely (a step or a pause holds after it), or it is the last epoch."""
        now = time.perf_counter()
        # The epoch's own time: from the end of the last epoch's hook to the start of this one.
        epoch_time = 0.0 if self._last_epoch_end is None else epoch_end - self._last_epoch_end
        self._last_epoch_end = now
        if self._sampler is None or epoch >= self.config.epochs:
            return
        promised = missed or now + epoch_time >= self._next_frame_time
        if promised or not running or epoch + 1 == self.config.epochs:
            self._frame_promised = self._frame_promised or promised
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
    def _record(self, epoch, loss):
        """Append the epoch's losses and accuracies to the history (the curves' data)."""
        if self.history["epoch"] and self.history["epoch"][-1] == epoch:
            return
        try:
            self._fresh = self._evaluate()
        except ValueError:  # parameters too large to evaluate (a run that diverged)
            return
        metrics = self._fresh[0]
        self.history["epoch"].append(epoch)
        self.history["loss"].append(_rounded(loss))
        for key, value in metrics.items():
            self.history[key].append(_rounded(value))

    def _make_frame(self, status=None):
        """What the page draws: boundary, unit pictures, metrics, history; JSON-ready."""
        fresh, self._fresh = self._fresh, None  # what _record just evaluated, if it did
        if fresh is None:
            try:
                fresh = self._evaluate()
            except ValueError:  # parameters too large to evaluate (a run that diverged)
                pass
        if fresh is None:
            pictures = {"boundary": self.frame["boundary"], "units": self.frame["units"]}
        else:
            self._latest_metrics, pictures = fresh
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
            "logs": _jsonable(extra),
            "diagnostics": self._diagnostics_summary,
        }

    def _diagnostics_frame(self):
        """The Diagnostics callback's last epoch per layer, and the problems it reports."""
        diagnostics = self._diagnostics
        if diagnostics is None or not diagnostics.n_epochs:
            return None
        return {"layers": list(diagnostics.layer_names),
                "values": {name: diagnostics.last(name) for name in diagnostics.history},
                "problems": page_problems(diagnostics, self.config.initialization)}

    def _evaluate(self):
        """One forward pass over the grid and all the points: ``(metrics, pictures)``.

        The metrics are the loss (without the L2 term) and the accuracy on the training and the
        test points; the pictures are the decision boundary over the plane and each hidden unit's
        output over it. No dropout; batch normalization uses its running statistics. Raises a
        ValueError when the network's output is not finite.
        """
        with np.errstate(all="ignore"):
            proba, caches = self.model.forward(self._eval_X, workspace=self._eval_workspace)
            if not np.all(np.isfinite(proba)):
                raise ValueError("the network's output is not finite")
            n = LIMITS.boundary_grid
            grid, n_train = n * n, self.X_train.shape[0]
            metrics = {}
            for part, A, Y, y in (
                    ("train", proba[:, grid:grid + n_train], self._Y_train, self.y_train),
                    ("test", proba[:, grid + n_train:], self._Y_test, self.y_test)):
                loss = float(self.loss.cost(A, Y))
                metrics[f"{part}_loss"] = loss if math.isfinite(loss) else None  # no inf in JSON
                pred = (A[0] > 0.5) if self.n_classes == 2 else A.argmax(axis=0)
                metrics[f"{part}_accuracy"] = float(np.mean(pred == y))
            proba = proba[:, :grid]
            if self.n_classes == 2:
                p = proba[0]
                cls, confidence = (p > 0.5).astype(np.uint8), np.maximum(p, 1.0 - p)
            else:
                cls, confidence = proba.argmax(axis=0), proba.max(axis=0)
            step = n // LIMITS.unit_grid
            units = []
            for layer in caches.layers[1:-1]:
                A = layer.A[:, :grid].reshape(-1, n, n)[:, ::step, ::step]
                A = np.nan_to_num(A.reshape(A.shape[0], -1))
                scale = np.abs(A).max(axis=1, keepdims=True)
                A = np.divide(A, scale, out=np.zeros_like(A), where=scale > 0)
                units.append(_base64_bytes(A * 127 + 127))  # [-1, 1] as 0 .. 254
        pictures = {"boundary": {"size": n, "classes": _base64_bytes(cls),
                                 "confidence": _base64_bytes(confidence * 255)},
                    "units": {"size": LIMITS.unit_grid, "layers": units}}
        return metrics, pictures

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
                "lesson": lesson(self.config, self.plan),
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
        epochs = self.at_epoch_boundary(lambda: self.epoch)
        return python_code(self.config, self.plan, epochs, self.upload)


def _base64_bytes(values):
    """``values`` (in [0, 255]) rounded to bytes, row after row, as base64 text.

    A frame's pictures are some 12,000 numbers; as bytes they cost the server almost nothing to
    encode and the page one ``atob`` to decode, where a JSON list of numbers costs both sides
    milliseconds a frame.
    """
    return base64.b64encode(np.rint(values).astype(np.uint8).tobytes()).decode("ascii")


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
