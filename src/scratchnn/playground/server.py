"""The playground's web server: the page, a small JSON API, and frames as Server-Sent Events.

Python's own :class:`http.server.ThreadingHTTPServer` serves it: one thread per connection, so
a page's event stream and its button presses run side by side, with nothing to install. Every
request passes :mod:`.security`'s checks first (the token, the Host and Origin headers, the
Content-Type, the body's length); the number of connections is bounded
(:data:`MAX_CONNECTIONS`, more get a 503) and a connection that sends nothing for
:data:`CONNECTION_TIMEOUT` seconds is closed. Every setting is checked by
:class:`~scratchnn.playground.settings.PlaygroundConfig`, and the number of sessions is bounded.
A session lives while its page listens: one with no open event stream that no request has used
for ``LIMITS.session_unwatched_seconds`` ends, its training thread with it (a tab closed, a
browser killed), so dead tabs never fill the server.
Every failure comes back as ``{"error": "..."}`` naming its cause, with status 400, 403, 404,
411, 413, 415, 503, or 500 for a fault of the playground itself; no request is answered by a
dropped connection.

Every ``/api/`` request carries the token (``Authorization: token ...`` or ``?token=...``);
every POST has ``Content-Type: application/json`` (the upload: ``text/csv``).

API (``{id}`` is a session's id; every POST body is JSON unless noted)

============================= =======================================================
``GET /``                     the page
``GET /static/<name>``        its scripts, style sheet and icon
``GET /favicon.ico``          the icon (browsers ask for it)
``GET /api/options``          choices (from the registries), limits, defaults
``POST /api/sessions``        a new session (body: settings, optional) -> its state
``GET /api/sessions/{id}``    the session's state: settings, points, lesson, latest frame
``POST .../config``           new settings (more epochs: training goes on) -> state
``POST .../upload``           CSV text (two features and a label per row) -> state
``POST .../play|pause|step``  training controls -> ``{"status": ...}``
``POST .../weight``           set one weight (body: ``layer``, ``row``, ``column``,
                              ``value``) -> the frame that shows it
``POST .../reset``            a fresh network with the same settings -> state
``GET .../events``            the frames, as ``text/event-stream``
``GET .../code``              the Python that reproduces the session (``text/x-python``)
``GET .../model``             the model file (:func:`scratchnn.io.save`)
``DELETE /api/sessions/{id}`` end the session
============================= =======================================================
"""

import csv
import json
import re
import secrets
import socket
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

from .security import LOOPBACK_NAMES, Guard, Refused, host_name
from .session import Session
from .settings import LIMITS, PlaygroundConfig, options, parse_csv

__all__ = ["CONNECTION_TIMEOUT", "MAX_BODY", "MAX_CONNECTIONS", "PlaygroundServer",
           "make_server"]

MAX_BODY = LIMITS.max_upload_bytes + 10_000
"""Largest request body accepted, in bytes (a CSV upload plus room for JSON)."""

MAX_CONNECTIONS = 64
"""Open connections served at once (8 tabs need 8 event streams and a few requests each);
more are answered 503 and closed at once."""

CONNECTION_TIMEOUT = 30.0
"""Seconds a connection may stay silent (or a reply stay unread) before it is closed."""

_STATIC = {"index.html": "text/html; charset=utf-8",
           "app.js": "text/javascript; charset=utf-8",
           "charts.js": "text/javascript; charset=utf-8",
           "diagram.js": "text/javascript; charset=utf-8",
           "learn.js": "text/javascript; charset=utf-8",
           "state.js": "text/javascript; charset=utf-8",
           "style.css": "text/css; charset=utf-8",
           "favicon.svg": "image/svg+xml"}

_SESSION = re.compile(r"^/api/sessions/([A-Za-z0-9_-]{1,64})(?:/([a-z]+))?$")


