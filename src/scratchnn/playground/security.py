"""The checks every request to the playground passes before any session sees it.

A server on 127.0.0.1 is not private: any web page the user visits can send requests to it,
and a page whose domain name rebinds to 127.0.0.1 is even same-origin with it. The playground
closes that hole as a local Jupyter server does:

- a **token** (:func:`secrets.token_urlsafe`, minted at start and printed in the URL) must come
  with every API request, as ``Authorization: token ...`` or ``?token=...`` (an ``EventSource``
  and a download link cannot set headers); it is compared with :func:`hmac.compare_digest`;
- the **Host** header must name this server (the loopback names with its port, or the
  ``--host`` given), which defeats DNS rebinding;
- an **Origin** header, where a browser sends one, must be this server's own;
- a POST must say ``Content-Type: application/json`` (``text/csv`` for an upload): neither is
  a type another site's page can send without the browser asking first, which the playground
  never allows;
- a body must have a ``Content-Length`` that is a non-negative integer within the limit;
  chunked bodies are refused.

Each failed check raises :class:`Refused`, which the server turns into a JSON reply.
"""

import hmac
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qs

__all__ = ["LOOPBACK_NAMES", "Guard", "Refused", "host_name"]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
"""Host names that always reach the server on this machine."""

_WILDCARDS = ("", "0.0.0.0", "::")


class Refused(Exception):
    """A request the playground will not serve: its HTTP status and a message naming the cause.

    ``close`` says the connection must close after the reply (its body was not read).
    """

    def __init__(self, status, message, close=False):
        super().__init__(message)
        self.status = status
        self.close = close


def host_name(host):
    """``host`` as it appears in a Host header: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


@dataclass(frozen=True)
class Guard:
    """The checks of one server: its token, the Host values it answers to, its body limit.

    ``hosts`` is ``None`` when the server listens on every address (``--host 0.0.0.0``): it is
    then reached by names it cannot know, so only the token and the Origin guard it, as
    Jupyter's ``allow_remote_access`` does.
    """

    token: str
    hosts: frozenset
    max_body: int

    @classmethod
    def for_address(cls, host, port, token, max_body):
        if host in _WILDCARDS:
            return cls(token, None, max_body)
        names = {*LOOPBACK_NAMES, host_name(host)}
        hosts = {f"{name}:{port}" for name in names}
        if port == 80:  # a browser leaves the default port out
            hosts |= names
        return cls(token, frozenset(hosts), max_body)

    def check_host(self, host):
        if host is None:
            raise Refused(HTTPStatus.BAD_REQUEST, "the request has no Host header", close=True)
        if self.hosts is not None and host.lower() not in self.hosts:
            raise Refused(HTTPStatus.FORBIDDEN,
                          f"Host {host!r} is not this playground's (it answers to "
                          f"{sorted(self.hosts)}); a page on another site cannot use it",
                          close=True)

    def check_origin(self, origin, host):
        """A browser's ``Origin`` must be this server's own; a client that sends none passes."""
        if origin is not None and origin.lower() != f"http://{host}".lower():
            raise Refused(HTTPStatus.FORBIDDEN,
                          f"Origin {origin!r} is not this playground's (http://{host}); a page "
                          f"on another site cannot use it", close=True)

    def check_token(self, authorization, query):
        """The token from ``Authorization: token ...`` or the query's ``token=...``."""
        given = None
        if authorization is not None:
            scheme, _, value = authorization.strip().partition(" ")
            if scheme.lower() == "token":
                given = value.strip() or None
        if given is None:
            given = (parse_qs(query).get("token") or [None])[0]
        if not given:
            raise Refused(HTTPStatus.FORBIDDEN,
                          "this request has no token: open the address `scratchnn playground` "
                          "printed (it ends in ?token=...), or send the header "
                          "'Authorization: token ...'", close=True)
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"),
                                   self.token.encode()):
            raise Refused(HTTPStatus.FORBIDDEN,
                          "wrong token: open the address `scratchnn playground` printed "
                          "(a restarted playground has a new token)", close=True)

    @staticmethod
    def check_content_type(content_type, expected):
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        if media_type != expected:
            raise Refused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                          f"this request must have 'Content-Type: {expected}', got "
                          f"{content_type!r}", close=True)

    def body_length(self, content_length, transfer_encoding):
        """The body's length in bytes: 0 without a ``Content-Length``."""
        if transfer_encoding is not None:
            raise Refused(HTTPStatus.LENGTH_REQUIRED,
                          f"'Transfer-Encoding: {transfer_encoding}' bodies are not accepted; "
                          f"send a Content-Length", close=True)
        if content_length is None:
            return 0
        text = content_length.strip()
        if not (text.isascii() and text.isdigit()):
            raise Refused(HTTPStatus.BAD_REQUEST,
                          f"Content-Length must be a non-negative integer, got "
                          f"{content_length!r}", close=True)
        length = int(text) if len(text) <= 18 else None  # no need to read a 5,000-digit number
        if length is None or length > self.max_body:
            raise Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                          f"the request body has {length or 'too many'} bytes; the playground "
                          f"accepts at most {self.max_body}", close=True)
        return length
