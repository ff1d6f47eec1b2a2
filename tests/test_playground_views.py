"""The playground's views, server side: the pictures (grid sizes, one colour scale per layer,
float32 pictures against the model's own predictions), the weights every frame carries, a weight
set by hand (``POST .../weight``), the icon, the frames' parts at their own rates, and each frame
encoded once as its event (in the training thread while a page watches)."""

import base64
import json
import os
import runpy
import threading

import numpy as np
import pytest

from scratchnn.playground import LIMITS, PlaygroundConfig, Session, make_server, streaming
from scratchnn.playground.pictures import GRID_SIZES, UNIT_GRID
from serving import serving
from test_playground import WAIT, call, new_session, wait_until


@pytest.fixture
def playground():
    # A session without an event stream lives unwatched_seconds past its last request (10 s by
    # default); these tests' steps (a script run, a training) can take longer on a busy machine.
    yield from serving(make_server("127.0.0.1", 0, unwatched_seconds=WAIT))


def _weights(frame, layer_dims):
    return [np.frombuffer(base64.b64decode(text), "<f4").reshape(n, m)
            for text, n, m in zip(frame["weights"]["W"], layer_dims[1:], layer_dims[:-1])]


def _units(frame):
    n = frame["units"]["size"]
    return [np.frombuffer(base64.b64decode(text), np.uint8).reshape(-1, n, n)
            for text in frame["units"]["layers"]]


def test_favicon_is_served(playground):
    for path in ("/favicon.ico", "/static/favicon.svg"):
        status, body = call(playground, "GET", path)
        assert status == 200 and body.startswith(b"<svg")
    status, page = call(playground, "GET", "/")
    assert b'rel="icon" href="/static/favicon.svg"' in page
    for name in ("charts.js", "diagram.js"):
        assert call(playground, "GET", f"/static/{name}")[0] == 200


def test_frames_carry_the_live_weights():
    session = Session(PlaygroundConfig(n_points=60, hidden=[{"units": 3, "activation": "relu"},
                                                            {"units": 5, "activation": "tanh"}]))
    frame = session.frame
    dims = session.plan.layer_dims
    for l, W in enumerate(_weights(frame, dims), start=1):
        np.testing.assert_allclose(W, session.model.parameters[f"W{l}"], rtol=1e-6)
    b = frame["weights"]["b"]
    assert len(b) == len(dims) - 1 and all(text is not None for text in b)
    bn = Session(PlaygroundConfig(n_points=60, batch_norm=True))
    assert bn.frame["weights"]["b"][:-1] == [None, None]  # batch norm: beta, not b


def test_unit_pictures_share_one_scale_per_layer():
    session = Session(PlaygroundConfig(n_points=60, seed=2,
                                       hidden=[{"units": 6, "activation": "relu"}] * 2))
    frame = session.frame
    views = session._views
    X = views.grid(GRID_SIZES["still"])
    _, caches = session.model.forward(X)
    step = GRID_SIZES["still"] // UNIT_GRID
    for l, (pictures, scale) in enumerate(zip(_units(frame), frame["units"]["scales"]), start=1):
        A = caches.layers[l].A.reshape(-1, GRID_SIZES["still"], GRID_SIZES["still"])
        A = A[:, ::step, ::step]
        # The scale is the layer's largest magnitude (not each unit's own), within float32.
        assert scale == pytest.approx(np.abs(A).max(), rel=1e-5)
        expected = np.rint(A / np.abs(A).max() * 127 + 127)
        assert np.abs(pictures.astype(int) - expected).max() <= 1
        per_unit_max = np.abs(pictures.astype(int) - 127).reshape(len(pictures), -1).max(axis=1)
        assert per_unit_max.max() >= 126  # the layer's extreme unit reaches full colour ...
        assert per_unit_max.min() < 126  # ... and a weaker one does not (relu: some stay small)


