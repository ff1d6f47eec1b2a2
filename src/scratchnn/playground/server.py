"""The playground's web server: the page, a small JSON API, and frames as Server-Sent Events.

Python's own :class:`http.server.ThreadingHTTPServer` serves it: one thread per request, so a
page's event stream and its button presses run side by side, with nothing to install. Every
request body is bounded (:data:`MAX_BODY`), every setting is checked by
:class:`~scratchnn.playground.session.PlaygroundConfig`, and the number of sessions is bounded;
errors come back as ``{"error": "..."}`` with status 400, 404, 413 or 503.

API (``{id}`` is a session's id; every POST body is JSON unless noted)

============================= =======================================================
``GET /``                     the page
``GET /static/<name>``        its script and style sheet
``GET /api/options``          choices (from the registries), limits, defaults, formulas
``POST /api/sessions``        a new session (body: settings, optional) -> its state
``GET /api/sessions/{id}``    the session's state: settings, points, the latest frame
``POST .../config``           new settings, training starts again -> state
``POST .../upload``           CSV text (two features and a label per row) -> state
``POST .../play|pause|step``  training controls -> ``{"status": ...}``
``POST .../reset``            a fresh network with the same settings -> state
``GET .../events``            the frames, as ``text/event-stream``
``GET .../code``              the Python that reproduces the session (``text/x-python``)
``GET .../model``             the model file (:func:`scratchnn.io.save`)
``DELETE /api/sessions/{id}`` end the session
============================= =======================================================
"""

import json
import re
import secrets
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

from .session import LIMITS, PlaygroundConfig, Session, options, parse_csv

__all__ = ["MAX_BODY", "PlaygroundServer", "make_server"]

MAX_BODY = LIMITS.max_upload_bytes + 10_000
"""Largest request body accepted, in bytes (a CSV upload plus room for JSON)."""

_STATIC = {"index.html": "text/html; charset=utf-8",
           "app.js": "text/javascript; charset=utf-8",
           "style.css": "text/css; charset=utf-8"}

_SESSION = re.compile(r"^/api/sessions/([A-Za-z0-9_-]{1,64})(?:/([a-z]+))?$")


class _HTTPError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class PlaygroundServer(ThreadingHTTPServer):
    """The HTTP server with the sessions it holds (at most ``LIMITS.max_sessions``)."""

    daemon_threads = True  # an open event stream must not keep the process alive

    def __init__(self, address):
        super().__init__(address, _Handler)
        self.sessions = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    @property
    def url(self):
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def new_session(self, config):
        with self.lock:
            self._drop_idle()
            if len(self.sessions) >= LIMITS.max_sessions:
                raise _HTTPError(HTTPStatus.SERVICE_UNAVAILABLE,
                                 f"too many sessions (the playground's limit is "
                                 f"{LIMITS.max_sessions}); close another tab")
            session_id = secrets.token_urlsafe(12)
            self.sessions[session_id] = None  # reserve the place while the session is built
        try:
            session = Session(config)
        except BaseException:
            with self.lock:
                del self.sessions[session_id]
            raise
        with self.lock:
            self.sessions[session_id] = session
        return session_id, session

    def session(self, session_id):
        with self.lock:
            session = self.sessions.get(session_id)
        if session is None:
            raise _HTTPError(HTTPStatus.NOT_FOUND,
                             f"no session {session_id!r} (it ended, or the server restarted); "
                             f"reload the page")
        session.touched = time.monotonic()
        return session

    def end_session(self, session_id):
        with self.lock:
            session = self.sessions.pop(session_id, None)
        if session is None:
            raise _HTTPError(HTTPStatus.NOT_FOUND, f"no session {session_id!r}")
        session.close()

    def _drop_idle(self):
        now = time.monotonic()
        for key, session in list(self.sessions.items()):
            if session is not None and now - session.touched > LIMITS.session_idle_seconds:
                del self.sessions[key]
                session.close()

    def close_all(self):
        """End every session's training and stop serving event streams."""
        self.stopping.set()
        with self.lock:
            sessions = [s for s in self.sessions.values() if s is not None]
            self.sessions.clear()
        for session in sessions:
            session.close()


