"""W2 where users really train: beside other busy processes, and inside dask workers.

``python -m benchmarks --only CONT`` (part of the default run). Every scenario times one W2 epoch
(20,000 x 784 -> 256 -> 128 -> 10, batch 128, Adam, float32) with

- scratchnn's default (``n_threads=None``: the count chosen for the machine as it is and tuned
  while it runs, :mod:`scratchnn.threads`),
- scratchnn on all cores (``n_threads=os.cpu_count()``: what the default was before, when
  OpenBLAS used a thread per core whatever else ran),
- scratchnn on one thread,
- PyTorch on all cores (its default) and on one thread, when it is installed.

Scenarios:

quiet       nothing else started by the benchmark (the tuner's cost on a quiet machine)
busy        one CPU-bound competitor process per core but one, started before and stopped after
dask        a 2-worker ``LocalCluster`` (worker processes), both workers training W2 at once
dask-thr    a 2-worker ``LocalCluster`` with ``processes=False``: two trainings in threads of one
            process, sharing its BLAS

dask's nanny starts worker processes with ``OPENBLAS_NUM_THREADS=1`` (its
``distributed.nanny.pre-spawn-environ``), so in ``dask`` the previous default was already one
thread there; "all cores" shows what a worker without that setting (``processes=False``, a worker
started by hand, another BLAS) would do.
"""

import os
import statistics
import subprocess
import sys
import time

from .run import WORKLOADS, load, mnist_shaped

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
BURN = "while True:\n    pass\n"  # a CPU-bound competitor
SLOW = 3.0  # seconds: a configuration this slow is timed once
_DATA = {}  # per process: W2's data, made once (workers keep it between tasks)


ROWS = 20000  # W2's examples


def _w2(rows):
    if rows not in _DATA:
        _DATA[rows] = mnist_shaped(rows)
    return _DATA[rows]


def train_scratchnn(n_threads, rows=ROWS):
    """One W2 epoch with scratchnn; the seconds it took."""
    from scratchnn import ClassifierNN

    X, y = _w2(rows)
    spec = WORKLOADS["W2"]
    nn = ClassifierNN([784, *spec["hidden"], 10], ["relu", "relu", "softmax"], seed=0)
    start = time.perf_counter()
    nn.train(X.T, y.reshape(1, -1), loss="SparseCategoricalCrossEntropy", num_epochs=1,
             learning_rate=spec["lr"], batch_size=spec["batch"], optimizer="adam",
             print_cost=False, n_threads=n_threads)
    return time.perf_counter() - start


def train_torch(n_threads, rows=ROWS):
    """One W2 epoch with PyTorch (eager) on ``n_threads`` intra-op threads; the seconds."""
    import torch

    torch.set_num_threads(n_threads)
    X, y = _w2(rows)
    spec = WORKLOADS["W2"]
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype("int64"))
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=spec["lr"])
    start = time.perf_counter()
    permutation = torch.randperm(X.shape[0])
    for first in range(0, X.shape[0], spec["batch"]):
        index = permutation[first:first + spec["batch"]]
        optimizer.zero_grad()
        loss_fn(model(Xt[index]), yt[index]).backward()
        optimizer.step()
    return time.perf_counter() - start


def task(kind, n_threads, start_at, rows=ROWS):
    """A dask task: make the data, wait for ``start_at`` (so both workers train at once), train."""
    _w2(rows)
    time.sleep(max(0.0, start_at - time.time()))
    return (train_scratchnn if kind == "scratchnn" else train_torch)(n_threads, rows)


def runners(has_torch):
    """(label, kind, n_threads) of every configuration, in the order they take turns."""
    rows = [("scratchnn default (automatic)", "scratchnn", None),
            (f"scratchnn all cores ({CORES} threads, the old default)", "scratchnn", CORES),
            ("scratchnn 1 thread", "scratchnn", 1)]
    if has_torch:
        rows += [(f"PyTorch all cores ({CORES} threads, its default)", "torch", CORES),
                 ("PyTorch 1 thread", "torch", 1)]
    return rows


