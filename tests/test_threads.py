"""BLAS threads (scratchnn.threads): the machine's CPUs from fixture files, the tuner's choices
under a scripted clock, the count scoped to each call, validation, and results that do not depend
on the count the tuner picks."""

import os
import signal
import threading
import warnings

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController, threadpool_limits

from scratchnn import ClassifierNN, threads
from scratchnn.callback import Callback
from tolerances import assert_float32_close

BLAS = ThreadpoolController().select(user_api="blas")


def blas_counts():
    """Each loaded BLAS library's thread count, as threadpoolctl reports it."""
    return [info["num_threads"] for info in BLAS.info()]


def openblas_only():
    return BLAS.info() and all(info["internal_api"] == "openblas" for info in BLAS.info())


# --------------------------------------------------------------------------- fixture files
def write(root, relative, text):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def cpus(n):
    """What available_cpus gives when the limit found is ``n`` CPUs (never above cpu_count)."""
    return max(1, min(os.cpu_count() or 1, n))


@pytest.mark.parametrize("cpu_max, quota", [
    ("150000 100000\n", 1.5),
    ("50000 100000", 0.5),
    ("400000 100000", 4.0),
    ("max 100000", None),
    ("", None),
    ("garbage", None),
    ("-5 100000", None),
])
def test_cgroup_v2_cpu_max(tmp_path, cpu_max, quota):
    write(tmp_path, "proc/self/cgroup", "0::/\n")
    write(tmp_path, "sys/fs/cgroup/cpu.max", cpu_max)
    assert threads.cpu_quota(str(tmp_path)) == quota
    expected = cpus(8 if quota is None else -(-quota // 1))
    assert threads.available_cpus(str(tmp_path), affinity=set(range(8))) == expected


def test_cgroup_v2_the_tightest_limit_up_the_tree_counts(tmp_path):
    write(tmp_path, "proc/self/cgroup", "0::/user.slice/job/step\n")
    write(tmp_path, "sys/fs/cgroup/user.slice/job/step/cpu.max", "max 100000")
    write(tmp_path, "sys/fs/cgroup/user.slice/job/cpu.max", "100000 100000")
    write(tmp_path, "sys/fs/cgroup/user.slice/cpu.max", "300000 100000")
    assert threads.cpu_quota(str(tmp_path)) == 1.0
    assert threads.available_cpus(str(tmp_path), affinity={0, 1, 2, 3}) == 1


@pytest.mark.parametrize("mount", ["cpu", "cpu,cpuacct"])
@pytest.mark.parametrize("quota_us, period_us, quota", [
    ("250000", "100000", 2.5), ("-1", "100000", None), ("100000", "0", None),
    ("x", "100000", None)])
def test_cgroup_v1_cfs_quota(tmp_path, mount, quota_us, period_us, quota):
    write(tmp_path, "proc/self/cgroup", f"4:memory:/docker/abc\n2:{mount}:/docker/abc\n")
    write(tmp_path, f"sys/fs/cgroup/{mount}/docker/abc/cpu.cfs_quota_us", quota_us + "\n")
    write(tmp_path, f"sys/fs/cgroup/{mount}/docker/abc/cpu.cfs_period_us", period_us + "\n")
    assert threads.cpu_quota(str(tmp_path)) == quota
    expected = cpus(16 if quota is None else 3)
    assert threads.available_cpus(str(tmp_path), affinity=set(range(16))) == expected


def test_no_cgroup_files_means_no_quota_and_affinity_counts(tmp_path):
    assert threads.cpu_quota(str(tmp_path)) is None
    assert threads.available_cpus(str(tmp_path), affinity={3}) == 1
    assert threads.available_cpus(str(tmp_path), affinity=set(range(64))) == cpus(64)


def test_others_running_leaves_out_this_process_threads(tmp_path):
    write(tmp_path, "proc/stat", "cpu  1 2 3\nprocs_running 5\nprocs_blocked 0\n")
    write(tmp_path, "proc/self/task/10/stat", "10 (python (main)) R 1 2 3")
    write(tmp_path, "proc/self/task/11/stat", "11 (python) R 1 2 3")
    write(tmp_path, "proc/self/task/12/stat", "12 (python) S 1 2 3")
    assert threads._others_running(str(tmp_path)) == 3
    write(tmp_path, "proc/stat", "cpu  1 2 3\n")
    assert threads._others_running(str(tmp_path)) == 0


def cpu_files(root, user, nice, idle, own, own_nice=0):
    """``/proc/stat`` for two CPUs and ``/proc/self/stat`` with the given clock ticks so far."""
    write(root, "proc/stat", f"cpu  {user} {nice} 0 {idle} 0 0 0 0 0 0\n"
                             "cpu0 0 0 0 0 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0 0 0\n"
                             "procs_running 3\n")
    write(root, "proc/self/stat",
          f"7 (py (thon)) R 1 2 3 4 5 6 7 8 9 10 {own} 0 0 0 20 {own_nice} 1 0 9")


def test_others_busy_averages_other_processes_normal_priority_work_over_a_window(tmp_path):
    root = str(tmp_path)
    cpu_files(tmp_path, user=1000, nice=500, idle=5000, own=100)
    assert threads._others_busy(root, now=10.0) is None  # the first reading: no window yet
    # One second later on two CPUs (200 ticks): this process used 50 ticks, others 100 at
    # normal priority and 50 niced: one core busy with other work that competes.
    cpu_files(tmp_path, user=1150, nice=550, idle=5000, own=150)
    assert threads._others_busy(root, now=11.0) == pytest.approx(100 / 200 * 2)
    # A window shorter than WINDOW_SECONDS says nothing and keeps where the next one starts.
    cpu_files(tmp_path, user=1160, nice=550, idle=5010, own=160)
    assert threads._others_busy(root, now=11.0 + threads.WINDOW_SECONDS / 2) is None
    # Quiet but for niced work (a nice-19 mutation run): nothing competes.
    cpu_files(tmp_path, user=1250, nice=650, idle=5060, own=250)
    assert threads._others_busy(root, now=12.0) == pytest.approx(0.0)
    # A process that runs niced itself competes with other niced work too.
    cpu_files(tmp_path, user=1250, nice=850, idle=5060, own=350, own_nice=10)
    assert threads._others_busy(root, now=13.0) == pytest.approx(100 / 200 * 2)
    # Where the kernel groups processes by session, niced work in another session competes.
    write(tmp_path, "proc/sys/kernel/sched_autogroup_enabled", "1\n")
    cpu_files(tmp_path, user=1250, nice=1050, idle=5060, own=350)
    assert threads._others_busy(root, now=14.0) == pytest.approx(200 / 200 * 2)
    write(tmp_path, "proc/sys/kernel/sched_autogroup_enabled", "0\n")
    cpu_files(tmp_path, user=1250, nice=1250, idle=5060, own=350)
    assert threads._others_busy(root, now=15.0) == pytest.approx(0.0)
    # Without the files: not known.
    empty = tmp_path / "empty"
    empty.mkdir()
    assert threads._others_busy(str(empty), now=0.0) is None
    assert threads._others_busy(str(empty), now=5.0) is None


def fake_load(monkeypatch, running, average):
    """Two CPUs, ``running`` other threads runnable now and ``average`` cores busy lately."""
    monkeypatch.setattr(threads, "_facts", {})
    monkeypatch.setattr(threads, "available_cpus", lambda root="/", affinity=None: 2)
    monkeypatch.setattr(threads, "_others_running", lambda root="/": running)
    monkeypatch.setattr(threads, "_others_busy", lambda root="/": average)


@pytest.mark.parametrize("running, average, start", [
    (2, 0.1, 2),  # two niced processes runnable now, nothing at normal priority: all cores
    (1, 0.9, 1),  # a CPU-bound process beside: one core left
    (0, 1.0, 2),  # a process that has just ended: all cores
    (1, 0.4, 2),  # runnable now, but it kept less than half a core busy: all cores
    (3, None, 1),  # no average known yet (the first second after the import): the instant count
])
def test_the_first_count_leaves_out_cores_others_keep_busy_now_and_on_average(
        monkeypatch, running, average, start):
    fake_load(monkeypatch, running, average)
    assert threads.automatic_threads(2) == start


# --------------------------------------------------------------------------- the tuner
class ScriptedClock:
    """A clock whose every reading advances by the step time of the tuner's current count."""

    def __init__(self, step_seconds):
        self.step_seconds, self.now, self.tuner = step_seconds, 0.0, None

    def __call__(self):
        if self.tuner is not None:
            self.now += self.step_seconds(self.tuner.count)
        return self.now


def drive(tuner, clock, steps):
    """Run ``steps`` steps of ``tuner`` on ``clock``: the tuner and the count of each step."""
    clock.tuner, used = tuner, []
    for _ in range(steps):
        used.append(tuner.count)
        tuner.step_done()
    return tuner, used


def run_tuner(candidates, step_seconds, steps):
    clock, set_counts = ScriptedClock(step_seconds), []
    tuner, used = drive(threads.ThreadTuner(candidates, set_counts.append, clock=clock), clock,
                        steps)
    return tuner, used, set_counts


def test_tuner_keeps_the_faster_count_and_spends_one_step_on_a_bad_one():
    # Two threads take 10x longer (a busy machine): after timing one thread, one step at two
    # is enough to abandon them.
    tuner, used, _ = run_tuner([1, 2], {1: 0.002, 2: 0.02}.get, 50)
    assert tuner.rounds[0].keys() == {1, 2} and tuner.count == 1
    assert used.count(2) == 1
    # Two threads twice as fast (a quiet machine): kept after the round.
    tuner, used, set_counts = run_tuner([1, 2], {1: 0.002, 2: 0.001}.get, 50)
    assert tuner.count == 2 and set_counts[0] == 1 and used[-1] == 2


def test_tuner_needs_a_margin_to_keep_more_threads():
    tuner, _, _ = run_tuner([2, 1], {1: 0.0100, 2: 0.0098}.get, 30)
    assert tuner.count == 1  # 2% faster is a tie: leave the core to others
    tuner, _, _ = run_tuner([1, 2], {1: 0.0100, 2: 0.0090}.get, 30)
    assert tuner.count == 2


def test_tuner_measures_again_every_few_seconds_and_follows_a_change():
    busy = {"value": False}

    def step_seconds(count):
        return {1: 0.01, 2: 0.1}[count] if busy["value"] else {1: 0.01, 2: 0.005}[count]

    clock = ScriptedClock(step_seconds)
    tuner = threads.ThreadTuner([2, 1], lambda n: None, clock=clock)
    clock.tuner = tuner
    for _ in range(20):
        tuner.step_done()
    assert tuner.count == 2 and len(tuner.rounds) == 1
    busy["value"] = True  # another process starts
    steps = int(threads.RETUNE_SECONDS / 0.01) + 40
    for _ in range(steps):
        tuner.step_done()
    assert tuner.count == 1 and len(tuner.rounds) >= 2


def test_tuning_rounds_take_a_small_share_of_a_long_run():
    tuner, used, _ = run_tuner([1, 2], {1: 0.002, 2: 0.02}.get, 20000)  # 40 s of steps
    assert used.count(2) <= len(tuner.rounds) <= 40 / threads.RETUNE_SECONDS + 1


def test_rounds_grow_rarer_while_they_confirm_the_count_and_frequent_again_after_a_change():
    busy = {"value": False}

    def step_seconds(count):
        return {1: 0.01, 2: 0.05}[count] if busy["value"] else {1: 0.01, 2: 0.005}[count]

    clock = ScriptedClock(step_seconds)
    tuner = threads.ThreadTuner([2, 1], lambda n: None, clock=clock)
    clock.tuner = tuner
    ends = []
    while clock.now < 100:
        rounds = len(tuner.rounds)
        tuner.step_done()
        if len(tuner.rounds) > rounds:
            ends.append(clock.now)
    gaps = [b - a for a, b in zip(ends, ends[1:])]
    cap = threads.RETUNE_BACKOFF * threads.RETUNE_SECONDS
    # 5, 10, 20, 20, ... seconds (each gap also holds the round's own few steps).
    assert gaps[0] == pytest.approx(threads.RETUNE_SECONDS, abs=0.1)
    assert gaps[1] == pytest.approx(2 * threads.RETUNE_SECONDS, abs=0.1)
    assert all(g == pytest.approx(cap, abs=0.1) for g in gaps[3:]) and len(gaps) > 4
    busy["value"] = True  # another process starts: found at the next round, at most cap away
    start = clock.now
    while tuner.count == 2:
        tuner.step_done()
    assert clock.now - start <= cap + 1
    changed = len(ends)
    while clock.now < start + 60:
        rounds = len(tuner.rounds)
        tuner.step_done()
        if len(tuner.rounds) > rounds:
            ends.append(clock.now)
    # after the change, the next round comes RETUNE_SECONDS later again
    assert tuner.count == 1
    assert ends[changed + 1] - ends[changed] == pytest.approx(threads.RETUNE_SECONDS, abs=0.2)


def test_short_runs_one_after_another_share_one_schedule():
    schedule = {}
    clock = ScriptedClock({1: 0.002, 2: 0.02, 3: 0.03}.get)  # busy: one thread is faster

    def short_run(candidates, steps=100):
        return drive(threads.ThreadTuner(candidates, set_counts.append, clock=clock,
                                         schedule=schedule), clock, steps)

    set_counts = []
    first, used = short_run([2, 1])
    # the first run measures (its first steps are not timed)
    assert used.count(2) == threads.WARMUP_STEPS + threads.TRIAL_STEPS and first.count == 1
    # The next runs, before the next round is due, start at the count found and measure nothing
    # while the machine's load (the first candidate) agrees with it.
    for _ in range(2):
        tuner, used = short_run([1, 2])
        assert used == [1] * 100 and not tuner.rounds
    # A load that disagrees (the first candidate 2): measure at once, from the load's count.
    tuner, used = short_run([2, 1])
    assert tuner.rounds and used[0] == 2 and tuner.count == 1
    # Once the round is due, the run measures again; a run with other candidates, another
    # clock or no schedule measures from its start.
    clock.now += 2 * threads.RETUNE_SECONDS
    tuner, used = short_run([1, 2])
    assert tuner.rounds and used.count(2) == 1
    assert short_run([1, 2, 3])[0].rounds
    alone = threads.ThreadTuner([2, 1], set_counts.append, clock=clock)
    clock.tuner = alone
    for _ in range(10):
        alone.step_done()
    assert alone.rounds


def test_the_first_steps_of_a_run_are_not_timed():
    # Two threads are faster, but a run's first steps are slow at any count: timed, they would
    # make the first count (two) look no faster than one thread, and the tuner keep one.
    clock, steps = ScriptedClock(None), []

    def step_seconds(count):
        steps.append(count)
        return (0.004 if len(steps) <= threads.WARMUP_STEPS else 0.002 if count == 2 else 0.003)

    clock.step_seconds = step_seconds
    tuner = threads.ThreadTuner([2, 1], lambda n: None, clock=clock)
    clock.tuner = tuner
    used = []
    for _ in range(40):
        used.append(tuner.count)
        tuner.step_done()
    assert tuner.rounds[0] == {2: pytest.approx(0.002), 1: pytest.approx(0.003)}
    assert tuner.count == 2
    assert used[:threads.WARMUP_STEPS + threads.TRIAL_STEPS] == [2] * 7 and 1 in used


def test_a_first_round_put_off_runs_the_load_count_and_only_a_long_run_measures():
    # Beside a busy process (two threads 10x slower), blas_threads starts at one thread and
    # puts the first round off: a trial of two threads there costs a time slice.
    schedule = {}
    clock = ScriptedClock({1: 0.002, 2: 0.02}.get)

    def run(steps, first_round=threads.RETUNE_SECONDS, candidates=(1, 2)):
        return drive(threads.ThreadTuner(candidates, lambda n: None, clock=clock,
                                         schedule=schedule, first_round=first_round),
                     clock, steps)

    # Short runs one after another, 9 s in all: none measures, nor waits for a shared round.
    for _ in range(10):
        tuner, used = run(450)  # 0.9 s of steps
        assert used == [1] * 450 and not tuner.rounds
    assert clock.now > threads.RETUNE_SECONDS and not schedule
    # A run longer than RETUNE_SECONDS measures once that much of it has gone: one step on two
    # threads, one kept; the next runs with a schedule that agrees (no first_round) wait for it.
    tuner, used = run(3500)  # 7 s
    assert len(tuner.rounds) == 1 and used.count(2) == 1 and tuner.count == 1
    assert used.index(2) * 0.002 == pytest.approx(threads.RETUNE_SECONDS, abs=0.02)
    tuner, used = run(100, first_round=0.0)
    assert not tuner.rounds and used == [1] * 100
    # A first round put off overrides the shared schedule: its round, due in a second, is not
    # measured in a two-second run (without first_round it is).
    for first_round, measured in ((threads.RETUNE_SECONDS, False), (0.0, True)):
        schedule[frozenset((1, 2))]["next_round"] = clock.now + 1
        assert bool(run(1000, first_round=first_round)[0].rounds) is measured


@pytest.mark.parametrize("running, average, first_round", [
    (1, 0.9, threads.RETUNE_SECONDS),  # busy now and over the last second: round put off
    (2, 0.1, 0.0),  # niced work only: all cores, measured at once
])
def test_blas_threads_puts_the_first_round_off_only_when_others_keep_a_core_busy(
        monkeypatch, running, average, first_round):
    fake_load(monkeypatch, running, average)
    made = []
    original = threads.ThreadTuner.__init__

    def init(self, candidates, set_threads, clock=None, schedule=None, first_round=0.0):
        original(self, candidates, set_threads, clock=clock, schedule=schedule,
                 first_round=first_round)
        made.append(first_round)

    monkeypatch.setattr(threads.ThreadTuner, "__init__", init)
    with threadpool_limits(2, user_api="blas"), threads.blas_threads() as tuner:
        assert blas_counts() == [tuner.count] * len(blas_counts())
    assert made == [first_round] and tuner.count == 2 - (first_round > 0)


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("value, error", [
    (0, ValueError), (-2, ValueError), (threads.MAX_THREADS + 1, ValueError),
    (1.5, TypeError), (2.0, TypeError), (True, TypeError), ("2", TypeError), ([2], TypeError)])
def test_bad_n_threads_is_refused_naming_it(value, error):
    X, Y = np.zeros((2, 4)), np.zeros((1, 4))
    nn = ClassifierNN([2, 1], ["sigmoid"], seed=0)
    before = nn.theta.copy()
    with pytest.raises(error, match="n_threads"):
        nn.train(X, Y, num_epochs=1, print_cost=False, n_threads=value)
    np.testing.assert_array_equal(nn.theta, before)


def test_estimator_refuses_bad_n_threads_and_keeps_it_as_given():
    pytest.importorskip("sklearn")
    from scratchnn import NNClassifier

    X, y = np.random.default_rng(0).standard_normal((20, 3)), np.arange(20) % 2
    with pytest.raises(ValueError, match="n_threads"):
        NNClassifier(n_threads=0).fit(X, y)
    with pytest.raises(TypeError, match="n_threads"):
        NNClassifier(n_threads="all").fit(X, y)
    clf = NNClassifier(hidden_layer_sizes=(4,), max_epochs=2, n_threads=1, random_state=0)
    assert clf.get_params()["n_threads"] == 1 and clf.fit(X, y).n_iter_ == 2


def test_command_line_threads_option(tmp_path):
    pytest.importorskip("pandas")
    from cli_run import run

    path = tmp_path / "t.csv"
    rows = np.random.default_rng(0).standard_normal((40, 2))
    path.write_text("a,b,label\n" + "".join(f"{a},{b},{int(a > 0)}\n" for a, b in rows))
    for bad in ("0", "two", "1.5"):
        status, _, err = run(["train", path, "--target", "label", "--out", tmp_path / "m.npz",
                              "--threads", bad])
        assert status == 2 and "--threads" in err, err
    for good in ("1", "auto"):
        status, _, err = run(["train", path, "--target", "label", "--out", tmp_path / "m.npz",
                              "--epochs", 2, "--quiet", "--threads", good])
        assert status == 0, err


# --------------------------------------------------------------------------- scoping
class RecordCounts(Callback):
    """Records the BLAS count at every step; optionally raises at a given step."""

    def __init__(self, raise_at=None, exception=None):
        self.counts, self.raise_at, self.exception = [], raise_at, exception

    def on_batch_end(self, step):
        self.counts.append(max(blas_counts()))
        if len(self.counts) == self.raise_at:
            if self.exception == "sigint":
                signal.raise_signal(signal.SIGINT)  # deferred by the loop to the step's end
            else:
                raise self.exception


def small_problem(dtype=np.float64, m=600, n=64):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, m)).astype(dtype)
    y = (X[0] + X[1] > 0).astype(np.int64).reshape(1, -1)
    return X, y


