"""The playground's server and sessions, over real HTTP on a free loopback port (no browser)."""

import base64
import http.client
import json
import os
import re
import runpy
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from scratchnn import ClassifierNN, activations, optimizers
from scratchnn.cli import main
from scratchnn.playground import LIMITS, PlaygroundConfig, Session, make_server, server
from scratchnn.playground import settings as settings_module
from scratchnn.playground.script import python_code
from scratchnn.playground.settings import parse_csv
from serving import serving

WAIT = 60.0  # seconds; a generous bound for a busy machine, never a timing assertion
SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
"""This checkout's code, for the commands the tests start (not an installed copy's)."""


@pytest.fixture
def playground():
    # A session without an event stream lives unwatched_seconds past its last request (10 s by
    # default); these tests' steps (a script run, a training) can take longer on a busy machine.
    yield from serving(make_server("127.0.0.1", 0, unwatched_seconds=WAIT))


def call(srv, method, path, body=None, raw=None, headers=None):
    """(status, decoded JSON or raw bytes) of one request, with the token, as the page sends it:
    every POST is JSON (an upload is CSV text); ``headers`` add to or replace these."""
    connection = http.client.HTTPConnection(*srv.server_address[:2], timeout=WAIT)
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    if method == "POST" and data is None:
        data = b"{}"
    sent = {"Authorization": f"token {srv.token}"}
    if method == "POST":
        sent["Content-Type"] = "text/csv" if path.endswith("/upload") else "application/json"
    sent.update(headers or {})
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    if response.getheader("Content-Type", "").startswith("application/json"):
        payload = json.loads(payload)
    return response.status, payload


def new_session(srv, **config):
    status, state = call(srv, "POST", "/api/sessions", config)
    assert status == 201, state
    return state["id"], state


def wait_until(predicate, what):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


def frame_of(srv, session_id):
    status, state = call(srv, "GET", f"/api/sessions/{session_id}")
    assert status == 200
    return state["frame"]


# --------------------------------------------------------------------------- page and options
def test_page_and_its_files_are_served_and_fetch_nothing_from_the_network(playground):
    status, page = call(playground, "GET", "/")
    assert status == 200 and b"<canvas" in page
    for name in ("app.js", "style.css"):
        status, body = call(playground, "GET", f"/static/{name}")
        assert status == 200 and len(body) > 100
        for text in (page, body):
            assert b"https://" not in text and b"http://" not in text
    status, body = call(playground, "GET", "/static/../session.py")
    assert status == 404


def test_options_come_from_the_registries(playground):
    status, opts = call(playground, "GET", "/api/options")
    assert status == 200
    assert opts["optimizers"] == list(optimizers.OPTIMIZERS)
    assert set(opts["activations"]) == set(activations.ACTIVATIONS) - {"softmax"}
    assert opts["limits"]["max_units"] == LIMITS.max_units
    assert opts["defaults"]["dataset"] == "moons"


# --------------------------------------------------------------------------- a session
def test_new_session_state_has_the_split_data_and_an_untrained_frame(playground):
    session_id, state = new_session(playground, n_points=200, test_fraction=0.25)
    assert len(state["train"]["X"]) == 150 and len(state["test"]["X"]) == 50
    assert state["layer_dims"] == [2, 8, 8, 1]
    frame = state["frame"]
    assert frame["epoch"] == 0 and frame["status"] == "ready"
    classes = base64.b64decode(frame["boundary"]["classes"])
    assert len(classes) == LIMITS.boundary_grid ** 2 and set(classes) <= {0, 1}
    confidence = np.frombuffer(base64.b64decode(frame["boundary"]["confidence"]), np.uint8)
    assert confidence.size == LIMITS.boundary_grid ** 2 and confidence.min() >= 127
    units = [base64.b64decode(layer) for layer in frame["units"]["layers"]]
    assert [len(layer) for layer in units] == [8 * LIMITS.unit_grid ** 2] * 2
    assert max(units[0]) <= 254
    status, code = call(playground, "GET", f"/api/sessions/{session_id}/code")
    assert status == 200 and b"Not trained yet" in code


def test_step_trains_exactly_one_epoch_at_a_time(playground):
    session_id, _ = new_session(playground)
    for expected in (1, 2):
        status, reply = call(playground, "POST", f"/api/sessions/{session_id}/step")
        assert status == 200
        wait_until(lambda e=expected: frame_of(playground, session_id)["epoch"] == e,
                   f"epoch {expected}")
        frame = frame_of(playground, session_id)
        assert frame["status"] == "paused"
        assert frame["history"]["epoch"] == list(range(1, expected + 1))


def test_play_learns_moons_and_the_pictures_change(playground):
    session_id, state = new_session(playground)
    before = state["frame"]
    assert call(playground, "POST", f"/api/sessions/{session_id}/play")[0] == 200
    wait_until(lambda: frame_of(playground, session_id)["metrics"]["test_accuracy"] >= 0.95,
               "test accuracy 0.95")
    call(playground, "POST", f"/api/sessions/{session_id}/pause")
    after = frame_of(playground, session_id)
    assert after["boundary"]["confidence"] != before["boundary"]["confidence"]
    assert after["units"]["layers"] != before["units"]["layers"]
    assert after["history"]["test_loss"][-1] < before["metrics"]["test_loss"]


