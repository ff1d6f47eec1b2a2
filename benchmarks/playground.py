"""What the playground's streaming costs: frames per second at the page, training time lost.

Usage::

    python -m benchmarks.playground                 # 5 s of streaming, 1000 epochs timed
    python -m benchmarks.playground --seconds 10 --epochs 3000 --json playground.json

Network and data: ``[2, 8, 8, 1]`` (tanh, tanh, sigmoid) on 500 moons points (350 to train),
Adam, batch 32: the playground's defaults. The server and its sessions run in this process;
the page is played by a process of its own that reads a session's event stream over HTTP and
decodes each frame, as a browser does. Two measurements:

updates per second
    a session trains (epochs unbounded for the duration) with the page watching; the count of
    frames the page received, per second of wall time. Goal: at least 20.
training time lost to streaming
    the wall time of the training thread's ``train`` call over ``--epochs`` epochs inside a
    session with the page watching (``Session.cost.train_seconds``), against the same
    ``ClassifierNN.train`` call on the same freshly seeded network with no session; the
    difference as a share of the plain time. Goal: under 10%. Both runs must end with the same
    parameters, bit for bit (same data, seed and epochs), or the benchmark stops with an error.
    The two take turns ``--repeats`` times and the medians are compared, so a slow phase of a
    shared machine hits both; the fastest runs are compared too (what other processes on the
    machine add only slows runs down, so the minimum is the least disturbed figure). On a busy
    2-core machine the streamed run suffers more from others than the plain one: its server
    thread and the page's process wake 25 times a second and can push the training thread off
    its core.
per frame
    what one frame costs the training thread (its forward pass, pictures and curves, plus the
    diagnostics of its epoch; ``Session.cost``), and how many frames the timed run made.
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

import numpy as np

from scratchnn.playground import PlaygroundConfig, make_server
from scratchnn.playground.session import Session


def _config(epochs):
    return PlaygroundConfig(n_points=500, epochs=epochs)


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


def updates_per_second(server, seconds):
    _, session, reader = _session(server, _config(10_000))
    start = time.perf_counter()
    session.play()
    time.sleep(seconds)
    session.pause()  # frames that reach the page from here on are not counted
    elapsed = time.perf_counter() - start
    frames = reader.frames()
    session.close()
    return frames / elapsed


def streamed_training_time(server, epochs):
    """``(seconds, cost, theta)`` of a session's training thread with a page watching."""
    session_id, session, reader = _session(server, _config(epochs))
    version = session.version
    session.play()
    while session.status != "finished":
        version, _ = session.wait_for_frame(version, timeout=1.0)
    version, frame = session.wait_for_frame(version, timeout=0.0)
    if frame["status"] != "finished" or session.error is not None:
        raise RuntimeError(f"the streamed run did not finish: {session.error}")
    cost, theta = session.cost, session.model.theta.copy()
    reader.frames()
    server.end_session(session_id)
    return cost.train_seconds, cost, theta


def plain_training_time(epochs):
    """``(seconds, theta)`` of the same ``train`` call on the same network, no session."""
    session = Session(_config(epochs))  # the same data, and the same freshly seeded network
    model = session.model
    start = time.perf_counter()
    model.train(session.X_train.T, session.y_train.reshape(1, -1), num_epochs=epochs,
                print_cost=False, **session.plan.train_kwargs)
    return time.perf_counter() - start, model.theta.copy()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.playground",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="streaming time measured")
    parser.add_argument("--epochs", type=int, default=1000, help="epochs timed per run")
    parser.add_argument("--repeats", type=int, default=5, help="alternating runs of each")
    parser.add_argument("--json", help="also write the numbers to this file")
    parser.add_argument("--read-events", help=argparse.SUPPRESS)  # the page's process
    args = parser.parse_args(argv)
    if args.read_events:
        return _read_events(args.read_events)
    if args.seconds <= 0 or args.epochs < 1 or args.repeats < 1:
        parser.error("--seconds must be > 0, --epochs and --repeats >= 1")
    server = make_server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        rate = updates_per_second(server, args.seconds)
        plain, streamed, costs = [], [], []
        for _ in range(args.repeats):
            seconds, plain_theta = plain_training_time(args.epochs)
            plain.append(seconds)
            seconds, cost, theta = streamed_training_time(server, args.epochs)
            streamed.append(seconds)
            costs.append(cost)
            if not np.array_equal(theta, plain_theta):
                raise RuntimeError("the streamed and the plain run ended with different "
                                   "parameters: they did not train the same thing")
    finally:
        server.close_all()
        server.shutdown()
        server.server_close()
    lost = statistics.median(streamed) / statistics.median(plain) - 1.0
    lost_best = min(streamed) / min(plain) - 1.0
    frames = sum(cost.frames for cost in costs)
    per_frame = sum(cost.frame_seconds for cost in costs) / max(frames, 1)
    per_diagnostics = sum(cost.diagnostics_seconds for cost in costs) / max(frames, 1)
    own = statistics.median((cost.frame_seconds + cost.diagnostics_seconds) / cost.train_seconds
                            for cost in costs)
    print("| measure | value | goal |")
    print("|---|---|---|")
    print(f"| updates per second reaching the page | {rate:.1f} | >= 20 |")
    print(f"| training time lost to streaming ({args.epochs} epochs) | {100 * lost:.1f}% "
          f"| < 10% |")
    print(f"| median plain / streamed seconds | {statistics.median(plain):.3f} / "
          f"{statistics.median(streamed):.3f} | |")
    print(f"| training time lost, fastest runs ({min(plain):.3f} / {min(streamed):.3f} s) | "
          f"{100 * lost_best:.1f}% | |")
    print(f"| per frame: frame / diagnostics milliseconds | {1e3 * per_frame:.2f} / "
          f"{1e3 * per_diagnostics:.2f} | |")
    print(f"| frames per timed run; their share of its time | {frames / len(costs):.0f}; "
          f"{100 * own:.1f}% | |")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"updates_per_second": rate, "lost": lost, "lost_fastest": lost_best,
                       "plain": plain,
                       "streamed": streamed, "frame_seconds": per_frame,
                       "diagnostics_seconds_per_frame": per_diagnostics,
                       "frames_per_run": frames / len(costs), "frame_share": own},
                      file, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
