r"""BLAS threads for the machine as it is: CPU affinity, container quota, workers, contention.

Every mini-batch step is a handful of short matrix products. When the BLAS runs more threads than
there are free cores (another process is busy, a container's CPU quota is smaller than the
machine, several dask workers or joblib children share it), its threads spin-wait for cores that
are not there, and a step can take ten times longer than on one thread. So training does not take
``os.cpu_count()`` at its word:

1. :func:`available_cpus` is the smallest of the CPU count, the process's CPU affinity
   (``os.sched_getaffinity``) and the container's CPU quota, rounded up (cgroup v2 ``cpu.max``,
   cgroup v1 ``cpu.cfs_quota_us / cpu.cfs_period_us``, on the process's own cgroup and its
   parents), as ``joblib.cpu_count`` counts them.
2. :func:`automatic_threads` caps that by the BLAS's count before the call (so a user's
   ``OPENBLAS_NUM_THREADS`` or ``threadpoolctl`` limit is never raised), and gives one thread
   inside a dask worker or a joblib (loky) child: those share the machine by design.
3. A :class:`ThreadTuner` then measures rather than predicts (as FFTW's planner does): it times a
   few steps at each candidate count at the start of a run and again every few seconds, and keeps
   the faster, so a run adapts when other work starts or stops beside it. Where other processes
   keep cores busy both now and over the last second (niced work counts only where the kernel
   groups processes by session), the count that leaves them out is taken as right: the run's
   first round waits :data:`RETUNE_SECONDS`.

:func:`blas_threads` applies all of this with threadpoolctl, scoped to one call: whatever the BLAS
count was before (a user's own limit included), it is again after the call, however the call
ends (an exception, Ctrl-C).

The thread count never changes the numbers where the BLAS splits a product's *output* among its
threads and keeps each entry's sum in one order: OpenBLAS (NumPy's wheels) does, so a seed gives
bit-identical results whatever count the tuner picks. Other BLAS libraries (MKL without its
conditional-numerical-reproducibility mode, Apple Accelerate) may split a sum over threads; there
the results agree to floating-point rounding only (pass ``n_threads`` for bit-identical reruns).
"""

import math
import multiprocessing
import os
import statistics
import sys
import threading
import time
from contextlib import contextmanager

from .validation import check_int

__all__ = ["MAX_THREADS", "ThreadTuner", "automatic_threads", "available_cpus", "blas_threads",
           "check_n_threads", "cpu_quota", "in_worker_process"]

MAX_THREADS = 4096
"""The largest ``n_threads`` accepted (more than any BLAS is built for)."""

TRIAL_STEPS = 3
"""Steps timed at each candidate thread count in one round of the tuner."""

WARMUP_STEPS = 4
"""A run's first steps, never timed: they run at the first count, but slower than the steps after
them whatever the count (first touches of the optimizer's buffers, cold caches), so timing them
would make the first count look as slow as the next one."""

RETUNE_SECONDS = 5.0
"""Seconds between two rounds of the tuner (longer when a round is slow: see
:class:`ThreadTuner`)."""

ROUND_SHARE = 0.05
"""The largest share of a run's time that tuning rounds may take."""

ABANDON = 1.5
"""A candidate whose steps already average this many times the best count's is abandoned."""

MARGIN = 0.95
"""More threads are kept only if their steps take at most this share of fewer threads' time."""

RETUNE_BACKOFF = 4
"""While rounds keep confirming the count, the time between them doubles, up to this many times
:data:`RETUNE_SECONDS`; a round that changes the count brings it back to :data:`RETUNE_SECONDS`."""


# --------------------------------------------------------------------------- what the machine has
def _read(path):
    try:
        with open(path, encoding="ascii") as f:
            return f.read().strip()
    except (OSError, UnicodeDecodeError):
        return None