def test_events_stream_frames(playground):
    session_id, _ = new_session(playground)
    connection = http.client.HTTPConnection(*playground.server_address[:2], timeout=WAIT)
    connection.request("GET", f"/api/sessions/{session_id}/events?token={playground.token}")
    response = connection.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream"
    first = json.loads(response.readline().decode()[len("data: "):])
    assert response.readline() == b"\n"
    call(playground, "POST", f"/api/sessions/{session_id}/step")
    line = response.readline()
    while not line.startswith(b"data: "):
        line = response.readline()
    second = json.loads(line.decode()[len("data: "):])
    connection.close()
    assert second["version"] > first["version"] and second["epoch"] == 1


def _train_then_pause(srv, session_id, epochs):
    for _ in range(epochs):
        call(srv, "POST", f"/api/sessions/{session_id}/step")
    wait_until(lambda: frame_of(srv, session_id)["epoch"] == epochs, f"epoch {epochs}")


@pytest.mark.parametrize("config", [
    {},
    {"dataset": "blobs", "classes": 4, "optimizer": "momentum", "batch_norm": True,
     "keep_prob": 0.8, "l2": 0.01, "initialization": "xavier", "seed": 7},
    {"dataset": "spiral", "classes": 3, "optimizer": "rmsprop", "batch_size": 1000,
     "hidden": [{"units": 5, "activation": "relu"}]},
    {"dataset": "xor", "hidden": [], "optimizer": "gd"},
    {"dataset": "circles", "noise": 0.2, "test_fraction": 0.5},
    {"features": ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"], "l1": 0.01,
     "l2": 0.001, "discretize": True, "show_test": False},
    {"dataset": "spiral", "classes": 3, "features": ["sin_x1", "x1_x2"], "l1": 0.05},
])
def test_python_code_reproduces_the_session_bit_for_bit(playground, tmp_path, config):
    session_id, _ = new_session(playground, n_points=200, **config)
    call(playground, "POST", f"/api/sessions/{session_id}/play")
    wait_until(lambda: frame_of(playground, session_id)["epoch"] >= 3, "three epochs")
    call(playground, "POST", f"/api/sessions/{session_id}/pause")
    wait_until(lambda: frame_of(playground, session_id)["status"] == "paused", "the pause")
    epochs = frame_of(playground, session_id)["epoch"]
    call(playground, "POST", f"/api/sessions/{session_id}/step")  # one more, from the pause
    wait_until(lambda: frame_of(playground, session_id)["epoch"] == epochs + 1, "the step")
    wait_until(lambda: frame_of(playground, session_id)["status"] == "paused", "the pause")
    status, code = call(playground, "GET", f"/api/sessions/{session_id}/code")
    assert status == 200
    script = tmp_path / "session.py"
    script.write_bytes(code)
    namespace = runpy.run_path(str(script))
    model = playground.sessions[session_id].model
    epochs = frame_of(playground, session_id)["epoch"]
    assert f"num_epochs={epochs}" in code.decode()
    assert np.array_equal(namespace["model"].theta, model.theta)
    settings = playground.sessions[session_id].config
    assert f"l1={settings.l1!r}" in code.decode()  # every training setting reaches the script
    assert namespace["X_train"].shape[1] == len(settings.features)


def _finish(srv, session_id, epochs):
    call(srv, "POST", f"/api/sessions/{session_id}/play")
    wait_until(lambda: frame_of(srv, session_id)["status"] == "finished", "the last epoch")
    assert frame_of(srv, session_id)["epoch"] == epochs


def test_raising_epochs_keeps_training_from_the_current_epoch(playground, tmp_path):
    settings = {"n_points": 100, "batch_size": 16, "optimizer": "adam", "keep_prob": 0.9}
    session_id, _ = new_session(playground, epochs=6, **settings)
    _finish(playground, session_id, 6)
    status, state = call(playground, "POST", f"/api/sessions/{session_id}/config",
                         {"epochs": 11})
    assert status == 200 and state["frame"]["epoch"] == 6  # not back to 0
    assert state["frame"]["status"] != "finished" and state["config"]["epochs"] == 11
    _finish(playground, session_id, 11)
    history = frame_of(playground, session_id)["history"]["epoch"]
    assert history == sorted(set(history)) and history[-1] == 11  # one run, no restart
    # Six epochs then five more train exactly as eleven in one go, and the script says so.
    straight = Session(PlaygroundConfig(epochs=11, **settings))
    straight.play()
    wait_until(lambda: straight.status == "finished", "the straight run")
    session = playground.sessions[session_id]
    np.testing.assert_array_equal(session.model.theta, straight.model.theta)
    status, code = call(playground, "GET", f"/api/sessions/{session_id}/code")
    assert "num_epochs=11" in code.decode()
    script = tmp_path / "kept.py"
    script.write_bytes(code)
    np.testing.assert_array_equal(runpy.run_path(str(script))["model"].theta, session.model.theta)