class _Handler(BaseHTTPRequestHandler):
    server_version = "scratchnn-playground"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet: the terminal shows the URL, not each request
        pass

    # ---------------------------------------------------------------- replies
    def _send(self, status, body, content_type, extra_headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, payload, status=HTTPStatus.OK):
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _error(self, status, message):
        self._json({"error": message}, status)

    def _body(self):
        if self._raw_body is None:
            self._raw_body = self._read_body()
        return self._raw_body

    def _read_body(self):
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            length = int(length)
        except ValueError:
            raise _HTTPError(HTTPStatus.BAD_REQUEST, "Content-Length must be a number") from None
        if length > MAX_BODY:
            self.close_connection = True  # the unread body must not be taken for a request
            raise _HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                             f"the request body has {length} bytes; the playground accepts at "
                             f"most {MAX_BODY}")
        return self.rfile.read(length)

    def _json_body(self):
        body = self._body()
        if not body.strip():
            return {}
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _HTTPError(HTTPStatus.BAD_REQUEST, f"the request body is not JSON: {exc}") \
                from None

    def _dispatch(self, handler):
        self._raw_body = None
        try:
            self._body()  # read it all first, so an error reply leaves the connection usable
            handler()
        except _HTTPError as exc:
            self._error(exc.status, str(exc))
        except (ValueError, TypeError) as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # ---------------------------------------------------------------- routes
    def do_GET(self):
        self._dispatch(self._get)

    def do_POST(self):
        self._dispatch(self._post)

    def do_DELETE(self):
        self._dispatch(self._delete)

    def _get(self):
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            return self._static("index.html")
        if path.startswith("/static/"):
            return self._static(path[len("/static/"):])
        if path == "/api/options":
            return self._json(options())
        session_id, action = self._route(path)
        session = self.server.session(session_id)
        if action is None:
            return self._json(session.state())
        if action == "events":
            return self._events(session)
        if action == "code":
            return self._send(HTTPStatus.OK, session.python_code().encode(),
                              "text/x-python; charset=utf-8",
                              [("Content-Disposition",
                                'attachment; filename="playground_session.py"')])
        if action == "model":
            return self._send(HTTPStatus.OK, session.model_file(), "application/octet-stream",
                              [("Content-Disposition",
                                'attachment; filename="playground-model.npz"')])
        raise _HTTPError(HTTPStatus.NOT_FOUND, f"no such page: GET {path}")

    def _post(self):
        path = self.path.split("?", 1)[0]
        if path == "/api/sessions":
            config = PlaygroundConfig.from_json(self._json_body())
            session_id, session = self.server.new_session(config)
            return self._json({"id": session_id, **session.state()}, HTTPStatus.CREATED)
        session_id, action = self._route(path)
        session = self.server.session(session_id)
        if action == "config":
            session.reset(PlaygroundConfig.from_json(self._json_body(), session.config))
            return self._json(session.state())
        if action == "upload":
            try:
                text = self._body().decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError("the CSV must be UTF-8 text") from None
            upload = parse_csv(text)
            session.reset(PlaygroundConfig.from_json({"dataset": "csv"}, session.config), upload)
            return self._json(session.state())
        if action == "reset":
            session.reset()
            return self._json(session.state())
        if action in ("play", "pause", "step"):
            getattr(session, action)()
            return self._json({"status": session.status, "epoch": session.epoch})
        raise _HTTPError(HTTPStatus.NOT_FOUND, f"no such action: POST {path}")

    def _delete(self):
        session_id, action = self._route(self.path)
        if action is not None:
            raise _HTTPError(HTTPStatus.NOT_FOUND, f"no such action: DELETE {self.path}")
        self.server.end_session(session_id)
        self._json({"ended": session_id})

    def _route(self, path):
        match = _SESSION.match(path)
        if match is None:
            raise _HTTPError(HTTPStatus.NOT_FOUND, f"no such page: {self.command} {path}")
        return match.group(1), match.group(2)

    def _static(self, name):
        if name not in _STATIC:
            raise _HTTPError(HTTPStatus.NOT_FOUND, f"no such file: {name}")
        body = resources.files(__package__).joinpath("static", name).read_bytes()
        self._send(HTTPStatus.OK, body, _STATIC[name])

    def _events(self, session):
        """Each new frame as one ``data:`` event, until the page goes away or the server stops."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.close_connection = True
        version = -1
        while not self.server.stopping.is_set():
            session.touched = time.monotonic()  # a page that is watching is not idle
            new_version, frame = session.wait_for_frame(version, timeout=1.0)
            if new_version == version:
                self.wfile.write(b": keep-alive\n\n")  # finds a closed page within a second
            else:
                version = new_version
                payload = json.dumps({"version": version, **frame}, separators=(",", ":"))
                self.wfile.write(f"data: {payload}\n\n".encode())
            self.wfile.flush()


def make_server(host="127.0.0.1", port=0):
    """A :class:`PlaygroundServer` bound to ``host:port`` (port 0: a free one), not yet serving."""
    return PlaygroundServer((host, port))


def serve(host="127.0.0.1", port=0, open_browser=True, out=sys.stdout):
    """Serve the playground until Ctrl-C; returns 0.

    Prints the URL (and a warning when ``host`` is not the loopback address), and opens it in
    the default browser unless ``open_browser`` is false.
    """
    server = make_server(host, port)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: the playground listens on {host}, so other machines can reach it; it "
              f"has no login. Use it only on a network you trust.", file=sys.stderr)
    print(f"scratchnn playground: {server.url}  (Ctrl-C stops it)", file=out, flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("stopping the playground", file=out, flush=True)
    finally:
        server.close_all()
        server.server_close()
    return 0