def turns(configs, repeat):
    """The order of ``configs`` in repeat ``repeat`` (0, 1, ...): a Williams design.

    A run is slowed by the one before it (another library's or the BLAS's threads still awake,
    or this process's thread moved onto the busy core: beside a busy process, a one-thread epoch
    right after a two-thread one took 1.1-1.2 times as long), so one fixed order would charge
    that to the same configurations in every repeat (a rotation would too: it keeps who follows
    whom). Row ``r`` of a Williams design (a balanced Latin square) is ``0, 1, n-1, 2, n-2, ...``
    plus ``r`` modulo ``n``, reversed in the second ``n`` rows when ``n`` is odd: over ``n``
    repeats (``2n`` when odd) every configuration runs right after every other one equally
    often, and in every position."""
    n = len(configs)
    if n == 0:
        return []
    base, low, high = [0], 1, n - 1
    while len(base) < n:
        base.append(low)
        low += 1
        if len(base) < n:
            base.append(high)
            high -= 1
    order = [configs[(i + repeat) % n] for i in base]
    return order[::-1] if n % 2 and (repeat // n) % 2 else order


def alternate(configs, repeats, run_one):
    """Each configuration once per repeat, in turn (after one warm-up each); seconds by label.

    The order changes from one repeat to the next (:func:`turns`). A configuration whose warm-up
    took more than :data:`SLOW` seconds is not run again: its warm-up is its time (on a busy
    machine an oversubscribed epoch can take ten seconds)."""
    times = {}
    for label, kind, n in configs:
        seconds = run_one(kind, n)
        times[label] = [seconds] if seconds > SLOW else []
    for repeat in range(repeats):
        for label, kind, n in turns(configs, repeat):
            if len(times[label]) == 1 and times[label][0] > SLOW:
                continue
            time.sleep(0.3)  # let the previous run's spinning BLAS threads go to sleep
            times[label].append(run_one(kind, n))
    return {label: statistics.median(ts) for label, ts in times.items()}


def busy(configs, repeats, local):
    """The configurations beside one CPU-bound process per core but one."""
    competitors = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(CORES - 1)]
    try:
        time.sleep(0.5)
        return alternate(configs, repeats, local)
    finally:
        for process in competitors:
            process.kill()
        for process in competitors:
            process.wait()


def dask(configs, repeats, processes, rows):
    """The configurations in two dask workers at once; each result: the mean of the two epochs."""
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=processes,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        workers = list(client.scheduler_info()["workers"])

        def both(kind, n):
            start_at = time.time() + 0.5
            futures = [client.submit(task, kind, n, start_at, rows, workers=[w], pure=False)
                       for w in workers]
            return statistics.mean(client.gather(futures))

        return alternate(configs, repeats, both)


def bench_contention(repeats, notes, scenarios=("quiet", "busy", "dask", "dask-thr"), rows=ROWS,
                     torch=True):
    """Every scenario's medians: ``{scenario: (title, {label: seconds})}``.

    ``rows`` and ``torch=False`` make a short run (the tests check the mechanics with them)."""

    def local(kind, n):
        return (train_scratchnn if kind == "scratchnn" else train_torch)(n, rows)

    try:
        import torch as _  # noqa: F401

        has_torch = torch
    except ImportError:
        has_torch = False
        notes.append("PyTorch skipped for CONT: `torch` is not installed")
    configs = runners(has_torch)
    results = {}
    for scenario in scenarios:
        before = load()
        if scenario == "quiet":
            medians = alternate(configs, repeats, local)
            title = "W2 epoch, nothing else started"
        elif scenario == "busy":
            if CORES < 2:
                notes.append("CONT busy skipped: one core, no competitor to start")
                continue
            medians = busy(configs, repeats, local)
            title = f"W2 epoch beside {CORES - 1} CPU-bound process(es) (one per core but one)"
        else:
            try:
                import distributed  # noqa: F401
            except ImportError:
                notes.append(f"CONT {scenario} skipped: `distributed` is not installed")
                continue
            medians = dask(configs, repeats, scenario == "dask", rows)
            title = ("W2 epoch in each of 2 dask worker " +
                     ("processes" if scenario == "dask" else "threads (processes=False)") +
                     " training at once")
        results[scenario] = (f"{title} (load {before} before, {load()} after)", medians)
        # As it goes, so that a run cut short still says what it measured.
        print(f"CONT {scenario} done: {results[scenario][0]}: " + ", ".join(
            f"{label} {seconds:.3f} s" for label, seconds in medians.items()), file=sys.stderr)
    return results


def table(results, repeats):
    """Markdown: one row per scenario, the medians, and the ratios the goals are stated in."""
    labels = list(next(iter(results.values()))[1])
    short = {label: label.split(" (")[0] for label in labels}
    lines = ["", f"CONT: one W2 epoch (seconds, medians of {repeats} alternating runs; a run of "
                 f"more than {SLOW:g} s is timed once). Ratios: the old default (all cores) over "
                 "the new default, and the new default over the best fixed count of scratchnn.",
             "", "| scenario | " + " | ".join(short[label] for label in labels) +
             " | all cores / default | default / best fixed |",
             "|---|" + "---:|" * (len(labels) + 2)]
    for scenario, (title, medians) in results.items():
        ours = medians["scratchnn default (automatic)"]
        fixed = [seconds for label, seconds in medians.items()
                 if label.startswith("scratchnn") and label != "scratchnn default (automatic)"]
        old = next(seconds for label, seconds in medians.items()
                   if label.startswith("scratchnn all cores"))
        lines.append(f"| {scenario}: {title} | " +
                     " | ".join(f"{medians[label]:.3f}" for label in labels) +
                     f" | {old / ours:.2f} | {ours / min(fixed):.2f} |")
    return lines