def train(X, y, dtype=np.float64, **kwargs):
    nn = ClassifierNN([X.shape[0], 96, 48, 1], ["relu", "relu", "sigmoid"], seed=3)
    nn.train(X, y, num_epochs=kwargs.pop("num_epochs", 2), batch_size=200, optimizer="adam",
             learning_rate=1e-3, print_cost=False, **kwargs)
    return nn


@pytest.mark.parametrize("user_limit", [None, 1, 2])
@pytest.mark.parametrize("n_threads", [None, 1, 2])
def test_the_count_is_the_callers_again_after_train(user_limit, n_threads):
    X, y = small_problem()
    with threadpool_limits(user_limit, user_api="blas"):
        before = blas_counts()
        record = RecordCounts()
        train(X, y, callbacks=[record], n_threads=n_threads)
        assert blas_counts() == before
        if n_threads is not None:
            assert set(record.counts) == {n_threads}
        else:  # automatic: never more than the caller allowed
            assert max(record.counts) <= max(before)


@pytest.mark.parametrize("exception", [RuntimeError("callback failed"), KeyboardInterrupt(),
                                       "sigint"])
@pytest.mark.parametrize("n_threads", [None, 1, 2])
def test_the_count_is_restored_after_an_exception_and_ctrl_c(exception, n_threads):
    X, y = small_problem()
    with threadpool_limits(1, user_api="blas"):
        before = blas_counts()
        record = RecordCounts(raise_at=3, exception=exception)
        expected = RuntimeError if isinstance(exception, RuntimeError) else KeyboardInterrupt
        with pytest.raises(expected), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "training interrupted after ..."
            train(X, y, callbacks=[record], n_threads=n_threads)
        assert blas_counts() == before
    assert len(record.counts) == 3