@pytest.mark.parametrize(("first", "change"), [
    ({"epochs": 6}, {"epochs": 4}),  # fewer epochs than trained: cannot untrain
    ({"epochs": 6}, {"epochs": 9, "learning_rate": 0.1}),  # another setting changed too
    ({"epochs": 6, "schedule": "cosine"}, {"epochs": 9}),  # the rates depend on the length
])
def test_other_changes_start_training_again(playground, first, change):
    session_id, _ = new_session(playground, n_points=60, **first)
    _finish(playground, session_id, first["epochs"])
    status, state = call(playground, "POST", f"/api/sessions/{session_id}/config", change)
    assert status == 200 and state["frame"]["epoch"] == 0 and state["frame"]["status"] == "ready"

@pytest.mark.parametrize("optimizer", list(optimizers.OPTIMIZERS))
def test_python_code_reproduces_each_optimizer(tmp_path, optimizer):
    # A full-batch optimizer (L-BFGS) takes no dropout; the others train with it.
    full_batch = getattr(optimizers.OPTIMIZERS[optimizer], "full_batch", False)
    session = Session(PlaygroundConfig(n_points=60, optimizer=optimizer, learning_rate=0.05,
                                       keep_prob=1.0 if full_batch else 0.9, batch_size=16))
    session.step()
    session.step()
    wait_until(lambda: session.epoch == 2 and session.status == "paused", "two epochs")
    script = tmp_path / "session.py"
    script.write_text(session.python_code())
    np.testing.assert_array_equal(runpy.run_path(str(script))["model"].theta,
                                  session.model.theta)
    session.close()


def test_python_code_of_an_uploaded_csv_runs_as_a_script(playground, tmp_path):
    session_id, _ = new_session(playground)
    X, y = np.random.default_rng(1).normal(size=(60, 2)), np.arange(60) % 3 * 5
    text = "x1,x2,label\n" + "\n".join(f"{a!r},{b!r},{c}" for (a, b), c in zip(X.tolist(), y))
    status, state = call(playground, "POST", f"/api/sessions/{session_id}/upload",
                         raw=text.encode())
    assert status == 200, state
    assert state["config"]["dataset"] == "csv" and state["n_classes"] == 3
    _train_then_pause(playground, session_id, 2)
    script = tmp_path / "csv_session.py"
    script.write_bytes(call(playground, "GET", f"/api/sessions/{session_id}/code")[1])
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=WAIT)
    assert result.returncode == 0, result.stderr
    model = playground.sessions[session_id].model
    accuracy = model.accuracy(playground.sessions[session_id].X_test.T,
                              playground.sessions[session_id].y_test)
    assert f"test accuracy {accuracy:.4f}" in result.stdout
    # Changing another setting keeps the uploaded points.
    status, state = call(playground, "POST", f"/api/sessions/{session_id}/config",
                         {"learning_rate": 0.1})
    assert status == 200 and state["config"]["dataset"] == "csv"
    assert len(state["train"]["X"]) + len(state["test"]["X"]) == 60


def test_model_file_predicts_like_the_session(playground, tmp_path):
    session_id, _ = new_session(playground)
    _train_then_pause(playground, session_id, 3)
    status, body = call(playground, "GET", f"/api/sessions/{session_id}/model")
    assert status == 200 and body[:2] == b"PK"
    path = tmp_path / "model.npz"
    path.write_bytes(body)
    session = playground.sessions[session_id]
    X = session.X_test.T
    np.testing.assert_array_equal(ClassifierNN.load(path).predict_proba(X),
                                  session.model.predict_proba(X))


def test_model_file_while_training_runs(playground):
    session_id, _ = new_session(playground, epochs=LIMITS.max_epochs)
    call(playground, "POST", f"/api/sessions/{session_id}/play")
    wait_until(lambda: frame_of(playground, session_id)["epoch"] >= 1, "training")
    status, body = call(playground, "GET", f"/api/sessions/{session_id}/model")
    assert status == 200 and body[:2] == b"PK"


def test_reset_restarts_from_the_seeded_network(playground):
    session_id, _ = new_session(playground)
    initial = playground.sessions[session_id].model.theta.copy()
    _train_then_pause(playground, session_id, 2)
    status, state = call(playground, "POST", f"/api/sessions/{session_id}/reset")
    assert status == 200 and state["frame"]["epoch"] == 0 and state["frame"]["status"] == "ready"
    np.testing.assert_array_equal(playground.sessions[session_id].model.theta, initial)


def test_config_changes_the_network(playground):
    session_id, _ = new_session(playground)
    hidden = [{"units": 3, "activation": "relu"}] * 3
    status, state = call(playground, "POST", f"/api/sessions/{session_id}/config",
                         {"hidden": hidden, "dataset": "spiral", "classes": 5})
    assert status == 200
    assert state["layer_dims"] == [2, 3, 3, 3, 5]
    assert state["activations"] == ["relu", "relu", "relu", "softmax"]
    assert state["loss"] == "SparseCategoricalCrossEntropy"


def test_training_stops_at_the_epochs_setting(playground):
    session_id, _ = new_session(playground, epochs=3)
    call(playground, "POST", f"/api/sessions/{session_id}/play")
    wait_until(lambda: frame_of(playground, session_id)["status"] == "finished", "finished")
    assert frame_of(playground, session_id)["epoch"] == 3
    status, reply = call(playground, "POST", f"/api/sessions/{session_id}/play")
    assert status == 400 and "finished after 3 epochs" in reply["error"]


