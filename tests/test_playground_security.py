"""The playground against an attacker: raw requests on a loopback socket, as another site's page,
a DNS-rebinding page or a misbehaving client would send them.

Every request goes to 127.0.0.1 or ::1, each test makes a bounded number of them, and every
socket has a timeout.
"""

import json
import socket
import struct
import threading
import time

import numpy as np
import pytest

from scratchnn.playground import LIMITS, make_server, server
from scratchnn.playground.settings import parse_csv
from serving import serving

WAIT = 60.0  # seconds; a generous bound for a busy machine, never a timing assertion
SHORT = 10.0  # seconds to wait for a reply that today's code never sends


@pytest.fixture
def playground():
    srv = make_server("127.0.0.1", 0)
    yield from serving(srv)


def _token(srv):
    return getattr(srv, "token", "no-token")


def request_bytes(srv, method, path, body=b"", headers=None):
    """The bytes of one request as the page sends it (the token, JSON, the right Host);
    ``headers`` replace those (``None`` leaves a header out)."""
    port = srv.server_address[1]
    sent = {"Host": f"127.0.0.1:{port}", "Authorization": f"token {_token(srv)}",
            "Content-Type": "application/json", "Content-Length": str(len(body))}
    if method != "POST":
        del sent["Content-Type"]
    sent.update(headers or {})
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in sent.items() if value is not None)
    return head.encode() + b"\r\n" + body


