"""When each part of a playground frame is made, and what streaming costs the training thread.

Frames are made in the training thread, at the end of an epoch, so every part of one takes time
from training. Each part has a share of the thread's time it may use (its *duty*): a part that
took ``f`` seconds is made again no sooner than ``f / duty`` seconds after it started
(:class:`Rate`), and never more often than every :data:`FRAME_INTERVAL` seconds. The cheap part
(the pictures, on a small grid) comes with every frame; the dearer ones (the metrics on every
point, the diagnostics of a whole epoch's steps) come less often as the data and the network
grow. :class:`StreamCost` adds up what they took.

A frame goes to the page as one Server-Sent Event (:func:`frame_event`), encoded once per frame
and only while a page watches, in the training thread: the server's thread that sends it then
holds Python's interpreter lock for no more than the write, so it hardly ever keeps the
training thread waiting for it.
"""

import json
import math
import time
from dataclasses import dataclass

from ..callback import Callback

__all__ = ["DIAGNOSTICS_DUTY", "EncodedCurves", "FRAME_DUTY", "FRAME_INTERVAL", "METRICS_DUTY",
           "Rate", "SampledDiagnostics", "StreamCost", "core_wait_seconds", "frame_event"]

FRAME_INTERVAL = 1 / 15
"""Seconds between two frames while training runs (at most 15 frames a second, half again the
goal of 10); the metrics and the diagnostics come no more often either. Every frame also costs
the server's thread and the page's process their share of the machine, so frames beyond what
an animation needs are not made."""

FRAME_DUTY = 0.04
"""The largest share of the training thread's time spent on the frames' pictures: pictures that
took ``f`` seconds to make are followed by the next ones no sooner than ``f / FRAME_DUTY``
seconds after they started."""

METRICS_DUTY = 0.0075
"""The same for the losses and accuracies on the points (the curves get a point each time).
With the diagnostics' share this is most of what streaming costs the training thread on larger
data (a frame's pictures and its encoding take about 0.75 ms at 6 x 16 units, 1.1% of the time
at 15 frames a second; one pass of the metrics over 2,000 points 3.5 ms), so the dear parts
come less often: at 6 x 16 units on 2,000 points about twice a second, where the metrics of a
small network still come with every frame."""

DIAGNOSTICS_DUTY = 0.005
"""The same for the epochs the Diagnostics callback records (an epoch recorded costs about
as much again as the epoch itself: at 6 x 16 units on 2,000 points one every 1.4 seconds)."""


def core_wait_seconds():
    """Seconds the calling thread has so far spent ready to run but waiting for a core (other
    work on the machine had them), from Linux's ``/proc/thread-self/schedstat``; 0.0 where the
    system does not say."""
    try:
        with open("/proc/thread-self/schedstat", encoding="ascii") as file:
            return int(file.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def frame_event(version, frame, encoded=None):
    """The frame as the bytes of one Server-Sent Event, ``data: {"version": ..., ...}``.

    Parameters
    ----------
    version : int
    frame : dict
        JSON-ready.
    encoded : dict, optional
        Keys of ``frame`` whose values are already encoded: key -> that value's JSON text
        (:class:`EncodedCurves`). They are put into the event as they are, and the rest of the
        frame encoded around them, so a part that changes less often than the frames (the
        curves) is not encoded again with every frame.

    Raises
    ------
    ValueError
        If the frame holds a number JSON cannot carry (NaN or infinity; the page's
        ``JSON.parse`` refuses them).
    """
    encoded = encoded or {}
    rest = {key: value for key, value in frame.items() if key not in encoded}
    payload = _json({"version": version, **rest})
    if encoded:  # the object's closing brace moved behind the parts encoded before
        payload = payload[:-1] + "".join(f",{_json(key)}:{text}"
                                         for key, text in encoded.items()) + "}"
    return b"data: " + payload.encode() + b"\n\n"


def _json(value):
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


class EncodedCurves:
    """A frame's curves (the history of losses and accuracies), thinned to at most
    ``max_points`` points each, and their JSON text, both made again only when a point was
    added: the metrics come a few times a second, the frames up to
    ``1 / FRAME_INTERVAL``, and encoding a few hundred numbers per curve would otherwise be
    most of the cost of encoding each frame.

    Parameters
    ----------
    max_points : int
        Points per curve; longer histories are thinned evenly, the last point kept.
    """

    def __init__(self, max_points):
        self.max_points = max_points
        # (the history the curves were made from, its length then, the curves, [their JSON
        # text or None]), replaced whole, so a thread encoding a frame's curves reads the text
        # of those curves only.
        self._made = (None, 0, None, [None])

    def curves(self, history):
        """``history`` (a dict of equally long lists, one of them ``"epoch"``) thinned: the
        same object for as long as ``history`` gained no point."""
        n = len(history["epoch"])
        made, made_n, _, _ = self._made
        if made is not history or made_n != n:
            stride = max(1, math.ceil(n / self.max_points))
            keep = list(range(0, n, stride))
            if n and keep[-1] != n - 1:
                keep.append(n - 1)  # the curves always end at the latest epoch
            curves = {name: [values[i] for i in keep] for name, values in history.items()}
            self._made = (history, n, curves, [None])
        return self._made[2]

    def encoded(self, curves):
        """``{"history": text}`` for :func:`frame_event` when ``curves`` are the ones last
        returned by :meth:`curves` (their JSON, made once), else ``{}``.

        Raises
        ------
        ValueError
            If the curves hold a number JSON cannot carry.
        """
        _, _, made, text = self._made
        if curves is None or curves is not made:
            return {}
        if text[0] is None:
            text[0] = _json(curves)
        return {"history": text[0]}


class SampledDiagnostics(Callback):
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
        Time spent making them (the pictures, the metrics on the points, the curves).
    diagnostics_seconds : float
        Time spent in the Diagnostics callback (over the epochs it recorded).
    train_seconds : float
        Wall time of the ``train`` calls, streaming and any pause included.
    cpu_seconds : float
        The training thread's own CPU time over the same calls (``time.thread_time``):
        what ``train_seconds`` holds beyond it, the thread spent waiting, for a core (other
        work on the machine), for Python's interpreter lock (the server's threads), or paused.
    core_wait_seconds : float
        Of that, the time it was ready to run but waited for a core (Linux only, 0 elsewhere:
        :func:`core_wait_seconds`); the rest it waited for the interpreter lock or a pause.
    """

    frames: int = 0
    frame_seconds: float = 0.0
    diagnostics_seconds: float = 0.0
    train_seconds: float = 0.0
    cpu_seconds: float = 0.0
    core_wait_seconds: float = 0.0

    @property
    def seconds_per_frame(self):
        """Frames and diagnostics, per frame (0 before the first)."""
        return (self.frame_seconds + self.diagnostics_seconds) / max(self.frames, 1)


@dataclass
class Rate:
    """When one part of the frames may be made again: no sooner than :data:`FRAME_INTERVAL`
    after the last time, nor than its cost over its ``duty`` (a share of the thread's time)."""

    duty: float
    next_time: float = -math.inf

    def due(self, when):
        return when >= self.next_time

    def paid(self, start, seconds):
        self.next_time = start + max(FRAME_INTERVAL, seconds / self.duty)