def test_prediction_leaves_the_count_as_it_was():
    X, y = small_problem()
    nn = train(X, y, num_epochs=1, n_threads=1)
    for limit in (1, 2):
        with threadpool_limits(limit, user_api="blas"):
            before = blas_counts()
            nn.predict_proba(X)
            assert blas_counts() == before


def test_runs_in_two_threads_at_once_restore_the_count_when_both_end():
    X, y = small_problem()
    with threadpool_limits(2, user_api="blas"):
        before = blas_counts()
        errors = []

        def work():
            try:
                train(X, y, num_epochs=3)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        workers = [threading.Thread(target=work) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert not errors and blas_counts() == before


def test_inside_a_loky_child_training_uses_one_thread():
    joblib = pytest.importorskip("joblib")
    assert not threads.in_worker_process()
    inside = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(threads.in_worker_process)() for _ in range(2))
    assert inside == [True, True]
    counts = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(threads.automatic_threads)(8) for _ in range(2))
    assert counts == [1, 1]


def test_inside_a_dask_worker_training_uses_one_thread():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        assert client.submit(threads.in_worker_process, pure=False).result() is True
        assert client.submit(threads.automatic_threads, 8, pure=False).result() == 1
    assert not threads.in_worker_process()


# --------------------------------------------------------------------------- the numbers
@pytest.fixture
def two_cpus(monkeypatch):
    """Two CPUs available and none busy, whatever the machine: the tuner chooses among 1 and 2."""

    def available_cpus(root="/", affinity=None):
        return 2

    def _others_running(root="/"):
        return 0

    monkeypatch.setattr(threads, "available_cpus", available_cpus)
    monkeypatch.setattr(threads, "_others_running", _others_running)
    with threadpool_limits(2, user_api="blas"):
        yield


