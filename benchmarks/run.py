"""Time scratchnn side by side with scikit-learn's MLPClassifier and PyTorch, in one process.

Usage::

    python -m benchmarks                 # all workloads, 5 alternating repeats
    python -m benchmarks --repeats 7 --only W2 W3 --json results.json

Every peer runs the same workload on the same float32 data, the peers take turns within each
repeat (so a slow phase of a shared machine hits them all), and the table reports medians and the
ratio peer / scratchnn (above 1: scratchnn is faster). A peer that is not installed is skipped
with a note. For W2 and W3 the "floor" row times the bare work no implementation can avoid for
those shapes: the matrix products of every step and an in-place Adam update of all parameters.

Workloads:

W1  the seed's make_moons demo: [2, 4, 3, 1], Adam, 200 epochs, batch 64 (per-step overhead)
W2  one epoch, 20,000 x 784 -> 256 -> 128 -> 10 softmax, batch 128, Adam (typical CPU work)
W3  one epoch, 20,000 x 784 -> 1024 -> 1024 -> 10 softmax, batch 512, Adam (BLAS bound)
W4  prediction throughput of W2's network on 100,000 x 784 rows
W5  W2 through the scikit-learn estimators: NNClassifier.fit against MLPClassifier.fit
OPT W2 with each per-step optimizer of scratchnn, time relative to Adam's (the new optimizers'
    goal: at most 1.2x Adam)
MEM peak RSS while training W2's network for one epoch on 200,000 x 784 (a subprocess)
CONT W2 under contention (``--only CONT``, or ``contention``): scratchnn's default against all
    cores and one thread, PyTorch beside it, on the machine as it is, beside one CPU-bound
    process per core but one, and in two dask workers at once (:mod:`benchmarks.contention`;
    at most 3 repeats, the slow runs are seconds each)

Every table states the load average before and after it: on a shared machine, only ratios from one
run mean anything.

For honest numbers on a machine where OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set (they slow a
current NumPy), unset them for this command only:
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks``.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

from scratchnn import ClassifierNN
from scratchnn.datasets import make_moons, train_test_split

THREADS = os.cpu_count() or 1
PAUSE = 0.5  # seconds between timed runs


# ----------------------------------------------------------------------------- workloads
def moons():
    X, y = make_moons(n_samples=1000, noise=0.1, seed=0)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.3, seed=0)
    return X_train.astype(np.float32), y_train


def mnist_shaped(m, seed=0):
    """Random data of MNIST's shape (the timings do not depend on the values)."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, 784), dtype=np.float32), rng.integers(0, 10, m)


WORKLOADS = {
    "W1": dict(title="make_moons demo, [2, 4, 3, 1], Adam, 200 epochs, batch 64", data=moons,
               hidden=(4, 3), epochs=200, batch=64, lr=0.01),
    "W2": dict(title="1 epoch, 20,000 x 784 -> 256 -> 128 -> 10, batch 128, Adam",
               data=lambda: mnist_shaped(20000), hidden=(256, 128), epochs=1, batch=128, lr=1e-3),
    "W3": dict(title="1 epoch, 20,000 x 784 -> 1024 -> 1024 -> 10, batch 512, Adam",
               data=lambda: mnist_shaped(20000), hidden=(1024, 1024), epochs=1, batch=512,
               lr=1e-3),
}


# ----------------------------------------------------------------------------- peers
def scratchnn_trainer(X, y, spec, optimizer="adam"):
    """scratchnn on the seed's data convention: X as (n_features, m), labels as (1, m)."""
    n_classes = int(y.max()) + 1
    binary = n_classes == 2
    dims = [X.shape[1], *spec["hidden"], 1 if binary else n_classes]
    acts = ["relu"] * len(spec["hidden"]) + ["sigmoid" if binary else "softmax"]
    loss = "BinaryCrossEntropy" if binary else "SparseCategoricalCrossEntropy"
    XT, Y = X.T, y.reshape(1, -1)  # a transposed view: no copy of the data here

    def run():
        nn = ClassifierNN(dims, acts, seed=0)
        nn.train(XT, Y, loss=loss, num_epochs=spec["epochs"], learning_rate=spec["lr"],
                 batch_size=spec["batch"], optimizer=optimizer, print_cost=False)
        return nn

    return run