def test_the_boundary_picture_matches_the_models_classes():
    session = Session(PlaygroundConfig(dataset="blobs", classes=4, n_points=200, seed=5))
    session.step()
    wait_until(lambda: session.status == "paused", "the step")
    size = session.frame["boundary"]["size"]
    assert size == GRID_SIZES["still"] == LIMITS.boundary_grid
    classes = np.frombuffer(base64.b64decode(session.frame["boundary"]["classes"]), np.uint8)
    proba = session.model.predict_proba(session._views.grid(size))
    top2 = np.sort(proba, axis=0)[-2:]
    # The pictures are computed in float32: they may differ where two classes tie to ~1e-6.
    confident = top2[1] - top2[0] > 1e-4
    predicted = proba.argmax(axis=0)
    assert confident.sum() > 0.9 * size * size and len(set(predicted[confident])) == 4
    np.testing.assert_array_equal(classes[confident], predicted[confident])
    session.close()


def test_frames_while_running_use_the_small_grid_and_still_ones_the_full(monkeypatch):
    sizes = []
    original = Session._make_frame

    def spy(self, status=None, still=True):
        frame = original(self, status, still)
        sizes.append((still, frame["boundary"]["size"]))
        return frame

    monkeypatch.setattr(Session, "_make_frame", spy)
    monkeypatch.setattr(streaming, "FRAME_INTERVAL", 0.0)
    monkeypatch.setattr(streaming, "FRAME_DUTY", 1.0)
    session = Session(PlaygroundConfig(n_points=40, epochs=6))
    session.play()
    wait_until(lambda: session.status == "finished", "the last epoch")
    assert (False, GRID_SIZES["running"]) in sizes
    assert all(size == GRID_SIZES["still" if still else "running"] for still, size in sizes)
    assert session.frame["boundary"]["size"] == GRID_SIZES["still"]


def test_metrics_and_diagnostics_come_at_their_own_rates(monkeypatch):
    # Pictures every epoch, metrics and diagnostics never while running (only the first
    # epoch's, and the last): a frame then carries the latest of each, with its epoch.
    monkeypatch.setattr(streaming, "FRAME_INTERVAL", 0.0)
    monkeypatch.setattr(streaming, "FRAME_DUTY", 1.0)
    monkeypatch.setattr(streaming, "METRICS_DUTY", 1e-9)
    monkeypatch.setattr(streaming, "DIAGNOSTICS_DUTY", 1e-9)
    seen = []
    session = Session(PlaygroundConfig(n_points=60, epochs=30))
    original = session._publish

    def publish(frame):
        seen.append(frame)
        original(frame)

    session._publish = publish
    session.play()
    wait_until(lambda: session.status == "finished", "the last epoch")
    running = [frame for frame in seen if frame["status"] == "running"]
    assert len(running) >= 20
    assert session.history["epoch"] == [1, 30]
    assert all(frame["history"]["epoch"] == [1] for frame in running if 1 < frame["epoch"] < 30)
    assert {frame["diagnostics"]["epoch"] for frame in running if 1 < frame["epoch"] < 30} == {1}
    assert session.frame["diagnostics"]["epoch"] == 30


def test_set_weight_changes_the_model_and_the_frame(playground):
    session_id, state = new_session(playground, n_points=100)
    session = playground.sessions[session_id]
    before = state["frame"]
    status, frame = call(playground, "POST", f"/api/sessions/{session_id}/weight",
                         {"layer": 2, "row": 3, "column": 1, "value": -7.5})
    assert status == 200, frame
    assert session.model.parameters["W2"][3, 1] == -7.5
    assert _weights(frame, state["layer_dims"])[1][3, 1] == -7.5
    assert frame["version"] > state["version"]
    assert frame["units"]["layers"][1] != before["units"]["layers"][1]  # layer 2 changed ...
    assert frame["units"]["layers"][0] == before["units"]["layers"][0]  # ... layer 1 did not
    assert session.edits == [(0, 2, 3, 1, -7.5)]


@pytest.mark.parametrize("body, message", [
    ({"layer": 0, "row": 0, "column": 0, "value": 1.0}, "layer"),
    ({"layer": 4, "row": 0, "column": 0, "value": 1.0}, "layer must be at most 3"),
    ({"layer": 1, "row": 8, "column": 0, "value": 1.0}, "row must be at most 7"),
    ({"layer": 1, "row": 0, "column": 2, "value": 1.0}, "column must be at most 1"),
    ({"layer": 1, "row": 0, "column": 0, "value": 1e6}, "value"),
    ({"layer": 1, "row": 0, "column": 0, "value": "NaN"}, "value"),
    ({"layer": 1.5, "row": 0, "column": 0, "value": 1.0}, "layer"),
    ({"layer": 1, "row": 0, "column": 0}, "exactly"),
    ({"layer": 1, "row": 0, "column": 0, "value": 1, "bias": 2}, "exactly"),
    ([1, 2, 3, 4], "exactly"),
])
def test_set_weight_refuses_bad_requests(playground, body, message):
    session_id, _ = new_session(playground, n_points=60)
    theta = playground.sessions[session_id].model.theta.copy()
    status, reply = call(playground, "POST", f"/api/sessions/{session_id}/weight", body)
    assert status == 400 and message in reply["error"], reply
    assert np.array_equal(playground.sessions[session_id].model.theta, theta)


