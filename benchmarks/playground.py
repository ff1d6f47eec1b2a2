"""What the playground's streaming costs: frames per second at the page, training time lost.

Usage::

    python -m benchmarks.playground                 # 5 s of streaming, 400 epochs timed
    python -m benchmarks.playground --seconds 10 --epochs 1000 --json playground.json

Network and data: ``[2, 8, 8, 1]`` (tanh, tanh, sigmoid) on 500 moons points (350 to train),
Adam, batch 32: the playground's defaults. Two measurements, each in this process:

updates per second
    a session trains (epochs unbounded for the duration) with a client reading its event stream
    over HTTP, as the page does; the count of frames the client received, per second of wall
    time. Goal: at least 20.
training time lost to streaming
    the wall time of the training thread's ``train`` call over ``--epochs`` epochs inside a
    session with a client reading its stream (``Session.cost.train_seconds``), against the same
    ``ClassifierNN.train`` call on the same freshly seeded network with no session; the
    difference as a share of the plain time. Goal: under 10%. Both runs must end with the same
    parameters, bit for bit (same data, seed and epochs), or the benchmark stops with an error.
    The two take turns ``--repeats`` times and the medians are compared, so a slow phase of a
    shared machine hits both.
per frame
    what one frame costs the training thread (its forward pass, pictures and curves, plus the
    diagnostics of its epoch; ``Session.cost``), and how many frames the timed run made.
"""

import argparse
import http.client
import json
import statistics
import sys
import threading
import time

import numpy as np

from scratchnn.playground import PlaygroundConfig, make_server
from scratchnn.playground.session import Session


def _config(epochs):
    return PlaygroundConfig(n_points=500, epochs=epochs)


class _Reader(threading.Thread):
    """Reads a session's event stream as the page would, counting the frames."""

    def __init__(self, address, session_id):
        super().__init__(daemon=True)
        self.address, self.session_id = address, session_id
        self.frames = 0
        self.ready = threading.Event()

    def run(self):
        connection = http.client.HTTPConnection(*self.address, timeout=60)
        connection.request("GET", f"/api/sessions/{self.session_id}/events")
        response = connection.getresponse()
        self.ready.set()
        try:
            for line in response:
                if line.startswith(b"data: "):
                    json.loads(line[6:])  # decoded, as the page does
                    self.frames += 1
        except (OSError, ValueError):
            pass


def _session(server, config):
    session_id, session = server.new_session(config)
    reader = _Reader(server.server_address[:2], session_id)
    reader.start()
    reader.ready.wait(10)
    return session_id, session, reader


def updates_per_second(server, seconds):
    _, session, reader = _session(server, _config(10_000))
    start_frames = reader.frames
    start = time.perf_counter()
    session.play()
    time.sleep(seconds)
    frames = reader.frames - start_frames
    elapsed = time.perf_counter() - start
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
    parser.add_argument("--epochs", type=int, default=400, help="epochs timed per run")
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs of each")
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args(argv)
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
    print(f"| per frame: frame / diagnostics milliseconds | {1e3 * per_frame:.2f} / "
          f"{1e3 * per_diagnostics:.2f} | |")
    print(f"| frames per timed run; their share of its time | {frames / len(costs):.0f}; "
          f"{100 * own:.1f}% | |")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"updates_per_second": rate, "lost": lost, "plain": plain,
                       "streamed": streamed, "frame_seconds": per_frame,
                       "diagnostics_seconds_per_frame": per_diagnostics,
                       "frames_per_run": frames / len(costs), "frame_share": own},
                      file, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