def sklearn_trainer(X, y, spec):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    def run():
        clf = MLPClassifier(hidden_layer_sizes=spec["hidden"], solver="adam",
                            learning_rate_init=spec["lr"], batch_size=spec["batch"],
                            max_iter=spec["epochs"], tol=0.0, n_iter_no_change=10 ** 9,
                            alpha=0.0, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        return clf

    return run


def torch_trainer(X, y, spec):
    import torch

    torch.set_num_threads(THREADS)
    n_classes = int(y.max()) + 1
    binary = n_classes == 2
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y.astype(np.float32).reshape(-1, 1) if binary else y.astype(np.int64))
    m = X.shape[0]

    def run():
        torch.manual_seed(0)
        sizes = [X.shape[1], *spec["hidden"]]
        layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
        layers.append(torch.nn.Linear(sizes[-1], 1 if binary else n_classes))
        model = torch.nn.Sequential(*layers)
        loss_fn = torch.nn.BCEWithLogitsLoss() if binary else torch.nn.CrossEntropyLoss()
        optimizer = torch.optim.Adam(model.parameters(), lr=spec["lr"])
        for _ in range(spec["epochs"]):
            permutation = torch.randperm(m)
            for start in range(0, m, spec["batch"]):
                index = permutation[start:start + spec["batch"]]
                optimizer.zero_grad()
                loss_fn(model(Xt[index]), yt[index]).backward()
                optimizer.step()
        return model

    return run


def estimator_trainer(X, y, spec):
    """scratchnn's NNClassifier on scikit-learn's convention: X as (n_samples, n_features)."""
    from scratchnn import NNClassifier

    def run():
        clf = NNClassifier(hidden_layer_sizes=spec["hidden"], learning_rate=spec["lr"],
                           batch_size=spec["batch"], max_epochs=spec["epochs"],
                           n_iter_no_change=10 ** 9, random_state=0,
                           preset="mlp")  # every row trained on, as the engine's run
        return clf.fit(X, y)

    return run