def test_set_weight_while_training_runs_lands_between_epochs(playground):
    session_id, _ = new_session(playground, n_points=100, epochs=10000)
    session = playground.sessions[session_id]
    call(playground, "POST", f"/api/sessions/{session_id}/play")
    wait_until(lambda: session.epoch >= 2, "two epochs")
    status, frame = call(playground, "POST", f"/api/sessions/{session_id}/weight",
                         {"layer": 1, "row": 0, "column": 0, "value": 42.0})
    assert status == 200
    epoch, layer, row, column, value = session.edits[0]
    assert epoch >= 2 and (layer, row, column, value) == (1, 0, 0, 42.0)
    assert frame["epoch"] == epoch
    call(playground, "POST", f"/api/sessions/{session_id}/pause")
    status, code = call(playground, "GET", f"/api/sessions/{session_id}/code")
    assert b"cannot replay: W1[0, 0] = 42.0 after epoch" in code


def test_python_code_replays_weights_set_before_training(playground, tmp_path):
    session_id, _ = new_session(playground, n_points=100)
    for layer, row, column, value in ((1, 2, 0, 3.25), (3, 0, 5, -1.5)):
        status, _ = call(playground, "POST", f"/api/sessions/{session_id}/weight",
                         {"layer": layer, "row": row, "column": column, "value": value})
        assert status == 200
    for _ in range(3):
        call(playground, "POST", f"/api/sessions/{session_id}/step")
    session = playground.sessions[session_id]
    wait_until(lambda: session.epoch == 3 and session.status == "paused", "three epochs")
    status, code = call(playground, "GET", f"/api/sessions/{session_id}/code")
    script = tmp_path / "session.py"
    script.write_bytes(code)
    namespace = runpy.run_path(str(script))
    assert np.array_equal(namespace["model"].theta, session.model.theta)
    call(playground, "POST", f"/api/sessions/{session_id}/reset")
    assert session.edits == []


def test_set_weight_checks_the_network_it_reaches_after_a_reset(monkeypatch):
    # A reset to a smaller network may land between the request and the epoch boundary: the
    # indices are refused against the network the change reaches, not an IndexError (a 500).
    session = Session(PlaygroundConfig.from_json({"n_points": 60}))
    small = PlaygroundConfig.from_json({"n_points": 60,
                                        "hidden": [{"units": 2, "activation": "tanh"}]})
    boundary = session.at_epoch_boundary

    def reset_first(task):
        session.reset(small)
        return boundary(task)

    monkeypatch.setattr(session, "at_epoch_boundary", reset_first)
    try:
        with pytest.raises(ValueError, match="row must be at most 1"):
            session.set_weight(1, 7, 0, 1.0)
        assert session.edits == []
    finally:
        session.close()


def _every_epoch_a_frame(monkeypatch):
    monkeypatch.setattr(streaming, "FRAME_INTERVAL", 0.0)
    monkeypatch.setattr(streaming, "FRAME_DUTY", 1.0)


def _spy_on_encoding(monkeypatch):
    """The threads that encoded a frame as an event, one name per frame encoded."""
    threads = []
    original = streaming.frame_event

    def frame_event(version, frame, encoded=None):
        threads.append(threading.current_thread().name)
        return original(version, frame, encoded)

    monkeypatch.setattr(streaming, "frame_event", frame_event)
    return threads