def test_a_diverging_run_reports_the_error(playground):
    session_id, _ = new_session(playground, optimizer="gd", learning_rate=10.0, epochs=200,
                                hidden=[{"units": 16, "activation": "linear"}] * 6,
                                initialization="random", batch_size=1000)
    call(playground, "POST", f"/api/sessions/{session_id}/play")
    wait_until(lambda: frame_of(playground, session_id)["status"] == "error", "divergence")
    frame = frame_of(playground, session_id)
    assert "diverged" in frame["error"]
    status, reply = call(playground, "POST", f"/api/sessions/{session_id}/step")
    assert status == 400 and "Reset" in reply["error"]


def test_delete_ends_the_session(playground):
    session_id, _ = new_session(playground)
    call(playground, "POST", f"/api/sessions/{session_id}/play")
    assert call(playground, "DELETE", f"/api/sessions/{session_id}")[0] == 200
    status, reply = call(playground, "GET", f"/api/sessions/{session_id}")
    assert status == 404 and "no session" in reply["error"]
    assert call(playground, "DELETE", f"/api/sessions/{session_id}")[0] == 404
    assert call(playground, "DELETE", f"/api/sessions/{session_id}/play")[0] == 404



def test_deleting_a_session_stops_its_training_thread(playground):
    session_id, _ = new_session(playground, epochs=LIMITS.max_epochs)
    session = playground.sessions[session_id]
    call(playground, "POST", f"/api/sessions/{session_id}/play")
    wait_until(lambda: session.epoch >= 2, "two epochs")
    assert session.training
    assert call(playground, "DELETE", f"/api/sessions/{session_id}")[0] == 200
    assert not session.training  # ended before the reply, not left to run its 10,000 epochs
    assert session.epoch < LIMITS.max_epochs


def _watch(srv, session_id):
    """An open event stream of the session, its first frame read (the page listening)."""
    connection = http.client.HTTPConnection(*srv.server_address[:2], timeout=WAIT)
    connection.request("GET", f"/api/sessions/{session_id}/events?token={srv.token}")
    response = connection.getresponse()
    assert response.readline().startswith(b"data: ")
    return connection


@pytest.fixture
def srv():
    """A server whose grace for unwatched sessions the test sets itself."""
    yield from serving(make_server("127.0.0.1", 0, unwatched_seconds=WAIT))


def test_a_session_ends_with_its_pages_event_stream(srv):
    """A tab that ends without saying so (a killed browser) closes its event stream: its
    session ends, and its training thread with it."""
    session_id, _ = new_session(srv, epochs=LIMITS.max_epochs)
    session = srv.sessions[session_id]
    stream = _watch(srv, session_id)
    call(srv, "POST", f"/api/sessions/{session_id}/play")
    wait_until(lambda: session.watchers == 1 and session.epoch >= 1, "a watched epoch")
    srv.unwatched_seconds = 0.0  # no grace once the page is gone
    srv.service_actions()  # what the server does between requests
    assert srv.sessions.get(session_id) is session  # watched: it lives
    stream.close()
    wait_until(lambda: session_id not in srv.sessions, "the session to end")
    wait_until(lambda: not session.training, "its training thread to end")
    status, reply = call(srv, "GET", f"/api/sessions/{session_id}")
    assert status == 404 and "reload the page" in reply["error"]


def test_dead_tabs_never_fill_the_server(srv):
    sessions = [srv.sessions[new_session(srv, n_points=20)[0]]
                for _ in range(LIMITS.max_sessions)]
    for session_id in list(srv.sessions):
        _watch(srv, session_id).close()
    wait_until(lambda: all(s.watchers == 0 for s in sessions), "the streams to close")
    srv.unwatched_seconds = 0.0  # the grace over
    assert call(srv, "POST", "/api/sessions", {"n_points": 20})[0] == 201  # not 503
    assert not any(s in srv.sessions.values() for s in sessions)


# --------------------------------------------------------------------------- bounds and errors
@pytest.mark.parametrize(("config", "message"), [
    ({"n_points": 10}, "n_points"),
    ({"n_points": LIMITS.max_points + 1}, f"at most {LIMITS.max_points}"),
    ({"hidden": [{"units": 2, "activation": "relu"}] * (LIMITS.max_hidden_layers + 1)},
     f"at most {LIMITS.max_hidden_layers} layers"),
    ({"hidden": [{"units": LIMITS.max_units + 1, "activation": "relu"}]}, "hidden[0].units"),
    ({"hidden": [{"units": 2, "activation": "softmax"}]}, "hidden[0].activation"),
    ({"hidden": [{"units": 2}]}, "hidden[0]"),
    ({"hidden": "big"}, "hidden must be a list"),
    ({"optimizer": "sgd-ish"}, "optimizer must be one of"),
    ({"optimizer": 3}, "optimizer must be a string"),
    ({"learning_rate": 0}, "learning_rate"),
    ({"learning_rate": "fast"}, "learning_rate"),
    ({"classes": LIMITS.max_classes + 1}, "classes"),
    ({"seed": -1}, "seed"),
    ({"epochs": LIMITS.max_epochs + 1}, "epochs"),
    ({"batch_norm": "yes"}, "batch_norm"),
    ({"keep_prob": 0.0}, "keep_prob"),
    ({"dataset": "mnist"}, "dataset must be one of"),
    ({"dataset": "csv"}, "upload"),
    ({"schedule": "cosine-ish"}, "schedule"),
    ({"colour": "red"}, "unknown setting 'colour'"),
    ({"l1": -0.1}, "l1"),
    ({"l1": 2}, "l1"),
    ({"features": []}, "features must be one or more"),
    ({"features": ["x1", "x1"]}, "features must be one or more"),
    ({"features": ["x3"]}, "features must be one or more"),
    ({"features": "x1"}, "features must be a list"),
    ({"discretize": "yes"}, "discretize"),
    ({"show_test": 1}, "show_test"),
])
def test_bad_settings_get_a_clear_400(playground, config, message):
    status, reply = call(playground, "POST", "/api/sessions", config)
    assert status == 400 and message in reply["error"], reply
    session_id, _ = new_session(playground)
    status, reply = call(playground, "POST", f"/api/sessions/{session_id}/config", config)
    assert status == 400 and message in reply["error"], reply