class PlaygroundServer(ThreadingHTTPServer):
    """The HTTP server with the sessions it holds (at most ``LIMITS.max_sessions``).

    ``token`` is the secret every API request must carry (default: a fresh
    :func:`secrets.token_urlsafe`); ``max_connections`` and ``timeout`` bound the connections
    (:data:`MAX_CONNECTIONS`, :data:`CONNECTION_TIMEOUT`). ``unwatched_seconds`` is how long a
    session with no open event stream and no request lives on (default
    ``LIMITS.session_unwatched_seconds``); the server ends such sessions between requests
    (:meth:`service_actions`). An IPv6 address (``::1``) gets an IPv6 socket.
    """

    daemon_threads = True  # an open event stream must not keep the process alive

    def __init__(self, address, token=None, max_connections=MAX_CONNECTIONS,
                 timeout=CONNECTION_TIMEOUT, unwatched_seconds=None):
        self.unwatched_seconds = (LIMITS.session_unwatched_seconds if unwatched_seconds is None
                                  else unwatched_seconds)
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.max_connections = max_connections
        self.connection_timeout = timeout
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__(address, _Handler)
        self.token = token or secrets.token_urlsafe(32)
        self.guard = Guard.for_address(address[0], self.server_address[1], self.token, MAX_BODY)
        self.sessions = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    @property
    def url(self):
        """The page's address, with the token."""
        host, port = self.server_address[:2]
        return f"http://{host_name(host)}:{port}/?token={self.token}"

    # ---------------------------------------------------------------- connections
    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            self._turn_away(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # the client went away mid-request: no one to tell, nothing to print
        super().handle_error(request, client_address)

    def _turn_away(self, request):
        """A 503 for a connection over the limit, written without waiting, then closed."""
        body = json.dumps({"error": f"too many connections (the playground's limit is "
                                    f"{self.max_connections}); close another tab or try again"})
        reply = (f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}")
        try:
            request.setblocking(False)
            request.send(reply.encode())
        except OSError:
            pass
        self.shutdown_request(request)

    # ---------------------------------------------------------------- sessions

    def new_session(self, config):
        with self.lock:
            ended = self._drop_idle(full=len(self.sessions) >= LIMITS.max_sessions)
            full = len(self.sessions) >= LIMITS.max_sessions
            if not full:
                session_id = secrets.token_urlsafe(12)
                self.sessions[session_id] = None  # reserve the place while the session is built
        for session in ended:  # their threads stopped outside the lock: a join may take an epoch
            session.close()
        if full:
            raise Refused(HTTPStatus.SERVICE_UNAVAILABLE,
                          f"too many sessions (the playground's limit is "
                          f"{LIMITS.max_sessions}); close another tab")
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
        """The session, marked as used now (a request is use; an open event stream keeps it alive)."""
        with self.lock:
            session = self.sessions.get(session_id)
        if session is None:
            raise Refused(HTTPStatus.NOT_FOUND,
                          f"no session {session_id!r} (it ended, or the server restarted); "
                          f"reload the page")
        session.touched = time.monotonic()
        return session

    def holds(self, session_id, session):
        """Whether ``session`` is still this server's session ``session_id``."""
        with self.lock:
            return self.sessions.get(session_id) is session

    def end_session(self, session_id):
        with self.lock:
            session = self.sessions.pop(session_id, None)
        if session is None:
            raise Refused(HTTPStatus.NOT_FOUND, f"no session {session_id!r}")
        session.close()

    def _drop_idle(self, full=False):
        """End the sessions whose page is gone: no open event stream, and no request for
        ``unwatched_seconds``. When the server is ``full``, also those no request has used for
        ``LIMITS.session_idle_seconds``, open stream or not (watching is not using, so no client
        holds every place for good by keeping streams open). Called with the lock held."""
        now = time.monotonic()
        ended = []
        for key, session in list(self.sessions.items()):
            if session is None:
                continue
            idle = now - session.touched
            if ((session.watchers == 0 and idle > self.unwatched_seconds)
                    or (full and idle > LIMITS.session_idle_seconds)):
                del self.sessions[key]
                ended.append(session)
        return ended

    def service_actions(self):
        """Between requests (each poll of ``serve_forever``): end the sessions whose page is
        gone, and their training threads."""
        with self.lock:
            ended = self._drop_idle()
        for session in ended:
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

    def setup(self):
        self.timeout = self.server.connection_timeout  # a silent connection is dropped
        super().setup()

    def log_message(self, format, *args):  # quiet: the terminal shows the URL, not each request
        pass

    # ---------------------------------------------------------------- replies
    def _send(self, status, body, content_type, extra_headers=()):
        self._replied = True
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")  # the token stays in this page
        if self.close_connection:
            self.send_header("Connection", "close")
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, payload, status=HTTPStatus.OK):
        self._send(status, _encode(payload), "application/json")

    def _error(self, status, message):
        self._json({"error": message}, status)

    def _body(self):
        return self._raw_body

    def _json_body(self):
        body = self._body()
        if not body.strip():
            return {}
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise Refused(HTTPStatus.BAD_REQUEST, f"the request body is not JSON: {exc}") \
                from None
        except RecursionError:
            raise Refused(HTTPStatus.BAD_REQUEST,
                          "the request body is not JSON the playground reads: it is nested "
                          "too deeply") from None

    def _check(self):
        """:mod:`.security`'s checks, then the whole body read (within the limit)."""
        guard = self.server.guard
        self._path, _, self._query = self.path.partition("?")
        for name in ("Host", "Content-Length", "Origin", "Authorization"):
            if len(self.headers.get_all(name) or ()) > 1:
                raise Refused(HTTPStatus.BAD_REQUEST, f"the request has more than one {name} "
                                                      f"header", close=True)
        host = self.headers.get("Host")
        guard.check_host(host)
        guard.check_origin(self.headers.get("Origin"), host)
        if self._path.startswith("/api/"):
            guard.check_token(self.headers.get("Authorization"), self._query)
        if self.command == "POST":
            guard.check_content_type(self.headers.get("Content-Type"),
                                     "text/csv" if self._path.endswith("/upload")
                                     else "application/json")
        length = guard.body_length(self.headers.get("Content-Length"),
                                   self.headers.get("Transfer-Encoding"))
        self._raw_body = self.rfile.read(length) if length else b""
        if len(self._raw_body) < length:
            raise Refused(HTTPStatus.BAD_REQUEST,
                          f"the request body ended after {len(self._raw_body)} of its "
                          f"{length} bytes", close=True)

    def _dispatch(self, handler):
        """Run ``handler``; whatever goes wrong becomes a JSON reply that names it."""
        self._raw_body, self._path = b"", self.path
        self._replied = False
        try:
            self._check()  # the body is read first, so an error reply leaves the connection usable
            handler()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True  # the client is gone: nobody to tell
        except Refused as exc:
            self._fail(exc.status, str(exc), close=exc.close)
        except RecursionError:
            self._fail(HTTPStatus.BAD_REQUEST, "the request is nested too deeply to read")
        except (ValueError, TypeError, OverflowError, csv.Error) as exc:
            self._fail(HTTPStatus.BAD_REQUEST, str(exc))
        except Exception as exc:  # a fault of the playground: still a reply, never a hang-up
            self._fail(HTTPStatus.INTERNAL_SERVER_ERROR,
                       f"the playground failed on {self.command} {self._path}: "
                       f"{type(exc).__name__}: {exc}", close=True)

    def _fail(self, status, message, close=False):
        if close or self._replied:
            self.close_connection = True
        if self._replied:  # a reply (an event stream) has begun: closing is all that is left
            return
        try:
            self._error(status, message)
        except OSError:
            self.close_connection = True

    # ---------------------------------------------------------------- routes
    def do_GET(self):
        self._dispatch(self._get)

    def do_POST(self):
        self._dispatch(self._post)

    def do_DELETE(self):
        self._dispatch(self._delete)

    def _get(self):
        path = self._path
        if path in ("/", "/index.html"):
            return self._static("index.html")
        if path.startswith("/static/"):
            return self._static(path[len("/static/"):])
        if path == "/favicon.ico":  # asked for by browsers whatever the page says
            return self._static("favicon.svg")
        if path == "/api/options":
            return self._json(options())
        session_id, action = self._route(path)
        session = self.server.session(session_id)
        if action is None:
            return self._json(session.state())
        if action == "events":
            return self._events(session_id, session)
        if action == "code":
            return self._send(HTTPStatus.OK, session.python_code().encode(),
                              "text/x-python; charset=utf-8",
                              [("Content-Disposition",
                                'attachment; filename="playground_session.py"')])
        if action == "model":
            return self._send(HTTPStatus.OK, session.model_file(), "application/octet-stream",
                              [("Content-Disposition",
                                'attachment; filename="playground-model.npz"')])
        raise Refused(HTTPStatus.NOT_FOUND, f"no such page: GET {path}")

    def _post(self):
        path = self._path
        if path == "/api/sessions":
            config = PlaygroundConfig.from_json(self._json_body())
            session_id, session = self.server.new_session(config)
            return self._json({"id": session_id, **session.state()}, HTTPStatus.CREATED)
        session_id, action = self._route(path)
        session = self.server.session(session_id)
        if action == "config":
            session.configure(PlaygroundConfig.from_json(self._json_body(), session.config))
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
        if action == "weight":
            body = self._json_body()
            keys = {"layer", "row", "column", "value"}
            if not isinstance(body, dict) or set(body) != keys:
                raise TypeError(f"the body must be a JSON object with exactly {sorted(keys)}, "
                                f"got {body!r:.200}")
            frame = session.set_weight(**body)
            return self._json({"version": session.version, **frame})
        if action in ("play", "pause", "step"):
            getattr(session, action)()
            return self._json({"status": session.status, "epoch": session.epoch})
        raise Refused(HTTPStatus.NOT_FOUND, f"no such action: POST {path}")

    def _delete(self):
        session_id, action = self._route(self._path)
        if action is not None:
            raise Refused(HTTPStatus.NOT_FOUND, f"no such action: DELETE {self._path}")
        self.server.end_session(session_id)
        self._json({"ended": session_id})

    def _route(self, path):
        match = _SESSION.match(path)
        if match is None:
            raise Refused(HTTPStatus.NOT_FOUND, f"no such page: {self.command} {path}")
        return match.group(1), match.group(2)

    def _static(self, name):
        if name not in _STATIC:
            raise Refused(HTTPStatus.NOT_FOUND, f"no such file: {name}")
        body = resources.files(__package__).joinpath("static", name).read_bytes()
        self._send(HTTPStatus.OK, body, _STATIC[name])

    def _events(self, session_id, session):
        """Each new frame as one ``data:`` event, until the page goes away, the session ends or
        the server stops.

        While the stream is open the session lives (:attr:`Session.watchers`); when it closes
        (the page went away: a closed tab, a killed browser) the session ends
        ``unwatched_seconds`` later unless a request or a new stream uses it. Watching does not
        count as using the session, though: one that no request has used for
        ``LIMITS.session_idle_seconds`` gives its place up when a new session needs it, open
        stream or not, so no client can hold every place for good by keeping streams open.
        """
        self._replied = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.close_connection = True
        version = -1
        session.watch(+1)
        try:
            while not self.server.stopping.is_set() and self.server.holds(session_id, session):
                try:
                    # Encoded once, mostly by the training thread as it publishes the frame:
                    # this thread then holds the interpreter lock only to send it.
                    version, event = session.wait_for_event(version, timeout=1.0)
                except ValueError as exc:
                    raise Refused(HTTPStatus.INTERNAL_SERVER_ERROR,
                                  f"the frame would hold a number JSON cannot carry ({exc})") \
                        from None
                # A keep-alive finds a closed page within a second.
                self.wfile.write(b": keep-alive\n\n" if event is None else event)
                self.wfile.flush()
        finally:
            session.watch(-1)


