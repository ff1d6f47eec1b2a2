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
    the wall time of ``--epochs`` epochs inside a session with a client reading its stream,
    against the same ``ClassifierNN.train`` call with no session; the difference as a share of
    the plain time. Goal: under 10%. The two take turns ``--repeats`` times and the medians are
    compared, so a slow phase of a shared machine hits both.
"""

import argparse
import http.client
import json
import statistics
import sys
import threading
import time

from scratchnn import ClassifierNN
from scratchnn.playground import PlaygroundConfig, make_server


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
    session_id, session, reader = _session(server, _config(epochs))
    start = time.perf_counter()
    session.play()
    while session.status != "finished":
        time.sleep(0.001)
    elapsed = time.perf_counter() - start
    server.end_session(session_id)
    return elapsed


def plain_training_time(epochs):
    from scratchnn.playground.session import Session

    session = Session(_config(epochs))  # the same data, network and settings
    model = ClassifierNN(session.plan.layer_dims, session.plan.activations, "he", seed=0)
    start = time.perf_counter()
    model.train(session.X_train.T, session.y_train.reshape(1, -1), num_epochs=epochs,
                print_cost=False, **session.plan.train_kwargs)
    return time.perf_counter() - start


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
        plain, streamed = [], []
        for _ in range(args.repeats):
            plain.append(plain_training_time(args.epochs))
            streamed.append(streamed_training_time(server, args.epochs))
    finally:
        server.close_all()
        server.shutdown()
        server.server_close()
    lost = statistics.median(streamed) / statistics.median(plain) - 1.0
    print("| measure | value | goal |")
    print("|---|---|---|")
    print(f"| updates per second reaching the page | {rate:.1f} | >= 20 |")
    print(f"| training time lost to streaming ({args.epochs} epochs) | {100 * lost:.1f}% "
          f"| < 10% |")
    print(f"| median plain / streamed seconds | {statistics.median(plain):.3f} / "
          f"{statistics.median(streamed):.3f} | |")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"updates_per_second": rate, "lost": lost, "plain": plain,
                       "streamed": streamed}, file, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