def test_bad_requests(playground):
    status, reply = call(playground, "POST", "/api/sessions", raw=b"{not json")
    assert status == 400 and "not JSON" in reply["error"]
    status, reply = call(playground, "POST", "/api/sessions", raw=b"[1, 2]")
    assert status == 400 and "JSON object" in reply["error"]
    status, reply = call(playground, "POST", "/api/sessions",
                         raw=b"x" * (server.MAX_BODY + 1))
    assert status == 413 and "at most" in reply["error"]
    status, reply = call(playground, "POST", "/api/sessions", raw=b"{}",
                         headers={"Content-Length": "many"})
    assert status == 400 and "Content-Length" in reply["error"]
    assert call(playground, "GET", "/api/sessions/nope")[0] == 404
    assert call(playground, "GET", "/nowhere")[0] == 404
    session_id, _ = new_session(playground)
    assert call(playground, "GET", f"/api/sessions/{session_id}/nothing")[0] == 404
    assert call(playground, "POST", f"/api/sessions/{session_id}/fly")[0] == 404
    status, reply = call(playground, "POST", f"/api/sessions/{session_id}/upload",
                         raw=b"\xff\xfe")
    assert status == 400 and "UTF-8" in reply["error"]
    # A POST without any Content-Length is an empty body: the default settings.
    connection = http.client.HTTPConnection(*playground.server_address[:2], timeout=WAIT)
    connection.putrequest("POST", "/api/sessions")
    connection.putheader("Authorization", f"token {playground.token}")
    connection.putheader("Content-Type", "application/json")
    connection.endheaders()
    assert connection.getresponse().status == 201
    connection.close()


def test_the_number_of_sessions_is_bounded(playground):
    ids = [new_session(playground, n_points=20)[0] for _ in range(LIMITS.max_sessions)]
    status, reply = call(playground, "POST", "/api/sessions", {"n_points": 20})
    assert status == 503 and f"limit is {LIMITS.max_sessions}" in reply["error"]
    # A session no page watches and no request uses gives its place up.
    playground.sessions[ids[0]].touched -= playground.unwatched_seconds + 1
    assert call(playground, "POST", "/api/sessions", {"n_points": 20})[0] == 201
    assert ids[0] not in playground.sessions


def test_a_session_that_fails_to_build_gives_its_place_back(playground, monkeypatch):
    def broken(config):
        raise ValueError("cannot build")

    monkeypatch.setattr(server, "Session", broken)
    status, reply = call(playground, "POST", "/api/sessions", {})
    assert status == 400 and reply["error"] == "cannot build"
    assert playground.sessions == {}


# --------------------------------------------------------------------------- CSV
@pytest.mark.parametrize(("text", "message"), [
    ("1,2,0\n" * 5, "between 20"),
    ("1,2\n" * 30, "row 1 must have 3 columns"),
    ("1,2,0\n" * 20 + "a,b,1\n", "row 21 must hold numbers"),
    ("1,2,0.5\n" * 30, "integer label"),
    ("1,inf,1\n" * 30, "finite"),
    ("1,2,0\n" * 30, "between 2 and"),
    ("".join(f"1,2,{k % 6}\n" for k in range(30)), "between 2 and"),
    ("1,2,0\n" * 40000, "larger than"),
])
def test_parse_csv_refuses_bad_files(text, message):
    with pytest.raises(ValueError, match=message):
        parse_csv(text)


def test_uploaded_labels_are_numbered_in_sorted_order_not_first_seen(playground):
    rows = "".join(f"{k},{k % 7},{[9, 2, 5][k % 3]}\n" for k in range(30))  # 9 first, 2 least
    X, y, labels = parse_csv(rows)
    assert labels == [2, 5, 9]
    np.testing.assert_array_equal(y, [[2, 0, 1][k % 3] for k in range(30)])
    session_id, _ = new_session(playground, n_points=30)
    status, state = call(playground, "POST", f"/api/sessions/{session_id}/upload", raw=rows.encode())
    assert status == 200
    for part in ("train", "test"):  # each point keeps its class: x1 = k says which label it had
        for (x1, _), label in zip(state[part]["X"], state[part]["y"]):
            assert label == [2, 0, 1][int(round(x1)) % 3]