def floor_trainer(X, y, spec):
    """The unavoidable work: every step's matrix products, and Adam over all parameters."""
    n_classes = int(y.max()) + 1
    sizes = [X.shape[1], *spec["hidden"], n_classes]
    m, batch = X.shape[0], spec["batch"]
    rng = np.random.default_rng(0)
    Ws = [rng.standard_normal((n_out, n_in), dtype=np.float32)
          for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    A0 = np.ascontiguousarray(X[:batch]).T
    acts = [np.empty((n, batch), np.float32) for n in sizes]
    acts[0] = A0
    dWs = [np.empty_like(W) for W in Ws]
    dA = [np.empty((n, batch), np.float32) for n in sizes]
    n_params = sum(W.size + W.shape[0] for W in Ws)
    theta, g, v, s, tmp = (np.zeros(n_params, np.float32) for _ in range(5))

    def step():
        for l, W in enumerate(Ws):  # forward products
            np.matmul(W, acts[l], out=acts[l + 1])
        delta = acts[-1]
        for l in range(len(Ws) - 1, -1, -1):  # backward products (none below the first layer)
            np.matmul(delta, acts[l].T, out=dWs[l])
            if l > 0:
                delta = np.matmul(Ws[l].T, delta, out=dA[l])
        # in-place Adam: the fewest passes (unnormalized moments, scalar step size)
        np.multiply(v, 0.9, out=v)
        np.add(v, g, out=v)
        np.multiply(s, 0.999, out=s)
        np.multiply(g, g, out=tmp)
        np.add(s, tmp, out=s)
        np.sqrt(s, out=tmp)
        np.add(tmp, 1e-8, out=tmp)
        np.divide(v, tmp, out=tmp)
        np.multiply(tmp, 1e-3, out=tmp)
        np.subtract(theta, tmp, out=theta)

    def run():
        for _ in range(spec["epochs"]):
            for _ in range(0, m, batch):
                step()

    return run


PEERS = {"scratchnn": (scratchnn_trainer, None),
         "scikit-learn MLPClassifier": (sklearn_trainer, "sklearn"),
         "PyTorch (eager)": (torch_trainer, "torch")}


def available(module):
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def time_alternating(runners, repeats):
    """Run each runner once per repeat, in turn; return the list of seconds per runner."""
    times = {name: [] for name in runners}
    for run in runners.values():  # warm-up: imports, BLAS threads, allocator
        run()
    for _ in range(repeats):
        for name, run in runners.items():
            # BLAS and OpenMP worker threads spin for a while after each call; a pause lets the
            # previous peer's threads go to sleep so they do not steal this peer's cores.
            time.sleep(PAUSE)
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def bench_training(key, repeats, notes):
    spec = WORKLOADS[key]
    X, y = spec["data"]()
    runners = {}
    for name, (make, module) in PEERS.items():
        if available(module):
            runners[name] = make(X, y, spec)
        else:
            notes.append(f"{name} skipped for {key}: `{module}` is not installed")
    if key in ("W2", "W3"):
        runners["floor (bare matmuls + Adam)"] = floor_trainer(X, y, spec)
    return spec["title"], time_alternating(runners, repeats)


def bench_estimator(repeats, notes):
    spec = dict(WORKLOADS["W2"], title="W2 (1 epoch) through NNClassifier.fit / MLPClassifier.fit")
    if not available("sklearn"):
        notes.append("W5 skipped: scikit-learn is not installed")
        return None
    X, y = spec["data"]()
    runners = {"scratchnn": estimator_trainer(X, y, spec),
               "scikit-learn MLPClassifier": sklearn_trainer(X, y, spec)}
    return spec["title"], time_alternating(runners, repeats)


def bench_optimizers(repeats):
    """W2 with every per-step optimizer; the table shows each one's time over Adam's."""
    from scratchnn.optimizers import OPTIMIZERS

    spec = WORKLOADS["W2"]
    X, y = spec["data"]()
    runners = {name: scratchnn_trainer(X, y, spec, optimizer=name)
               for name, cls in OPTIMIZERS.items() if not cls.full_batch}
    return "W2 (1 epoch) with each optimizer", time_alternating(runners, repeats)


def bench_predict(repeats, notes):
    X, y = mnist_shaped(100000, seed=1)
    spec = WORKLOADS["W2"]
    runners = {}
    # Every peer predicts with a network fitted for one epoch on 1,000 float32 examples.
    small_X, small_y = mnist_shaped(1000)
    nn = scratchnn_trainer(small_X, small_y, dict(spec, epochs=1))()
    XT = X.T
    runners["scratchnn"] = lambda: nn.predict_proba(XT)
    if available("sklearn"):
        clf = sklearn_trainer(small_X, small_y, dict(spec, epochs=1))()
        runners["scikit-learn MLPClassifier"] = lambda: clf.predict_proba(X)
    else:
        notes.append("scikit-learn skipped for W4: not installed")
    if available("torch"):
        import torch

        model = torch_trainer(small_X, small_y, dict(spec, epochs=1))()
        Xt = torch.from_numpy(X)

        def torch_predict():
            with torch.no_grad():
                return torch.softmax(model(Xt), dim=1)

        runners["PyTorch (eager)"] = torch_predict
    else:
        notes.append("PyTorch skipped for W4: not installed")
    return "predict_proba on 100,000 x 784 (W2's network)", time_alternating(runners, repeats)


MEMORY_SCRIPT = """
import resource, sys, numpy as np
from scratchnn import ClassifierNN
m = 200000
rng = np.random.default_rng(0)
X = rng.standard_normal((784, m), dtype=np.float32)   # the seed's layout: (n_features, m)
y = rng.integers(0, 10, (1, m))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
nn = ClassifierNN([784, 256, 128, 10], ["relu", "relu", "softmax"], seed=0)
nn.train(X, y, loss="SparseCategoricalCrossEntropy", num_epochs=1, batch_size=128,
         optimizer="adam", learning_rate=1e-3, print_cost=False)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(X.nbytes, before * 1024, peak * 1024)
"""


def bench_memory():
    out = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT], capture_output=True, text=True,
                         check=True)
    x_bytes, before, peak = (int(v) for v in out.stdout.split())
    return {"x_bytes": x_bytes, "rss_before_training": before, "peak_rss": peak,
            "peak_over_x": peak / x_bytes}


# ----------------------------------------------------------------------------- report
def summarize(times):
    return {name: statistics.median(ts) for name, ts in times.items()}