def _encode(payload, **options):
    """``payload`` as JSON bytes; a non-finite number is a fault here, never ``Infinity`` on the
    page (whose ``JSON.parse`` refuses it)."""
    try:
        return json.dumps(payload, allow_nan=False, **options).encode()
    except ValueError as exc:
        raise Refused(HTTPStatus.INTERNAL_SERVER_ERROR,
                      f"the reply would hold a number JSON cannot carry ({exc})") from None


def make_server(host="127.0.0.1", port=0, **options):
    """A :class:`PlaygroundServer` bound to ``host:port`` (port 0: a free one), not yet serving.

    ``options`` go to :class:`PlaygroundServer` (``token``, ``max_connections``, ``timeout``).
    """
    return PlaygroundServer((host, port), **options)


def serve(host="127.0.0.1", port=0, open_browser=True, out=sys.stdout):
    """Serve the playground until Ctrl-C; returns 0.

    Prints the URL (and a warning when ``host`` is not the loopback address), and opens it in
    the default browser unless ``open_browser`` is false.
    """
    server = make_server(host, port)
    if host_name(host) not in LOOPBACK_NAMES:
        print(f"warning: the playground listens on {host}, so other machines can reach it; "
              f"anyone who has its address with the token can use it, over plain HTTP. Use it "
              f"only on a network you trust.", file=sys.stderr)
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