def test_changing_only_the_picture_keeps_the_training(playground):
    session_id, _ = new_session(playground, n_points=60, epochs=5)
    _finish(playground, session_id, 5)
    status, state = call(playground, "POST", f"/api/sessions/{session_id}/config",
                         {"discretize": True, "show_test": False})
    assert status == 200 and state["frame"]["epoch"] == 5 and state["frame"]["status"] == "finished"
    assert state["config"]["discretize"] is True and state["config"]["show_test"] is False


def test_parse_csv_maps_labels_and_skips_a_header():
    rows = "".join(f"{k},{-k},{[3, 7][k % 2]}\n" for k in range(20))
    X, y, labels = parse_csv("a,b,label\n" + rows)
    assert X.shape == (20, 2) and labels == [3, 7]
    np.testing.assert_array_equal(y, np.arange(20) % 2)
    with pytest.raises(TypeError, match="text"):
        parse_csv(b"1,2,3")


# --------------------------------------------------------------------------- without HTTP
def test_config_rejects_a_non_object():
    with pytest.raises(TypeError, match="JSON object"):
        PlaygroundConfig.from_json([])


def test_batch_size_is_capped_at_the_training_points():
    session = Session(PlaygroundConfig(n_points=40, batch_size=2000))
    assert session.config.batch_size == 28


def test_code_of_an_untrained_session_builds_the_initial_network(tmp_path):
    session = Session(PlaygroundConfig(n_points=40, seed=3))
    code = python_code(session.config, session.plan, 0)
    assert "Not trained yet" in code
    script = tmp_path / "untrained.py"
    script.write_text(code)
    np.testing.assert_array_equal(runpy.run_path(str(script))["model"].theta,
                                  session.model.theta)


def test_schedules_appear_when_the_training_loop_offers_them(monkeypatch, tmp_path):
    import types

    fake = types.ModuleType("scratchnn.schedules")
    fake.SCHEDULES = {"step": object(), "cosine": object()}

    def get(identifier, num_epochs):  # as scratchnn.schedules.get: only 'cosine' by name alone
        if identifier != "cosine":
            raise ValueError(f"{identifier} needs arguments")
        return identifier

    fake.get = get
    monkeypatch.setitem(sys.modules, "scratchnn.schedules", fake)
    monkeypatch.setattr(settings_module, "train_parameters", lambda: {"lr_schedule": None})
    assert settings_module.schedule_names() == ["cosine"]
    config = PlaygroundConfig.from_json({"schedule": "cosine", "epochs": 50})
    plan = settings_module.make_plan(config, 2)
    assert plan.train_kwargs["lr_schedule"] == "cosine"
    # The rates depend on the run's length: the script trains for 50 epochs, stopping at 7.
    code = python_code(config, plan, 7)
    assert "num_epochs=50" in code and "callback=lambda epoch, cost: epoch >= 7" in code
    assert "num_epochs=50" in python_code(config, plan, 50)
    assert "callback=" not in python_code(config, plan, 50)
    with pytest.raises(ValueError, match="schedule must be one of"):
        PlaygroundConfig.from_json({"schedule": "step"})
    monkeypatch.setattr(settings_module, "train_parameters", lambda: {})
    assert settings_module.schedule_names() == []


def test_diagnostics_callback_is_used_when_it_exists(monkeypatch):
    from scratchnn import callbacks
    from scratchnn.playground import session as session_module

    class Diagnostics(callbacks.Callback):
        """The surface of the learners' Diagnostics: history, last(name), problems()."""

        def on_train_begin(self, model):
            self.layer_names = [f"layer {l}" for l in range(1, len(model.activations) + 1)]
            self.history = {"grad_norm": [], "dead_fraction": []}

        def on_epoch_end(self, epoch, logs):
            self.history["grad_norm"].append(np.array([0.5, np.float64(epoch), 2.0]))
            self.history["dead_fraction"].append(np.array([0.75, np.nan, np.nan]))
            logs["val_loss"] = np.float64(np.inf)  # another callback's history value
            logs["layer"] = slice(1)

        @property
        def n_epochs(self):
            return len(self.history["grad_norm"])

        def last(self, name):
            return self.history[name][-1]

        def problems(self):
            return ["layer 1: 6 of 8 units ended the training dead"]

    monkeypatch.setattr(callbacks, "Diagnostics", Diagnostics, raising=False)
    for module in (settings_module, session_module):
        monkeypatch.setattr(module, "train_parameters",
                            lambda: {"callbacks": None, "callback": None})
    assert settings_module.options()["diagnostics"] is True
    session = Session(PlaygroundConfig(n_points=40))
    assert session.frame["diagnostics"] is None
    original = ClassifierNN.train

    def train_with_callbacks(self, X, Y, callbacks=(), **kwargs):
        # What a train(..., callbacks=[...]) does: the loop calls each callback in turn.
        for callback in callbacks:
            callback.on_train_begin(self)

        def each_epoch(epoch, cost):
            logs = {"loss": cost}
            return any([c.on_epoch_end(epoch, logs) for c in callbacks])

        return original(self, X, Y, callback=each_epoch, **kwargs)

    monkeypatch.setattr(ClassifierNN, "train", train_with_callbacks)
    session.step()
    wait_until(lambda: session.epoch == 1 and session.status == "paused", "one epoch")
    wait_until(lambda: session.frame["epoch"] == 1, "its frame")
    assert session.frame["diagnostics"] == {
        "epoch": 1, "layers": ["layer 1", "layer 2", "layer 3"],
        "values": {"grad_norm": [0.5, 1.0, 2.0], "dead_fraction": [0.75, None, None]},
        "problems": ["layer 1: 6 of 8 units ended the training dead"]}
    assert session.frame["logs"] == {"val_loss": None, "layer": "slice(None, 1, None)"}
    json.dumps(session.frame, allow_nan=False)  # what the page parses
    session.close()