def read_reply(sock):
    """``(status, headers, decoded JSON or bytes)`` of the next reply on ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"the server closed the connection without a reply "
                                  f"(received {data[:200]!r})")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", 0))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    body, rest = body[:length], body[length:]
    assert rest == b"", f"more than one reply: {rest[:200]!r}"
    if headers.get("content-type", "").startswith("application/json"):
        body = json.loads(body, parse_constant=_no_constant)
    return status, headers, body


def _no_constant(name):
    raise AssertionError(f"the reply holds {name}, which the page's JSON.parse refuses")


def send(srv, data, timeout=SHORT):
    """``(status, headers, payload)`` of the one reply to ``data`` on a fresh connection."""
    with socket.create_connection(srv.server_address[:2], timeout=timeout) as sock:
        sock.sendall(data)
        return read_reply(sock)


def send_then_closed(srv, data, timeout=SHORT):
    """As :func:`send`, and whether the server then closed the connection (no second reply)."""
    with socket.create_connection(srv.server_address[:2], timeout=timeout) as sock:
        sock.sendall(data)
        reply = read_reply(sock)
        try:
            closed = sock.recv(65536) == b""
        except ConnectionResetError:
            closed = True
        return reply, closed


def post_json(srv, path, payload, headers=None):
    return send(srv, request_bytes(srv, "POST", path, json.dumps(payload).encode(), headers))


def new_session(srv, **config):
    status, _, state = post_json(srv, "/api/sessions", config)
    assert status == 201, state
    return state["id"]


# --------------------------------------------------------------------------- A: other sites
def test_api_requests_need_the_token(playground):
    port = playground.server_address[1]
    status, _, reply = send(playground, request_bytes(playground, "POST", "/api/sessions", b"{}",
                                                      {"Authorization": None}))
    assert status == 403 and "no token" in reply["error"] and "?token=" in reply["error"]
    wrong = _token(playground)[:-1] + ("A" if _token(playground)[-1] != "A" else "B")
    for authorization in (f"token {wrong}", "token", f"Bearer {_token(playground)}"):
        status, _, reply = send(playground, request_bytes(
            playground, "POST", "/api/sessions", b"{}", {"Authorization": authorization}))
        assert status == 403 and "token" in reply["error"], authorization
    for path in ("/api/options", "/api/sessions/x/events", f"/api/options?token={wrong}"):
        status, _, reply = send(playground, request_bytes(playground, "GET", path,
                                                          headers={"Authorization": None}))
        assert status == 403 and "token" in reply["error"], path
    assert playground.sessions == {}
    # The page itself holds no secret: it loads, then asks for the token it was opened with.
    assert send(playground, request_bytes(playground, "GET", "/",
                                          headers={"Authorization": None}))[0] == 200
    # The token in the address does what the header does (an EventSource cannot set headers).
    assert send(playground, request_bytes(playground, "GET", f"/api/options?token="
                                          f"{_token(playground)}",
                                          headers={"Authorization": None}))[0] == 200
    assert playground.url == f"http://127.0.0.1:{port}/?token={_token(playground)}"
    assert len(_token(playground)) >= 40
    assert _token(make_server("127.0.0.1", 0)) != _token(playground)


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/api/options", "/api/sessions"])
def test_a_rebinding_host_is_refused(playground, path):
    """DNS rebinding: evil.example now resolves to 127.0.0.1, so the browser sends its name."""
    port = playground.server_address[1]
    method = "POST" if path == "/api/sessions" else "GET"
    body = b"{}" if method == "POST" else b""
    for host in (f"evil.example:{port}", f"127.0.0.1.evil.example:{port}", "evil.example",
                 f"127.0.0.1:{port + 1}"):
        (status, _, reply), closed = send_then_closed(
            playground, request_bytes(playground, method, path, body, {"Host": host}))
        assert status == 403 and repr(host) in reply["error"], (host, reply)
        assert closed
    assert playground.sessions == {}
    # Every loopback name reaches the server.
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", f"LOCALHOST:{port}"):
        status, _, _ = send(playground, request_bytes(playground, method, path, body,
                                                      {"Host": host}))
        assert status in (200, 201), host
    status, _, reply = send(playground, request_bytes(playground, "GET", "/",
                                                      headers={"Host": None}))
    assert status == 400 and "Host" in reply["error"]


def test_the_host_given_to_listen_on_is_accepted():
    from scratchnn.playground.security import Guard, Refused

    guard = Guard.for_address("192.168.1.5", 8765, "t", 10)
    guard.check_host("192.168.1.5:8765")
    guard.check_host("localhost:8765")
    with pytest.raises(Refused, match="evil"):
        guard.check_host("evil.example:8765")
    Guard.for_address("fe80::1", 8765, "t", 10).check_host("[fe80::1]:8765")
    # Listening on every address, the server is reached by names it cannot know: the token
    # and the Origin still guard it (as Jupyter's allow_remote_access).
    Guard.for_address("0.0.0.0", 8765, "t", 10).check_host("my-laptop.lan:8765")


def test_a_cross_site_simple_request_is_refused(playground):
    """What a form or ``fetch(..., {mode: 'no-cors'})`` on another site can send."""
    port = playground.server_address[1]
    simple = {"Content-Type": "text/plain", "Origin": "http://evil.example"}
    for headers in (simple,
                    {**simple, "Authorization": None},
                    {"Origin": "http://evil.example"},
                    {"Origin": "null"},
                    {"Origin": f"http://localhost:{port}"},  # another origin, same machine
                    {"Origin": f"https://127.0.0.1:{port}"}):
        status, _, reply = send(playground, request_bytes(playground, "POST", "/api/sessions",
                                                          b"{}", headers))
        assert status == 403 and ("Origin" in reply["error"] or "token" in reply["error"]), \
            headers
    status, _, reply = send(playground, request_bytes(
        playground, "GET", f"/api/options?token={_token(playground)}",
        headers={"Origin": "http://evil.example", "Authorization": None}))
    assert status == 403 and "Origin" in reply["error"]
    assert playground.sessions == {}
    # Same origin, but a type a cross-site page may send without asking the browser first.
    for content_type in ("text/plain", "application/x-www-form-urlencoded",
                         "multipart/form-data; boundary=x", None):
        status, _, reply = send(playground, request_bytes(
            playground, "POST", "/api/sessions", b"{}",
            {"Content-Type": content_type, "Origin": f"http://127.0.0.1:{port}"}))
        assert status == 415 and "application/json" in reply["error"], content_type
    assert playground.sessions == {}
    # The page's own requests pass: same Origin, JSON, the token.
    status, _, _ = send(playground, request_bytes(
        playground, "POST", "/api/sessions", b"{}",
        {"Origin": f"http://127.0.0.1:{port}", "Content-Type": "application/json; charset=utf-8"}))
    assert status == 201


def test_an_upload_must_say_it_is_csv(playground):
    session_id = new_session(playground, n_points=20)
    text = "".join(f"{k},{-k},{k % 2}\n" for k in range(30)).encode()
    for content_type in ("text/plain", "application/json"):
        status, _, reply = send(playground, request_bytes(
            playground, "POST", f"/api/sessions/{session_id}/upload", text,
            {"Content-Type": content_type}))
        assert status == 415 and "text/csv" in reply["error"]
    status, _, _ = send(playground, request_bytes(
        playground, "POST", f"/api/sessions/{session_id}/upload", text,
        {"Content-Type": "text/csv"}))
    assert status == 200


def _open_stream(srv, session_id):
    sock = socket.create_connection(srv.server_address[:2], timeout=SHORT)
    sock.sendall(request_bytes(srv, "GET", f"/api/sessions/{session_id}/events"))
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        assert chunk, "the event stream did not start"
        head += chunk
    assert head.startswith(b"HTTP/1.1 200") and b"text/event-stream" in head
    return sock


def _ends(sock):
    """Whether the server ends the stream within ``SHORT`` seconds (it sends a keep-alive
    each second until then)."""
    deadline = time.monotonic() + SHORT
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
        return False
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_open_event_streams_do_not_pin_every_session(playground):
    """A client holding every place with open event streams loses them once it stops using
    them for the idle time: watching is not using. (Without the token and the right Origin no
    other site's page gets this far at all.)"""
    ids = [new_session(playground, n_points=20) for _ in range(LIMITS.max_sessions)]
    streams = [_open_stream(playground, session_id) for session_id in ids]
    try:
        status, _, reply = post_json(playground, "/api/sessions", {"n_points": 20})
        assert status == 503 and "too many sessions" in reply["error"]
        for session in playground.sessions.values():
            session.touched -= LIMITS.session_idle_seconds + 1  # watched, but long unused
        time.sleep(1.5)  # the streams send a keep-alive each second: it must not count as use
        assert post_json(playground, "/api/sessions", {"n_points": 20})[0] == 201
        assert not set(ids) & set(playground.sessions)
        assert all(_ends(stream) for stream in streams), "a dropped session's stream went on"
    finally:
        for stream in streams:
            stream.close()


def test_ending_a_session_ends_its_event_stream(playground):
    session_id = new_session(playground, n_points=20)
    stream = _open_stream(playground, session_id)
    try:
        assert send(playground, request_bytes(playground, "DELETE",
                                              f"/api/sessions/{session_id}"))[0] == 200
        assert _ends(stream)
    finally:
        stream.close()


# --------------------------------------------------------------------------- D: bodies, connections
@pytest.mark.parametrize("length", [
    "-1", "+2", "-0", "2, 2", "0x10", "1e3",
    "١٢",  # Arabic-Indic digits: int() reads them, HTTP does not
])
def test_a_bad_content_length_is_refused(playground, length):
    data = request_bytes(playground, "POST", "/api/sessions", b"{}", {"Content-Length": length})
    (status, _, reply), closed = send_then_closed(playground, data)
    assert status == 400 and "Content-Length must be a non-negative integer" in reply["error"]
    assert closed  # the body was not read: it must not be taken for the next request
    assert playground.sessions == {}


def test_two_content_lengths_are_refused(playground):
    data = request_bytes(playground, "POST", "/api/sessions", b"{}",
                         {"Content-Length": "2\r\nContent-Length: 0"})
    (status, _, reply), closed = send_then_closed(playground, data)
    assert status == 400 and "more than one Content-Length" in reply["error"] and closed


def test_a_chunked_body_is_refused_not_misread(playground):
    chunked = b'14\r\n{"n_points": 20}    \r\n0\r\n\r\n'
    data = request_bytes(playground, "POST", "/api/sessions", chunked,
                         {"Content-Length": None, "Transfer-Encoding": "chunked"})
    (status, _, reply), closed = send_then_closed(playground, data)
    assert status == 411 and "chunked" in reply["error"] and "Content-Length" in reply["error"]
    assert closed  # the chunks are never parsed as a second request
    assert playground.sessions == {}


def test_a_body_cut_short_is_refused(playground):
    with socket.create_connection(playground.server_address[:2], timeout=SHORT) as sock:
        sock.sendall(request_bytes(playground, "POST", "/api/sessions", b"{}",
                                   {"Content-Length": "10"}))
        sock.shutdown(socket.SHUT_WR)
        status, _, reply = read_reply(sock)
    assert status == 400 and "2 of its 10 bytes" in reply["error"]


@pytest.fixture
def small_playground():
    """A server allowing 4 connections, each silent for at most half a second."""
    try:
        srv = make_server("127.0.0.1", 0, max_connections=4, timeout=0.5)
    except TypeError as exc:
        pytest.fail(f"make_server has no connection limits: {exc}")
    yield from serving(srv)


def _connect_half_open(srv, count):
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(srv.server_address[:2], timeout=SHORT)
        sockets.append(sock)
        try:  # a request that never ends: the headers' closing blank line never comes
            sock.sendall(f"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:"
                         f"{srv.server_address[1]}\r\n".encode())
        except OSError:
            pass  # turned away already
    return sockets


def test_half_open_connections_are_bounded_and_dropped(small_playground):
    srv = small_playground
    before = threading.active_count()
    most = [before]
    done = threading.Event()

    def watch():
        while not done.is_set():
            most[0] = max(most[0], threading.active_count())
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    sockets = _connect_half_open(srv, 50)
    try:
        replies = []
        for sock in sockets:  # each is answered 503 or closed by the server, none held on
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                data = b""
            replies.append(data)
        assert all(data == b"" or data.startswith(b"HTTP/1.1 503") for data in replies)
    finally:
        done.set()
        watcher.join()
        for sock in sockets:
            sock.close()
    assert most[0] - before <= 4 + 1, f"{most[0] - before - 1} threads for 50 connections"
    # The server still answers.
    assert send(srv, request_bytes(srv, "GET", "/api/options"))[0] == 200


def test_a_connection_over_the_limit_gets_a_503(small_playground):
    srv = small_playground
    sockets = _connect_half_open(srv, 4)
    try:
        with socket.create_connection(srv.server_address[:2], timeout=SHORT) as sock:
            status, headers, reply = read_reply(sock)
        assert status == 503 and "too many connections" in reply["error"]
        assert "limit is 4" in reply["error"] and headers["connection"] == "close"
    finally:
        for sock in sockets:
            sock.close()


def test_a_client_that_resets_mid_request_leaves_no_traceback(playground, capfd):
    for partial in (b"GET / HT", b"GET / HTTP/1.1\r\nHost: 127"):
        sock = socket.create_connection(playground.server_address[:2], timeout=SHORT)
        sock.sendall(partial)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # with linger 0: a reset, not a goodbye
    err, deadline = "", time.monotonic() + 2.0  # the resets reach the server's threads at once
    while time.monotonic() < deadline and "Exception" not in err:
        time.sleep(0.05)
        err += capfd.readouterr().err
    assert "Exception occurred" not in err and "Traceback" not in err
    assert send(playground, request_bytes(playground, "GET", "/api/options"))[0] == 200


def test_a_silent_keep_alive_connection_is_closed(small_playground):
    with socket.create_connection(small_playground.server_address[:2], timeout=SHORT) as sock:
        sock.sendall(request_bytes(small_playground, "GET", "/api/options"))
        assert read_reply(sock)[0] == 200
        assert sock.recv(1) == b""  # after 0.5 s of silence, not SHORT


# --------------------------------------------------------------------------- E, F: bad bodies
@pytest.mark.parametrize("depth", [100_000, 5_000])
def test_a_deeply_nested_body_gets_a_400(playground, depth):
    for body in (b"[" * depth + b"]" * depth,
                 b'{"hidden": ' + b"[" * depth + b"]" * depth + b"}"):
        status, _, reply = send(playground, request_bytes(playground, "POST", "/api/sessions",
                                                          body))
        assert status == 400 and "nested too deeply" in reply["error"]
    # The server is fine afterwards.
    assert send(playground, request_bytes(playground, "GET", "/api/options"))[0] == 200


@pytest.mark.parametrize("name", ["learning_rate", "noise", "l2", "keep_prob", "test_fraction"])
def test_a_400_digit_integer_for_a_float_setting_gets_a_400(playground, name):
    body = b'{"%s": 1%s}' % (name.encode(), b"0" * 399)
    status, _, reply = send(playground, request_bytes(playground, "POST", "/api/sessions", body))
    assert status == 400 and name in reply["error"] and "400 digits" in reply["error"]
    session_id = new_session(playground, n_points=20)
    status, _, reply = send(playground, request_bytes(
        playground, "POST", f"/api/sessions/{session_id}/config", body))
    assert status == 400 and name in reply["error"]


def _upload(srv, session_id, text):
    return send(srv, request_bytes(srv, "POST", f"/api/sessions/{session_id}/upload",
                                   text.encode(), {"Content-Type": "text/csv"}))


ROWS = [f"{k % 7 / 7},{k % 5 / 5},{k % 3}" for k in range(60)]


def test_an_upload_with_cr_only_line_ends_is_read(playground):
    """Old Mac spreadsheets end lines with CR alone; the command line reads such files."""
    session_id = new_session(playground, n_points=20)
    text = "x1,x2,label\r" + "\r".join(ROWS) + "\r"
    status, _, state = _upload(playground, session_id, text)
    assert status == 200, state
    assert len(state["train"]["y"]) + len(state["test"]["y"]) == 60
    want = parse_csv("x1,x2,label\n" + "\n".join(ROWS))
    for end in ("\r", "\r\n"):
        got = parse_csv("x1,x2,label" + end + end.join(ROWS) + end)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("text", "line"), [
    ("a" * 200_000, 1),  # as large as an upload may be, all one field
    ("\n".join(ROWS[:25]) + "\n1," + "9" * 150_000 + ",0\n", 26),
])
def test_an_upload_with_an_over_long_field_gets_a_400(playground, text, line):
    session_id = new_session(playground, n_points=20)
    status, _, reply = _upload(playground, session_id, text)
    assert status == 400, reply
    assert f"line {line}" in reply["error"] and "field larger than field limit" in reply["error"]