def scripted_tuner(monkeypatch, faster):
    """Make every automatic run's tuner see ``faster(step)`` (1 or 2) as the faster count."""
    tuners = []
    original = threads.ThreadTuner.__init__

    def init(self, candidates, set_threads, clock=None, schedule=None, first_round=0.0):
        original(self, candidates, set_threads, clock=ScriptedClockFor(self, faster),
                 schedule=schedule, first_round=first_round)
        tuners.append(self)

    monkeypatch.setattr(threads.ThreadTuner, "__init__", init)
    return tuners


class ScriptedClockFor:
    """A clock for ``tuner``: a step at the count ``faster(k)`` takes 1 s, any other 10 s."""

    def __init__(self, tuner, faster):
        self.tuner, self.faster, self.k, self.now = tuner, faster, 0, 0.0

    def __call__(self):
        self.k += 1
        self.now += 1.0 if self.tuner.count == self.faster(self.k) else 10.0
        return self.now


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_results_do_not_depend_on_the_count_the_tuner_picks(two_cpus, monkeypatch, dtype):
    X, y = small_problem(dtype, m=2000)
    fixed = {n: train(X, y, n_threads=n).theta for n in (1, 2)}
    # The tuner switches: two threads faster at first, one thread after 30 steps.
    tuners = scripted_tuner(monkeypatch, lambda k: 2 if k < 30 else 1)
    record = RecordCounts()
    tuned = train(X, y, callbacks=[record]).theta
    assert {1, 2} <= set(record.counts) and tuners[0].rounds
    if dtype == np.float64 and openblas_only():
        # OpenBLAS splits float64 products by output blocks: bit for bit at every count.
        np.testing.assert_array_equal(fixed[1], fixed[2])
        np.testing.assert_array_equal(tuned, fixed[1])
    elif dtype == np.float64:
        np.testing.assert_allclose(tuned, fixed[1], rtol=1e-10, atol=1e-12)
    else:
        # float32 products take other kernels at other counts: equal to float32 rounding.
        assert_float32_close(tuned, fixed[1], atol=1e-5)
        assert_float32_close(fixed[2], fixed[1], atol=1e-5)


def test_the_tuner_changes_nothing_a_seed_gives(two_cpus, monkeypatch):
    X, y = small_problem(np.float64, m=1000)
    scripted_tuner(monkeypatch, lambda k: 2)
    first = train(X, y)
    scripted_tuner(monkeypatch, lambda k: 1 if k % 7 else 2)
    second = train(X, y)
    fixed = train(X, y, n_threads=1)
    # The tuner draws nothing from the model's generator ...
    assert first.rng.bit_generator.state == fixed.rng.bit_generator.state
    assert first.costs == pytest.approx(fixed.costs, rel=1e-12)
    # ... and where the BLAS gives the same bits at every count, neither do the numbers.
    if openblas_only():
        np.testing.assert_array_equal(first.theta, second.theta)
        np.testing.assert_array_equal(first.theta, fixed.theta)
    else:
        np.testing.assert_allclose(first.theta, second.theta, rtol=1e-10, atol=1e-12)