def test_settings_the_training_loop_refuses_are_reported(monkeypatch):
    def refuse(self, X, Y, **kwargs):
        raise ValueError("optimizer='lbfgs' cannot be combined with keep_prob")

    monkeypatch.setattr(ClassifierNN, "train", refuse)
    session = Session(PlaygroundConfig(n_points=40))
    session.play()
    wait_until(lambda: session.frame["status"] == "error", "the error's frame")
    assert "cannot be combined" in session.frame["error"]


def test_tasks_run_between_epochs_and_hand_back_their_errors():
    session = Session(PlaygroundConfig(n_points=40))
    session.step()
    wait_until(lambda: session.status == "paused", "the pause")
    assert session.at_epoch_boundary(lambda: session.epoch) == 1
    with pytest.raises(ZeroDivisionError):
        session.at_epoch_boundary(lambda: 1 / 0)
    session.close()


def test_long_histories_are_thinned_to_the_curve_limit(monkeypatch):
    from scratchnn.playground import streaming
    from scratchnn.playground.session import MAX_CURVE_POINTS

    # A frame and the metrics after every epoch: no minimum interval, and no cap on the time
    # spent on them.
    monkeypatch.setattr(streaming, "FRAME_INTERVAL", 0.0)
    monkeypatch.setattr(streaming, "FRAME_DUTY", 1.0)
    monkeypatch.setattr(streaming, "METRICS_DUTY", 1.0)
    epochs = 2 * MAX_CURVE_POINTS + 3
    session = Session(PlaygroundConfig(n_points=20, epochs=epochs, batch_size=100,
                                       hidden=[{"units": 2, "activation": "relu"}]))
    session.play()
    wait_until(lambda: session.status == "finished", "the last epoch")
    history = session.frame["history"]
    assert len(session.history["epoch"]) == epochs
    assert len(history["epoch"]) <= MAX_CURVE_POINTS + 1
    assert history["epoch"][0] == 1 and history["epoch"][-1] == epochs
    session._record(epochs, 0.0)  # an epoch already recorded is not recorded twice
    assert len(session.history["epoch"]) == epochs


def _diagnostics_of_a_plain_run(config, epochs):
    """The Diagnostics row of epoch ``epochs`` of the same run with no session, as in a frame."""
    from scratchnn.callbacks import Diagnostics

    session = Session(config)  # the same data and freshly seeded network
    diagnostics = Diagnostics()
    session.model.train(session.X_train.T, session.y_train.reshape(1, -1), num_epochs=epochs,
                        print_cost=False, callbacks=[diagnostics], **session.plan.train_kwargs)
    return {"epoch": epochs, "layers": diagnostics.layer_names,
            "values": {name: [None if np.isnan(v) else float(v) for v in diagnostics.last(name)]
                       for name in diagnostics.history},
            "problems": diagnostics.problems()}


def test_frames_show_the_diagnostics_of_their_own_epoch():
    # The diagnostics record only epochs that end in a frame; what a frame shows is still
    # exactly what a Diagnostics watching every step of the run records for that epoch.
    config = PlaygroundConfig(n_points=200, epochs=5000, seed=3,
                              hidden=[{"units": 6, "activation": "relu"}] * 2)
    session = Session(config)
    session.play()
    wait_until(lambda: session.epoch >= 30, "30 epochs")
    session.pause()  # arrives in the middle of an epoch, recorded or not
    wait_until(lambda: session.status == "paused", "the pause")
    epochs = session.epoch
    assert session.frame["epoch"] == epochs
    assert session.frame["diagnostics"] == _diagnostics_of_a_plain_run(config, epochs)
    session.step()
    wait_until(lambda: session.epoch == epochs + 1 and session.status == "paused", "the step")
    assert session.frame["diagnostics"] == _diagnostics_of_a_plain_run(config, epochs + 1)
    session.close()


def test_time_spent_on_frames_is_capped(monkeypatch):
    from scratchnn.playground import streaming

    # Caps so low that no frame may follow another while training runs: only the first epoch
    # and the last (and any pause) get one; the diagnostics record just those.
    for name in ("FRAME_DUTY", "METRICS_DUTY", "DIAGNOSTICS_DUTY"):
        monkeypatch.setattr(streaming, name, 1e-9)
    config = PlaygroundConfig(n_points=100, epochs=40)
    session = Session(config)
    session.play()
    wait_until(lambda: session.status == "finished", "the last epoch")
    assert session.history["epoch"] == [1, 40]
    assert session.frame["diagnostics"] == _diagnostics_of_a_plain_run(config, 40)
    cost = session.cost
    assert cost.frames == 2
    assert cost.frame_seconds > 0 and cost.diagnostics_seconds > 0
    assert cost.train_seconds > cost.frame_seconds + cost.diagnostics_seconds
    # The thread's own CPU time and its waits for a core: parts of the wall time (to the
    # clocks' resolution), never more.
    assert cost.cpu_seconds > 0 and cost.core_wait_seconds >= 0
    assert cost.cpu_seconds + cost.core_wait_seconds <= cost.train_seconds + 1e-6
    assert cost.seconds_per_frame == (cost.frame_seconds + cost.diagnostics_seconds) / 2