@pytest.mark.parametrize(("big", "row", "column"), [
    ("1e308", 3, 1), ("-1e308", 3, 2), ("1.7976931348623157e308", 3, 1), ("-1e305", 3, 2)])
def test_features_whose_picture_overflows_get_a_400(playground, big, row, column):
    """Today ``np.round(-1e305, 4)`` is -inf and the extent around 1e308 is inf: JSON's
    ``Infinity``, which the page cannot read."""
    rows = list(ROWS[:30])
    rows[row - 1] = f"{big},0,1" if column == 1 else f"0,{big},1"
    session_id = new_session(playground, n_points=20)
    status, _, reply = _upload(playground, session_id, "\n".join(rows) + "\n")
    assert status == 400
    assert f"row {row}, column {column} (x{column})" in reply["error"] and big in reply["error"]
    # Up to the limit, the picture's extent and the points stay finite (read as strict JSON).
    rows[0], rows[1] = "1e300,-1e300,1", "-1e300,1e300,0"
    rows[row - 1] = ROWS[row - 1]
    status, _, state = _upload(playground, session_id, "\n".join(rows) + "\n")
    assert status == 200 and all(np.isfinite(state["extent"]))


def test_a_fault_of_the_playground_still_gets_a_json_reply(playground, monkeypatch):
    session_id = new_session(playground, n_points=20)

    def broken(self):
        raise RuntimeError("the frame went missing")

    monkeypatch.setattr(server.Session, "state", broken)
    (status, _, reply), closed = send_then_closed(
        playground, request_bytes(playground, "GET", f"/api/sessions/{session_id}"))
    assert status == 500 and "RuntimeError: the frame went missing" in reply["error"]
    assert closed


def test_a_non_finite_number_never_reaches_a_reply(playground, monkeypatch):
    session_id = new_session(playground, n_points=20)
    monkeypatch.setattr(server.Session, "state", lambda self: {"extent": [float("inf")]})
    status, _, reply = send(playground, request_bytes(playground, "GET",
                                                      f"/api/sessions/{session_id}"))
    assert status == 500 and "JSON cannot carry" in reply["error"]


# --------------------------------------------------------------------------- F32: IPv6
def _has_ipv6_loopback():
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine has no IPv6 loopback (::1)")
def test_ipv6_loopback_serves():
    served = serving(make_server("::1", 0))
    srv = next(served)
    try:
        port = srv.server_address[1]
        assert srv.url == f"http://[::1]:{port}/?token={srv.token}"
        with socket.create_connection(("::1", port), timeout=SHORT) as sock:
            sock.sendall(request_bytes(srv, "POST", "/api/sessions", b"{}",
                                       {"Host": f"[::1]:{port}",
                                        "Origin": f"http://[::1]:{port}"}))
            status, _, state = read_reply(sock)
        assert status == 201 and state["id"] in srv.sessions
    finally:
        next(served, None)
