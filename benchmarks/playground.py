"""What the playground's streaming costs, by network size: frames per second at the page, and
training speed with and without the page watching.

Usage::

    python -m benchmarks.playground                  # about 2 s per run, 3 alternating repeats
    python -m benchmarks.playground --seconds 4 --repeats 5 --json playground.json
    python -m benchmarks.playground --sizes 6x16:2000

Networks (tanh hidden layers, Adam, batch 32, the playground's other defaults) on moons:
``2x8`` (the default) and ``2x16`` and ``6x16`` on 500 points (350 to train), and ``6x16`` on
2,000 points (1,400 to train). The server and its sessions run in this process; the page is
played by a process of its own that reads a session's event stream over HTTP and decodes each
frame, as a browser does. For each network:

epochs per second, plain
    ``ClassifierNN.train`` on the session's data and freshly seeded network, no session. The
    number of epochs timed is chosen so that this takes about ``--seconds``.
epochs per second, streamed
    the same epochs in a session's training thread with the page watching
    (``Session.cost.train_seconds``). Both runs must end with the same parameters, bit for bit,
    or the benchmark stops with an error. The two take turns ``--repeats`` times and the medians
    are compared, so a slow phase of a shared machine hits both; the fastest runs too (what
    other processes add only slows runs down, so the minimum is the least disturbed figure).
    This comparison of separate runs is at the mercy of the machine between runs (on the
    2-core development machine, five plain runs of the same code spread by 2-18% when it was
    quiet and up to 46% beside niced work: see "spread of the plain runs"), so the loss is
    measured inside one run too:
lost to drawing, in one run
    the main figure: one session's run, a page watching, with its streaming switched on and
    off in alternating phases of ``--phase`` seconds (while off, no part of a frame falls due:
    no pictures, metrics or diagnostics), and the mean epoch time of the epochs with
    streaming on over that of the epochs with it off, less 1 (the first epoch of each phase
    is left out, as a frame made at the end of the one before may reach into it). Both kinds
    of epoch run through the same session and the same training thread, so what the machine
    does between runs cancels out, and what is left is what drawing costs. Medians over
    ``--repeats`` runs; also in the training thread's CPU time. Goal: at most 10%.
frames per second at the page
    frames the page's process received during the streamed run, per second of it. Goal: at
    least 10 for ``6x16`` on 2,000 points.
lost in CPU time
    the same comparison in the training thread's own CPU time (``time.thread_time``;
    ``Session.cost.cpu_seconds``), medians: what the streamed run's training thread computed
    beyond the plain run (the frames, the session's hooks), without the time it waited for a
    core or for Python's interpreter lock. The wall-clock loss less this one is waiting: on a
    quiet machine, the interpreter lock and the cores shared with the server's thread and the
    page's process; on a loaded one mostly the other work.
waited for a core, for the lock
    the share of each run's time its training thread was ready to run but had no core (Linux's
    ``/proc/thread-self/schedstat``; ``Session.cost.core_wait_seconds``), plain and streamed,
    and the share the streamed run's thread waited for anything else: Python's interpreter
    lock, held by the server's threads (the rest of the wall time less its CPU time).
per frame
    what one frame cost the training thread (pictures and metrics; ``Session.cost``), and the
    diagnostics' time per frame; and the share of the streamed run's time they took (the
    training thread's own cost of streaming, which other work on the machine disturbs less
    than the wall-clock comparison: the rest of what is lost is the server's thread and the
    page's process taking the cores from the training thread).

The load average of the machine is printed before and after: on a shared machine every figure
moves with it.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import warnings

import numpy as np

from scratchnn.diagnostics import TrainingProblemWarning
from scratchnn.playground import PlaygroundConfig, make_server, streaming
from scratchnn.playground.session import Session
from scratchnn.playground.streaming import core_wait_seconds

SIZES = {"2x8": ((8, 8), 500), "2x16": ((16, 16), 500), "6x16": ((16,) * 6, 500),
         "6x16:2000": ((16,) * 6, 2000)}
"""The networks measured: name -> (units per hidden layer, points)."""


def _config(size, epochs):
    units, points = SIZES[size]
    return PlaygroundConfig(n_points=points, epochs=epochs,
                            hidden=tuple({"units": n, "activation": "tanh"} for n in units))


def _read_events(target):
    """The page's side, run in a process of its own (``--read-events HOST:PORT/ID/TOKEN``): read the
    session's event stream and decode each frame; print ``ready`` once the first frame (the
    session's state) has arrived, and the count of frames after it when stdin closes.

    A browser decodes the frames in its own process; a reader thread here would take the
    server's interpreter lock for that work and count it as training time lost.
    """
    address, session_id, token = target.split("/")
    host, port = address.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    connection.request("GET", f"/api/sessions/{session_id}/events?token={token}")
    response = connection.getresponse()
    frames = [-1]  # the first frame is the state before play

    def count():
        try:
            for line in response:
                if line.startswith(b"data: "):
                    json.loads(line[6:])  # decoded, as the page does
                    frames[0] += 1
                    if frames[0] == 0:
                        print("ready", flush=True)
        except (OSError, ValueError):
            pass

    threading.Thread(target=count, daemon=True).start()
    sys.stdin.read()
    print(frames[0], flush=True)
    return 0


class _Reader:
    """A page watching a session: a process reading its event stream (:func:`_read_events`)."""

    def __init__(self, address, session_id, token):
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        host, port = address
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.playground", "--read-events",
             f"{host}:{port}/{session_id}/{token}"],
            cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.process.stdout.readline().strip() != "ready":
            self.process.kill()
            raise RuntimeError("the event-stream reader did not start")

    def frames(self):
        """Stop reading; the frames received after the first."""
        output, _ = self.process.communicate("", timeout=60)
        return int(output.split()[-1])


def _session(server, config):
    session_id, session = server.new_session(config)
    reader = _Reader(server.server_address[:2], session_id, server.token)
    return session_id, session, reader


def _watched_run(server, config):
    """``(cost, theta, frames)`` of one session's whole run with a page watching: its
    ``StreamCost``, its final parameters, and the frames the page received after the first."""
    session_id, session, reader = _session(server, config)
    session.play()
    session.wait_idle()  # woken once, at the end: this thread takes no turn per frame
    if session.status != "finished" or session.error is not None:
        raise RuntimeError(f"the session's run did not finish: {session.error}")
    cost, theta = session.cost, session.model.theta.copy()
    time.sleep(0.2)  # the last frame reaches the page
    frames = reader.frames()
    server.end_session(session_id)
    return cost, theta, frames


def streamed_training_time(server, config):
    """``(seconds, cost, frames, theta)`` of a session's training thread with a page watching:
    ``frames`` is the number of frames the page received after the first; ``cost`` is the
    session's ``StreamCost`` (its ``cpu_seconds``: the thread's CPU time)."""
    cost, theta, frames = _watched_run(server, config)
    return cost.train_seconds, cost, frames, theta


class SwitchedStreaming:
    """Within its ``with`` block, every session's streaming is switched on and off in
    alternating phases of ``phase`` seconds, and each epoch's end is recorded (wall time, the
    training thread's CPU time, whether streaming was on during the epoch).

    Off means no part of a frame falls due (``streaming.Rate.due`` answers no): no pictures,
    metrics or diagnostics; the session's other work at an epoch's end is the same. A benchmark's
    instrument, patching the two methods for the block's duration only.
    """

    def __init__(self, phase):
        self.phase, self.on, self.ends = phase, True, []

    def __enter__(self):
        self._due, self._epoch_end = streaming.Rate.due, Session.epoch_end
        due, epoch_end, switch = self._due, self._epoch_end, self

        def switched_due(rate, when):
            return switch.on and due(rate, when)

        def recorded_epoch_end(session, epoch, logs):
            result = epoch_end(session, epoch, logs)
            now = time.perf_counter()
            switch.ends.append((now, time.thread_time(), switch.on))
            switch.on = int(now / switch.phase) % 2 == 0
            return result

        streaming.Rate.due, Session.epoch_end = switched_due, recorded_epoch_end
        return self

    def __exit__(self, *exc):
        streaming.Rate.due, Session.epoch_end = self._due, self._epoch_end

    def lost(self):
        """``(wall, cpu)``: the mean epoch time with streaming on over that with it off, less 1,
        leaving out the first epoch of each phase."""
        times = {True: [], False: []}
        for (wall0, cpu0, on0), (wall1, cpu1, on1) in zip(self.ends, self.ends[1:]):
            if on0 == on1:
                times[on1].append((wall1 - wall0, cpu1 - cpu0))
        if not (times[True] and times[False]):
            return float("nan"), float("nan")
        on, off = np.mean(times[True], axis=0), np.mean(times[False], axis=0)
        return tuple(on / off - 1.0)


def switched_training_loss(server, config, phase):
    """``(wall, cpu)`` lost to drawing inside one session's run, a page watching
    (:class:`SwitchedStreaming`)."""
    with SwitchedStreaming(phase) as switch:
        _watched_run(server, config)
    return switch.lost()


def plain_training_time(config):
    """``(seconds, cpu_seconds, core_wait_seconds, theta)`` of the same ``train`` call on the
    same network, no session: wall time, this thread's CPU time, and its time waiting for a
    core."""
    session = Session(config)  # the same data, and the same freshly seeded network
    model = session.model
    start, cpu_start = time.perf_counter(), time.thread_time()
    core_wait_start = core_wait_seconds()
    with warnings.catch_warnings():  # 6 tanh layers: the vanishing-gradient warning, expected
        warnings.simplefilter("ignore", TrainingProblemWarning)
        model.train(session.X_train.T, session.y_train.reshape(1, -1),
                    num_epochs=config.epochs, print_cost=False, **session.plan.train_kwargs)
    elapsed = time.perf_counter() - start
    return (elapsed, time.thread_time() - cpu_start, core_wait_seconds() - core_wait_start,
            model.theta.copy())


def epochs_for(size, seconds):
    """Epochs that take about ``seconds`` to train with no session, from a run of 5 epochs,
    then of 4 times as many until one takes at least 0.2 s or ``seconds`` (a run of a few
    milliseconds is too short to say)."""
    epochs = 5
    while True:
        elapsed, _, _, _ = plain_training_time(_config(size, epochs))
        if elapsed >= min(0.2, seconds) or epochs * seconds <= 4 * elapsed:
            return max(3, round(epochs * seconds / max(elapsed, 1e-9)))
        epochs *= 4


def measure(server, size, seconds, repeats, phase):
    """One row of the table: the figures of the network ``size``."""
    config = _config(size, epochs_for(size, seconds))
    plain, plain_cpu, plain_core_wait, streamed, costs, rates = [], [], [], [], [], []
    switched = []
    for _ in range(repeats):
        switched.append(switched_training_loss(server, config, phase))
        elapsed, cpu, core_wait, plain_theta = plain_training_time(config)
        plain.append(elapsed)
        plain_cpu.append(cpu)
        plain_core_wait.append(core_wait / elapsed)
        elapsed, cost, frames, theta = streamed_training_time(server, config)
        streamed.append(elapsed)
        costs.append(cost)
        rates.append(frames / elapsed)
        if not np.array_equal(theta, plain_theta):
            raise RuntimeError("the streamed and the plain run ended with different "
                               "parameters: they did not train the same thing")
    frames = sum(cost.frames for cost in costs)
    return {
        "size": size, "epochs": config.epochs,
        "frames_per_second": statistics.median(rates),
        "plain_epochs_per_second": config.epochs / statistics.median(plain),
        "streamed_epochs_per_second": config.epochs / statistics.median(streamed),
        "lost_in_run": statistics.median(wall for wall, _ in switched),
        "lost_in_run_cpu": statistics.median(cpu for _, cpu in switched),
        "lost": statistics.median(streamed) / statistics.median(plain) - 1.0,
        "plain_spread": (max(plain) - min(plain)) / statistics.median(plain),
        "lost_fastest": min(streamed) / min(plain) - 1.0,
        "lost_cpu": (statistics.median(cost.cpu_seconds for cost in costs)
                     / statistics.median(plain_cpu) - 1.0),
        "core_wait_plain": statistics.median(plain_core_wait),
        "core_wait": statistics.median(cost.core_wait_seconds / cost.train_seconds
                                       for cost in costs),
        "lock_wait": statistics.median(
            max(0.0, cost.train_seconds - cost.cpu_seconds - cost.core_wait_seconds)
            / cost.train_seconds for cost in costs),
        "frame_ms": 1e3 * sum(cost.frame_seconds for cost in costs) / max(frames, 1),
        "diagnostics_ms": 1e3 * sum(cost.diagnostics_seconds for cost in costs) / max(frames, 1),
        "share": statistics.median((cost.frame_seconds + cost.diagnostics_seconds)
                                   / cost.train_seconds for cost in costs),
        "plain": plain, "streamed": streamed, "switched": switched,
    }


def _load():
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.playground",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="about how long one plain run trains")
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs of each")
    parser.add_argument("--sizes", default=",".join(SIZES),
                        help=f"networks to measure, comma-separated, of {list(SIZES)}")
    parser.add_argument("--phase", type=float, default=0.3,
                        help="seconds of each phase with streaming on or off, in one run")
    parser.add_argument("--json", help="also write the numbers to this file")
    parser.add_argument("--read-events", help=argparse.SUPPRESS)  # the page's process
    args = parser.parse_args(argv)
    if args.read_events:
        return _read_events(args.read_events)
    sizes = args.sizes.split(",")
    unknown = [size for size in sizes if size not in SIZES]
    if args.seconds <= 0 or args.repeats < 1 or args.phase <= 0 or unknown:
        parser.error(f"--seconds and --phase must be > 0, --repeats >= 1, "
                     f"--sizes of {list(SIZES)}")
    server = make_server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    load_before = _load()
    try:
        rows = [measure(server, size, args.seconds, args.repeats, args.phase)
                for size in sizes]
    finally:
        server.close_all()
        server.shutdown()
        server.server_close()
    load_after = _load()
    print(f"load average (1/5/15 min) before {load_before}, after {load_after}; "
          f"{os.cpu_count()} CPUs")
    print("| network | epochs timed | frames/s at the page "
          "| lost to drawing, in one run (wall / CPU) "
          "| epochs/s plain | epochs/s streamed "
          "| lost (medians) | lost (fastest) | spread of the plain runs "
          "| lost in CPU time (medians) "
          "| waited for a core, plain / streamed | waited for the lock, streamed "
          "| per frame: frame + diagnostics ms | frames' share of the training thread |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['size']} | {row['epochs']} | {row['frames_per_second']:.1f} "
              f"| {100 * row['lost_in_run']:.1f}% / {100 * row['lost_in_run_cpu']:.1f}% "
              f"| {row['plain_epochs_per_second']:.1f} | {row['streamed_epochs_per_second']:.1f} "
              f"| {100 * row['lost']:.1f}% | {100 * row['lost_fastest']:.1f}% "
              f"| {100 * row['plain_spread']:.1f}% "
              f"| {100 * row['lost_cpu']:.1f}% "
              f"| {100 * row['core_wait_plain']:.1f}% / {100 * row['core_wait']:.1f}% "
              f"| {100 * row['lock_wait']:.1f}% "
              f"| {row['frame_ms']:.2f} + {row['diagnostics_ms']:.2f} "
              f"| {100 * row['share']:.1f}% |")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"load_before": load_before, "load_after": load_after, "rows": rows},
                      file, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