def test_frames_survive_parameters_too_large_to_evaluate():
    session = Session(PlaygroundConfig(n_points=40,
                                       hidden=[{"units": 4, "activation": "linear"}] * 2))
    before = session.frame
    theta = np.full(session.model.n_parameters, 1e308)
    theta[::2] = -1e308  # the products overflow to inf - inf = NaN
    session.model.theta = theta
    session._record(1, 0.5)
    frame = session._make_frame()
    assert frame["boundary"] == before["boundary"] and frame["metrics"] == before["metrics"]
    assert session.history["epoch"] == []


# --------------------------------------------------------------------------- command line
def test_streaming_benchmark_reports():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.path.join(root, "src")]))
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.playground", "--seconds", "0.05", "--repeats", "1",
         "--sizes", "2x8"], cwd=root, env=env, capture_output=True, text=True, timeout=WAIT)
    assert result.returncode == 0, result.stderr
    assert "| network | epochs timed | frames/s at the page |" in result.stdout
    assert re.search(r"^\| 2x8 \| \d+ \| [\d.]+ \|", result.stdout, re.MULTILINE), result.stdout
    assert "load average" in result.stdout
    assert "| lost to drawing, in one run (wall / CPU) |" in result.stdout


def test_the_in_run_comparison_leaves_out_each_phase_s_first_epoch_and_restores_the_methods():
    from benchmarks.playground import SwitchedStreaming
    from scratchnn.playground import streaming
    from scratchnn.playground.session import Session

    due, epoch_end = streaming.Rate.due, Session.epoch_end
    with SwitchedStreaming(phase=0.3) as switch:
        assert streaming.Rate.due is not due and Session.epoch_end is not epoch_end
        switch.on = False
        assert not streaming.Rate.due(streaming.Rate(duty=0.5), when=1e9)
        switch.on = True
        assert streaming.Rate.due(streaming.Rate(duty=0.5), when=1e9)
    assert streaming.Rate.due is due and Session.epoch_end is epoch_end
    # (wall, cpu, on): epochs on take 3 s of wall and 2 of CPU, off 2 and 1; the first epoch
    # of each phase (after a switch) is 100 s and must be left out
    ends, wall, cpu = [], 0.0, 0.0
    for on in [True] * 4 + [False] * 4 + [True] * 3:
        first = bool(ends) and ends[-1][2] != on
        wall += 100.0 if first else (3.0 if on else 2.0)
        cpu += 100.0 if first else (2.0 if on else 1.0)
        ends.append((wall, cpu, on))
    switch.ends = ends
    assert switch.lost() == pytest.approx((3.0 / 2.0 - 1.0, 2.0 / 1.0 - 1.0))
    switch.ends = ends[:4]  # never off: nothing to compare
    assert all(np.isnan(switch.lost()))



def test_cli_refuses_a_bad_port(capsys):
    assert main(["playground", "--port", "70000", "--no-browser"]) == 1
    assert "--port" in capsys.readouterr().err


def test_cli_hands_its_options_to_serve(monkeypatch):
    import scratchnn.playground

    calls = []
    monkeypatch.setattr(scratchnn.playground, "serve",
                        lambda *args, **kwargs: calls.append((args, kwargs)) or 0)
    assert main(["playground", "--port", "8765", "--host", "0.0.0.0", "--no-browser"]) == 0
    assert main(["playground"]) == 0
    assert calls == [(("0.0.0.0", 8765), {"open_browser": False}),
                     (("127.0.0.1", 0), {"open_browser": True})]


def test_serve_prints_the_url_opens_the_browser_and_stops_on_ctrl_c(monkeypatch, capsys):
    import io
    import webbrowser

    opened = []
    monkeypatch.setattr(webbrowser, "open", opened.append)

    class Interrupted(server.PlaygroundServer):
        def serve_forever(self, poll_interval=0.5):
            raise KeyboardInterrupt

    monkeypatch.setattr(server, "make_server",
                        lambda host, port: Interrupted(("127.0.0.1", 0)))
    out = io.StringIO()
    assert server.serve("0.0.0.0", 0, open_browser=True, out=out) == 0
    assert opened and opened[0].startswith("http://127.0.0.1:")
    assert opened[0] in out.getvalue() and "stopping" in out.getvalue()
    assert "warning" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_command_serves_until_ctrl_c(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "scratchnn", "playground", "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": SRC})
    try:
        line = process.stdout.readline()
        url = line.split()[2]
        match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/\?token=([A-Za-z0-9_-]{43})", url)
        assert match, url
        port, token = int(match.group(1)), match.group(2)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        connection.request("GET", "/")
        assert connection.getresponse().read().startswith(b"<!")
        connection.request("GET", "/api/options", headers={"Authorization": f"token {token}"})
        assert connection.getresponse().status == 200
        connection.close()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=WAIT) == 0
        assert "Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()