def test_a_watched_session_encodes_each_frame_once_in_the_training_thread(monkeypatch):
    _every_epoch_a_frame(monkeypatch)
    threads = _spy_on_encoding(monkeypatch)
    session = Session(PlaygroundConfig(n_points=40, epochs=8))
    session.watch(+1)  # a page listens
    session.play()
    assert session.wait_idle(WAIT)
    assert session.status == "finished"
    # Every epoch ended in a frame, encoded as its event by the training thread; the frame
    # published after the loop (the finished one) waits for whoever asks first.
    assert threads == ["playground-training"] * 8
    version, event = session.wait_for_event(-1, timeout=0.0)
    assert version == session.version and len(threads) == 9
    assert event.startswith(b"data: ") and event.endswith(b"\n\n")
    assert json.loads(event[len(b"data: "):]) == {"version": version, **session.frame}
    assert session.wait_for_event(version - 1, timeout=0.0) == (version, event)  # encoded once
    assert len(threads) == 9
    assert session.wait_for_event(version, timeout=0.0) == (version, None)  # nothing newer


def test_an_unwatched_session_encodes_no_frame(monkeypatch):
    _every_epoch_a_frame(monkeypatch)
    threads = _spy_on_encoding(monkeypatch)
    session = Session(PlaygroundConfig(n_points=40, epochs=8))
    session.play()
    assert session.wait_idle(WAIT)
    assert session.cost.frames == 8 and threads == []


def test_a_frame_json_cannot_carry_is_refused_where_it_is_sent_not_in_training(monkeypatch):
    _every_epoch_a_frame(monkeypatch)

    def refuse(version, frame, encoded=None):
        raise ValueError("Out of range float values are not JSON compliant")

    monkeypatch.setattr(streaming, "frame_event", refuse)
    session = Session(PlaygroundConfig(n_points=40, epochs=5))
    session.watch(+1)
    session.play()
    assert session.wait_idle(WAIT)
    assert session.status == "finished" and session.error is None
    with pytest.raises(ValueError, match="JSON"):
        session.wait_for_event(-1, timeout=0.0)


def test_a_frame_with_a_number_json_cannot_carry_is_refused():
    frame = Session(PlaygroundConfig(n_points=40)).frame
    with pytest.raises(ValueError, match="JSON compliant"):
        streaming.frame_event(1, dict(frame, loss=float("nan")))


def test_wait_idle_returns_when_the_training_thread_ends():
    session = Session(PlaygroundConfig(n_points=40, epochs=3))
    assert session.wait_idle(0.0)  # never started
    session.step()  # one epoch, then the thread holds
    wait_until(lambda: session.status == "paused", "the step")
    assert not session.wait_idle(0.0)  # held, not ended
    session.play()
    assert session.wait_idle(WAIT)
    assert session.status == "finished" and session.epoch == 3


def test_core_wait_seconds_reads_the_threads_waits_for_a_core():
    path = "/proc/thread-self/schedstat"
    if not os.path.exists(path):
        assert streaming.core_wait_seconds() == 0.0  # the system does not say
        return
    with open(path, encoding="ascii") as file:
        before = int(file.read().split()[1]) / 1e9
    seconds = streaming.core_wait_seconds()
    with open(path, encoding="ascii") as file:
        after = int(file.read().split()[1]) / 1e9
    assert before <= seconds <= after


def test_an_event_with_parts_encoded_before_decodes_to_the_whole_frame():
    frame = Session(PlaygroundConfig(n_points=40)).frame
    history = {"epoch": [1, 2], "loss": [0.5, 0.25]}
    frame = dict(frame, history=history)
    text = json.dumps(history)
    event = streaming.frame_event(7, frame, {"history": text})
    assert event.startswith(b"data: ") and event.endswith(b"\n\n") and b"\n" not in event[:-2]
    assert json.loads(event[len(b"data: "):]) == {"version": 7, **frame}
    assert text.encode() in event  # put in as it was, not encoded again
    assert streaming.frame_event(7, frame, {}) == streaming.frame_event(7, frame)
    with pytest.raises(ValueError, match="JSON compliant"):  # the rest is still checked
        streaming.frame_event(7, dict(frame, loss=float("inf")), {"history": text})


def _history(n, names=("loss", "train_accuracy")):
    return {"epoch": list(range(1, n + 1)), **{name: [0.5 / k for k in range(1, n + 1)]
                                               for name in names}}