def table(results, memory, notes, repeats):
    lines = [f"Machine: {machine()}. Medians of {repeats} alternating runs; ratio = peer time / "
             "scratchnn time (above 1: scratchnn is faster; for the floor, scratchnn / floor).", ""]
    if any(key != "OPT" for key in results):
        lines += ["| workload | implementation | median (s) | ratio |", "|---|---|---:|---:|"]
    for key, (title, medians) in results.items():
        if key == "OPT":
            continue
        ours = medians["scratchnn"]
        for name, seconds in medians.items():
            if name == "scratchnn":
                ratio = "1.00"
            elif name.startswith("floor"):
                ratio = f"scratchnn is {ours / seconds:.2f}x the floor"
            else:
                ratio = f"{seconds / ours:.2f}"
            lines.append(f"| {key}: {title} | {name} | {seconds:.4f} | {ratio} |")
    if "OPT" in results:
        title, medians = results["OPT"]
        lines += ["", f"OPT: {title}; ratio = optimizer time / Adam time.", "",
                  "| optimizer | median (s) | ratio to adam |", "|---|---:|---:|"]
        lines += [f"| {name} | {seconds:.4f} | {seconds / medians['adam']:.2f} |"
                  for name, seconds in medians.items()]
    if memory:
        lines += ["", f"Memory: training W2's network on 200,000 x 784 float32 (X = "
                      f"{memory['x_bytes'] / 2**20:.0f} MiB) peaked at "
                      f"{memory['peak_rss'] / 2**20:.0f} MiB RSS = "
                      f"{memory['peak_over_x']:.2f}x the size of X."]
    if notes:
        lines += [""] + [f"- {note}" for note in notes]
    return "\n".join(lines)


def load():
    """The load averages over 1, 5 and 15 minutes, as ``1.2/0.8/0.5``."""
    try:
        return "/".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "?"


def machine():
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(f"{i['internal_api']} {i.get('version', '')} "
                         f"({i.get('architecture', '?')}, {i['num_threads']} threads)"
                         for i in threadpool_info() if i["user_api"] == "blas")
    except ImportError:
        blas = "BLAS unknown"
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, NumPy {np.__version__}, {blas}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="alternating runs per peer")
    workloads = ["W1", "W2", "W3", "W4", "W5", "OPT", "MEM", "CONT"]
    parser.add_argument("--only", nargs="+", choices=workloads + ["contention"],
                        default=workloads)
    parser.add_argument("--json", help="also write the raw timings to this JSON file")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")

    if "contention" in args.only:
        args.only = [*args.only, "CONT"]
    notes, results, raw = [], {}, {}
    print(f"load average at the start: {load()}", file=sys.stderr)
    loads = {"start": load()}
    for key in ("W1", "W2", "W3"):
        if key in args.only:
            title, times = bench_training(key, args.repeats, notes)
            results[key], raw[key] = (title, summarize(times)), times
            print(f"{key} done", file=sys.stderr)
    if "W4" in args.only:
        title, times = bench_predict(args.repeats, notes)
        results["W4"], raw["W4"] = (title, summarize(times)), times
    if "W5" in args.only:
        outcome = bench_estimator(args.repeats, notes)
        if outcome is not None:
            title, times = outcome
            results["W5"], raw["W5"] = (title, summarize(times)), times
    if "OPT" in args.only:
        title, times = bench_optimizers(args.repeats)
        results["OPT"], raw["OPT"] = (title, summarize(times)), times
    memory = bench_memory() if "MEM" in args.only else None
    loads["before CONT"] = load()
    contention = {}
    if "CONT" in args.only:
        from .contention import bench_contention
        from .contention import table as contention_table

        contention = bench_contention(min(args.repeats, 3), notes)
        raw["CONT"] = {scenario: medians for scenario, (_, medians) in contention.items()}
    loads["end"] = load()
    report = table(results, memory, notes, args.repeats)
    if contention:
        report += "\n" + "\n".join(contention_table(contention, min(args.repeats, 3)))
    report += "\n\nLoad average (1/5/15 min): " + "; ".join(
        f"{when} {value}" for when, value in loads.items())
    print(report)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"machine": machine(), "repeats": args.repeats, "times": raw,
                       "memory": memory, "notes": notes, "load": loads}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