def _cgroup_paths(root):
    """The process's cgroup paths from ``/proc/self/cgroup``: ``{controller: path}`` (cgroup v2's
    unified hierarchy under the key ``""``)."""
    paths = {}
    for line in (_read(os.path.join(root, "proc/self/cgroup")) or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(","):
                paths[controller] = parts[2]
    return paths


def _up_the_tree(base, relative):
    """``base/relative`` and each of its parents up to ``base``."""
    parts = [p for p in relative.split("/") if p and p not in (".", "..")]
    for n in range(len(parts), -1, -1):
        yield os.path.join(base, *parts[:n])


def _quota(quota, period):
    """CPUs allowed by ``quota`` microseconds per ``period``, or None for no limit."""
    try:
        quota, period = int(quota), int(period)
    except (TypeError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def cpu_quota(root="/"):
    """The CPUs the container's quota allows (a float, e.g. ``1.5``), or None without a quota.

    Reads cgroup v2's ``cpu.max`` (``"150000 100000"``, or ``"max 100000"`` for no limit), or
    cgroup v1's ``cpu.cfs_quota_us`` and ``cpu.cfs_period_us`` (a quota of ``-1``: no limit), in
    the process's own cgroup (``/proc/self/cgroup``) and each parent up to the mount point; the
    tightest limit found counts.

    Parameters
    ----------
    root : str, default '/'
        The directory holding ``proc/`` and ``sys/fs/cgroup/``; tests point it at fixture files.
    """
    paths = _cgroup_paths(root)
    cgroup = os.path.join(root, "sys/fs/cgroup")
    limits = []
    for directory in _up_the_tree(cgroup, paths.get("", "/")):  # v2: one unified hierarchy
        parts = (_read(os.path.join(directory, "cpu.max")) or "").split()
        if len(parts) == 2:
            limits.append(_quota(parts[0], parts[1]))
    for mount in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):  # v1: the cpu controller's hierarchy
        for directory in _up_the_tree(os.path.join(cgroup, mount), paths.get("cpu", "/")):
            limits.append(_quota(_read(os.path.join(directory, "cpu.cfs_quota_us")),
                                 _read(os.path.join(directory, "cpu.cfs_period_us"))))
    limits = [limit for limit in limits if limit is not None]
    return min(limits) if limits else None


def available_cpus(root="/", affinity=None):
    """The CPUs this process may really use: the smallest of ``os.cpu_count()``, its CPU
    affinity and the container's quota rounded up (:func:`cpu_quota`); at least 1.

    Parameters
    ----------
    root : str, default '/'
        See :func:`cpu_quota`.
    affinity : set of int, optional
        The CPUs the process may run on; by default ``os.sched_getaffinity(0)`` where the
        platform has it.
    """
    counts = [os.cpu_count() or 1]
    if affinity is None and hasattr(os, "sched_getaffinity"):
        affinity = os.sched_getaffinity(0)
    if affinity is not None:
        counts.append(len(affinity))
    quota = cpu_quota(root)
    if quota is not None:
        counts.append(math.ceil(quota))
    return max(1, min(counts))


def in_worker_process():
    """Whether this code runs inside a dask worker or a joblib (loky) child process.

    Such workers share the machine by design (one per core, or several per machine), so each
    gets one BLAS thread. Neither library is imported here: a worker has already imported its own.
    """
    distributed = sys.modules.get("distributed")
    if distributed is not None:
        try:
            distributed.get_worker()
            return True
        except (ValueError, AttributeError):
            pass
    return multiprocessing.current_process().name.startswith("LokyProcess")


def _others_running(root="/"):
    """Runnable threads of other processes right now (``procs_running`` of ``/proc/stat`` less
    this process's own running threads), or 0 where the system does not say."""
    stat = _read(os.path.join(root, "proc/stat")) or ""
    running = next((int(line.split()[1]) for line in stat.splitlines()
                    if line.startswith("procs_running ")), None)
    if running is None:
        return 0
    own = 0
    task_dir = os.path.join(root, "proc/self/task")
    try:
        tasks = os.listdir(task_dir)
    except OSError:
        tasks = []
    for task in tasks:
        state = (_read(os.path.join(task_dir, task, "stat")) or "").rpartition(")")[2].split()
        own += bool(state) and state[0] == "R"
    return max(0, running - max(own, 1))


def _cpu_times(root="/"):
    """CPU time so far in clock ticks, from ``/proc/stat``'s ``cpu`` line and ``/proc/self/stat``:
    ``(busy, nice, total, own, own_niced, cpus)``, or None where the system does not say.

    ``busy`` is the time all CPUs spent on work at normal priority (user, system, irq, softirq),
    ``nice`` on work at a lowered priority (``nice`` > 0), ``total`` all of it (idle included);
    ``own`` is this process's user and system time, ``own_niced`` whether it runs niced itself
    (then its time is counted under ``nice``), ``cpus`` the number of ``cpuN`` lines."""
    lines = (_read(os.path.join(root, "proc/stat")) or "").splitlines()
    fields = next((line.split()[1:] for line in lines if line.startswith("cpu ")), [])
    own = (_read(os.path.join(root, "proc/self/stat")) or "").rpartition(")")[2].split()
    try:
        user, nice, system, idle, iowait, irq, softirq, *rest = (int(f) for f in fields[:8])
        own_time, own_nice = int(own[11]) + int(own[12]), int(own[16])
    except (ValueError, IndexError):
        return None
    total = user + nice + system + idle + iowait + irq + softirq + sum(rest)
    cpus = sum(1 for line in lines if line.startswith("cpu") and line[3:4].isdigit())
    return user + system + irq + softirq, nice, total, own_time, own_nice > 0, max(cpus, 1)


WINDOW_SECONDS = 0.2
"""The shortest stretch of time over which :func:`_others_busy` averages (CPU time is counted
in ticks of 10 ms: a shorter window says too little)."""

_cpu_seen = {}  # root -> (time, _cpu_times): the reading the next window starts from


def _autogroup(root="/"):
    """Whether the kernel schedules by session (``/proc/sys/kernel/sched_autogroup_enabled`` is 1,
    the default of many desktop distributions): then each session gets an equal share of the CPU
    whatever its processes' ``nice``."""
    return (_read(os.path.join(root, "proc/sys/kernel/sched_autogroup_enabled")) or "").strip() == "1"


def _others_busy(root="/", now=None):
    """Cores that other processes' work at this process's priority or above kept busy, on
    average since the last reading (at least :data:`WINDOW_SECONDS` ago; the first reading is
    taken when this module is imported), or None where that is not known yet.

    Unlike :func:`_others_running`, which sees one instant, this leaves out a process that only
    just ran, and niced work (``nice`` > 0: a mutation test or a build at ``nice -n 19`` yields
    its core to this process, so it does not make more BLAS threads slower), but not where the
    kernel groups processes by session (:func:`_autogroup`): there ``nice`` ranks processes only
    within one session, and a niced job started from another terminal competes at full weight.
    ``now``: seconds of ``time.monotonic()``, the default; tests pass their own."""
    now, times = time.monotonic() if now is None else now, _cpu_times(root)
    seen = _cpu_seen.get(root)
    if times is None or seen is None or now - seen[0] < WINDOW_SECONDS:
        if times is not None and seen is None:
            _cpu_seen[root] = (now, times)
        return None
    _cpu_seen[root] = (now, times)
    busy, nice, total, own = (after - first for after, first in zip(times[:4], seen[1][:4]))
    if total <= 0:
        return None
    if times[4] or _autogroup(root):  # niced work competes with this process too
        busy += nice
    return max(0.0, (busy - own) / total * times[5])


def _others_busy_now(root="/"):
    """Cores other processes keep busy now: runnable at this instant (:func:`_others_running`)
    *and* busy on average over the last second or so (:func:`_others_busy`, rounded), the
    smaller; the instant count alone where no average is known yet."""
    instant = _fact(_others_running, root)
    average = _fact(_others_busy, root)
    return instant if average is None else min(instant, math.floor(average + 0.5))


_facts = {}  # (function, root) -> (time read, value): reading /proc and /sys takes ~1 ms
FACTS_SECONDS = {"available_cpus": 10.0, "_others_running": 1.0, "_others_busy": 1.0}
"""How long :func:`blas_threads` reuses what it read about the machine, by function (a short
training or prediction call must not spend a millisecond on it each time). Affinity and quota
rarely change; the other processes' load does."""


def _fact(function, root):
    now = time.monotonic()
    key = (function, root)
    seen = _facts.get(key)
    if seen is None or now - seen[0] > FACTS_SECONDS.get(function.__name__, 1.0):
        seen = _facts[key] = (now, function(root))
    return seen[1]


_others_busy()  # the first reading: the first training's window starts at the import


# --------------------------------------------------------------------------- threadpoolctl
_controller = None
_controller_lock = threading.Lock()


def _blas():
    """threadpoolctl's controller of the loaded BLAS libraries (found once: it takes ~20 ms)."""
    global _controller
    with _controller_lock:
        if _controller is None:
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController().select(user_api="blas")
        return _controller


def _current_threads(controller):
    counts = [lib.num_threads for lib in controller.lib_controllers]
    return max(counts) if counts else 1


def _set_all(controller, counts):
    """Set each BLAS library's thread count (``counts``: one int for all, or one per library).

    Through each library's own controller, as ``threadpoolctl.threadpool_limits`` does, without
    building its info dictionaries on every call (a prediction must stay cheap)."""
    for i, lib in enumerate(controller.lib_controllers):
        count = counts if isinstance(counts, int) else counts[i]
        if lib.num_threads != count:
            lib.set_num_threads(count)


def automatic_threads(current, root="/"):
    """The thread count to start from when ``n_threads`` is None.

    One inside a dask worker or loky child (:func:`in_worker_process`); otherwise
    :func:`available_cpus` less the cores other processes keep busy (runnable now and busy over
    the last second or so, at this process's priority or above: niced work and a process that
    only just ran do not count), capped by ``current``, the BLAS's count before the call (a
    user's limit is never raised).
    """
    if in_worker_process():
        return 1
    return max(1, min(current, _fact(available_cpus, root) - _others_busy_now(root)))


def check_n_threads(n_threads, name="n_threads"):
    """``n_threads`` as an int in ``[1, MAX_THREADS]``, or None (automatic)."""
    return check_int(n_threads, name, minimum=1, maximum=MAX_THREADS, allow_none=True)


# --------------------------------------------------------------------------- the tuner
class ThreadTuner:
    """Keep the faster of a few BLAS thread counts, measured on the run's own steps.

    A *round* times :data:`TRIAL_STEPS` steps at each candidate count (the count in use first)
    and keeps the fastest by median step time; more threads must be faster by 5% (:data:`MARGIN`)
    to be kept, since a tie is better served by leaving cores to others. A candidate whose steps
    already average :data:`ABANDON` times the best one's is abandoned after its first step, so a
    bad count costs one step. Rounds repeat every :data:`RETUNE_SECONDS` seconds, or rarer when
    a round is long, so that they take at most :data:`ROUND_SHARE` of the run; while rounds keep
    confirming the count, the time between them doubles, up to :data:`RETUNE_BACKOFF` times.

    A round is dearer than its own steps: on a busy machine, a step at too many threads waits for
    a core (tens of milliseconds), and the BLAS's extra threads then spin for a while after the
    count drops again, slowing the next steps. So short runs one after another (epochs trained one
    call at a time, cross-validation) share one schedule through ``schedule``: a tuner started
    before the previous one's next round was due takes its count and waits for that round, rather
    than measuring again at every call, as long as the count it would start from (the first
    candidate: the cores not busy now) is that choice. Otherwise it measures at once, that
    count first (three timed steps: the first step after more threads wake up is slow, and a
    count measured first is never abandoned after one step, so a wrong choice cannot keep itself).
    A run's first :data:`WARMUP_STEPS` steps are never timed (they are slower at any count).

    When the first count is clearly right, ``first_round`` puts the first round off, for this
    run only (the shared schedule is neither read nor written until it measures): a run shorter
    than that measures nothing. :func:`blas_threads` passes :data:`RETUNE_SECONDS` when other
    processes keep cores busy both at this instant and on average over the last second or so, so
    that the count it starts from leaves those cores out. Beside a busy process, the one trial
    step at more threads and their spinning afterwards cost 70-90 ms, a sixth of a 0.45 s epoch
    but under 2% of a run of :data:`RETUNE_SECONDS`; a load measured over a second does not
    mistake niced work or a process that just ended for contention, and each run reads it anew.

    The loop calls :meth:`step_done` after every step and never looks at the count; the count
    changes only how fast a step runs, never what it computes (see the module's notes on BLAS).

    Parameters
    ----------
    candidates : sequence of int
        Thread counts to choose from; the first is used until it is measured.
    set_threads : callable
        ``set_threads(n)`` makes the BLAS use ``n`` threads.
    clock : callable, optional
        Seconds as a float (default ``time.perf_counter``); tests pass their own.
    schedule : dict, optional
        Shared between tuners (:func:`blas_threads` passes one for the whole process): the last
        round's choice and the next round's time, by candidate set and clock. None: measure
        from the start.
    first_round : float, default 0
        Seconds before the first round (whatever the shared schedule says); 0: the schedule's
        next round where it agrees with the first candidate, else measure from the start.

    Attributes
    ----------
    count : int
        The count in use now.
    rounds : list of dict
        Each finished round's median step time (seconds) by count.
    """

    def __init__(self, candidates, set_threads, clock=None, schedule=None, first_round=0.0):
        self.candidates = tuple(dict.fromkeys(candidates))
        self._set_threads = set_threads
        self.clock = time.perf_counter if clock is None else clock
        self.rounds = []
        self._schedule, self._key = schedule, frozenset(self.candidates)
        self._last, self._steps = None, 0
        kept = None if schedule is None else schedule.get(self._key)
        if kept is not None and kept["clock"] is not self.clock:
            kept = None
        agrees = kept is not None and kept["count"] == self.candidates[0] and first_round <= 0
        if agrees:  # the machine's load agrees with the last round's choice
            self.count, self._interval = kept["count"], kept["interval"]
        else:  # no choice yet, or the load has changed since: from the load's count
            self.count, self._interval = self.candidates[0], None
        self._start_round(self.count, None)
        if agrees and self.clock() < kept["next_round"]:
            self._plan, self._next_round = [], kept["next_round"]  # no round until it is due
        elif first_round > 0:  # the load's count is right: no round unless the run is long
            self._plan, self._next_round = [], self.clock() + first_round
        self._set_threads(self.count)

    def _start_round(self, first, now):
        self._plan = [first] + [c for c in self.candidates if c != first]
        self._plan_first = first
        self._results, self._samples, self._round_start = {}, [], now

    def _switch(self, count):
        if count != self.count:
            self._set_threads(count)
            self.count = count

    def step_done(self):
        """Count one finished step; switch the thread count when a trial or round is over."""
        now = self.clock()
        last, self._last = self._last, now
        self._steps += 1
        if self._steps <= WARMUP_STEPS:
            return  # the run's first steps (the very first has no time to measure it from)
        if self._round_start is None:
            self._round_start = last
        if not self._plan:
            if now >= self._next_round:
                self._start_round(self.count, now)
            return
        self._samples.append(now - last)
        best = min(self._results.values(), default=None)
        mean = sum(self._samples) / len(self._samples)
        if len(self._samples) < TRIAL_STEPS and (best is None or mean < ABANDON * best):
            return
        self._results[self._plan.pop(0)] = statistics.median(self._samples)
        self._samples = []
        if self._plan:
            self._switch(self._plan[0])
            return
        choice = None
        for count in sorted(self._results):
            if choice is None or self._results[count] < MARGIN * self._results[choice]:
                choice = count
        confirmed = self._interval is not None and choice == self._plan_first
        self._interval = (min(2 * self._interval, RETUNE_BACKOFF * RETUNE_SECONDS) if confirmed
                          else RETUNE_SECONDS)
        self._switch(choice)
        self.rounds.append(self._results)
        spent = now - self._round_start
        self._next_round = now + max(self._interval, spent / ROUND_SHARE)
        if self._schedule is not None:
            self._schedule[self._key] = {"count": choice, "next_round": self._next_round,
                                         "interval": self._interval, "clock": self.clock}


class _FixedThreads:
    """The tuner's interface for one fixed count: nothing to measure."""

    rounds = ()

    def __init__(self, count):
        self.count = count

    def step_done(self):
        pass


def _candidates(start, cap):
    """``start`` first, then 1, 2, 4, ... and ``cap`` itself, up to ``cap``."""
    counts = [start]
    n = 1
    while n < cap:
        counts.append(n)
        n *= 2
    counts.append(cap)
    return [c for c in dict.fromkeys(counts) if 1 <= c <= cap]


_schedule = {}  # the tuners' shared schedule (ThreadTuner's ``schedule``), for the process
_active = 0  # train/predict calls inside blas_threads right now, in every thread of the process
_original = None  # each BLAS library's count before the first of them
_active_lock = threading.Lock()
_inside = threading.local()  # whether this thread is inside blas_threads already


@contextmanager
def blas_threads(n_threads=None, tune=True, root="/"):
    """Run the ``with`` block with the BLAS on ``n_threads`` threads, or an automatic count.

    Parameters
    ----------
    n_threads : int >= 1 or None
        A fixed count (already checked, :func:`check_n_threads`), or None: start from
        :func:`automatic_threads` and, with ``tune``, let a :class:`ThreadTuner` choose among
        the counts up to the BLAS's count before the call and :func:`available_cpus`.
    tune : bool, default True
        Whether an automatic count is measured and adapted (training), or fixed (prediction).
    root : str, default '/'
        See :func:`cpu_quota`.

    Yields
    ------
    ThreadTuner or an object with the same ``step_done()`` and ``count``
        Call ``step_done()`` after each training step.

    Notes
    -----
    The BLAS's thread count is one setting for the whole process. When several threads of one
    process train at once (a dask worker running tasks in threads, ``n_jobs`` with joblib's
    threading backend), the first to enter saves the counts, the last to leave restores them, and
    while more than one is inside, every automatic run uses one thread and none is tuned. A call
    nested in another in the same thread (a prediction from a training callback) changes nothing.
    """
    global _active, _original
    if getattr(_inside, "value", False):  # a nested call (predict from a callback): as it is
        yield _FixedThreads(n_threads)
        return
    controller = _blas()
    with _active_lock:
        if _active == 0:
            _original = [lib.num_threads for lib in controller.lib_controllers]
        _active += 1
        shared = _active > 1
    _inside.value = True

    def set_threads(count, force=False):
        with _active_lock:  # a tuner stops switching while another run is inside
            if force or _active == 1:
                _set_all(controller, count)

    try:
        if n_threads is not None:
            set_threads(n_threads, force=True)
            yield _FixedThreads(n_threads)
        elif shared:
            set_threads(1, force=True)
            yield _FixedThreads(1)
        else:
            cap = max(1, min(_current_threads(controller), _fact(available_cpus, root)))
            start = automatic_threads(cap, root)
            if in_worker_process() or not tune or cap == 1:
                set_threads(start)
                yield _FixedThreads(start)
            else:  # starting below the cap: other work keeps cores busy (see ThreadTuner)
                yield ThreadTuner(_candidates(start, cap), set_threads, schedule=_schedule,
                                  first_round=RETUNE_SECONDS if start < cap else 0.0)
    finally:
        _inside.value = False
        with _active_lock:
            _active -= 1
            if _active == 0:
                _set_all(controller, _original)
                _original = None