def test_encoded_curves_are_thinned_and_made_again_only_when_a_point_is_added():
    curves = streaming.EncodedCurves(max_points=4)
    history = _history(10)
    thinned = curves.curves(history)
    # Every third point (10 / 4 rounded up), and the last one.
    assert thinned["epoch"] == [1, 4, 7, 10]
    assert thinned["loss"] == [history["loss"][i] for i in (0, 3, 6, 9)]
    assert curves.curves(history) is thinned  # nothing added: the same curves
    text = curves.encoded(thinned)["history"]
    assert json.loads(text) == thinned
    assert curves.encoded(thinned)["history"] is text  # encoded once
    assert curves.encoded(dict(thinned)) == {} and curves.encoded(None) == {}  # not these
    for values in history.values():
        values.append(values[-1] + 1)  # a point added
    again = curves.curves(history)
    assert again is not thinned and again["epoch"] == [1, 4, 7, 10, 11]
    assert curves.encoded(thinned) == {}  # the old curves' text is not handed out
    assert json.loads(curves.encoded(again)["history"]) == again


def test_encoded_curves_follow_a_new_history_of_the_same_length():
    # A reset (classification to regression, say) starts a new history: its names, not the
    # old one's, even where both have as many points.
    curves = streaming.EncodedCurves(max_points=400)
    first = curves.curves(_history(0))
    second = curves.curves(_history(0, names=("loss", "train_r2")))
    assert "train_accuracy" in first and set(second) == {"epoch", "loss", "train_r2"}


def test_encoded_curves_refuse_a_number_json_cannot_carry():
    curves = streaming.EncodedCurves(max_points=400)
    history = _history(3)
    history["loss"][1] = float("nan")
    with pytest.raises(ValueError, match="JSON compliant"):
        curves.encoded(curves.curves(history))


def test_a_session_encodes_its_curves_once_per_point_not_per_frame(monkeypatch):
    _every_epoch_a_frame(monkeypatch)
    monkeypatch.setattr(streaming, "METRICS_DUTY", 1e-9)  # metrics only when training holds
    encoded = []
    original = streaming._json

    def spy(value):
        if isinstance(value, dict) and "epoch" in value and isinstance(value["epoch"], list):
            encoded.append(len(value["epoch"]))
        return original(value)

    monkeypatch.setattr(streaming, "_json", spy)
    session = Session(PlaygroundConfig(n_points=40, epochs=6))
    session.watch(+1)
    session.play()
    assert session.wait_idle(WAIT)
    version, event = session.wait_for_event(-1, timeout=0.0)
    assert json.loads(event[len(b"data: "):]) == {"version": version, **session.frame}
    # Six frames, plus the finished one; the curves gained points at the first epoch (its
    # metrics came with the first frame) and at the last: each length encoded once.
    assert session.cost.frames == 6
    assert len(encoded) == len(set(encoded)) < 6
    assert encoded[-1] == len(session.frame["history"]["epoch"])


@pytest.mark.parametrize("size", sorted(set(GRID_SIZES.values())))
def test_unit_pictures_are_each_layers_outputs_on_its_own_scale(size):
    session = Session(PlaygroundConfig(n_points=60, seed=3,
                                       hidden=[{"units": 5, "activation": "relu"},
                                               {"units": 3, "activation": "relu"},
                                               {"units": 4, "activation": "tanh"}]))
    views = session._views
    session.model.parameters["W3"][...] = 0.0  # the last hidden layer outputs tanh(0) = 0
    session.model.parameters["b3"][...] = 0.0
    pictures = views.pictures(size)
    _, caches = views._grid_forward(size, views._picture_model)  # the same float32 pass
    shown = ([pictures["inputs"]["layers"][0]] + pictures["units"]["layers"],
             pictures["inputs"]["scales"] + pictures["units"]["scales"])
    step = size // UNIT_GRID
    assert len(shown[0]) == len(caches.layers) - 1 == 4
    for l, (text, scale) in enumerate(zip(*shown)):
        A = caches.layers[l].A.reshape(-1, size, size)[:, ::step, ::step]
        got = np.frombuffer(base64.b64decode(text), np.uint8).reshape(A.shape)
        peak = np.abs(A).max()
        assert scale == float(peak)
        if l == 3:
            assert peak == 0 and np.all(got == 127)  # a layer of zeros: mid-scale, no NaN
        else:
            expected = np.rint(A.astype(np.float64) / float(peak) * 127 + 127)
            assert np.abs(got.astype(int) - expected).max() <= 1  # float32's rounding
            assert np.abs(got.astype(int) - 127).max() == 127  # the layer's extreme: full colour
