"""``RouteCookie``: the WSGI middleware that lets nginx keep a user on one server (lesson 08).

Open-source nginx has no ``sticky cookie``, and hashing the session cookie fails at login (the
cookie appears only after the first request, so the login and the next request land on
different servers). Instead each server tells the client its own name in a ``route`` cookie
and nginx maps ``$cookie_route`` to that server.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from types import TracebackType
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from werkzeug.http import dump_cookie
from werkzeug.wrappers import Request

from .errors import BadSetup

ROUTE_COOKIE = "route"
SERVER_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
"""Server names are safe as a cookie value and as an nginx map key."""

ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]


def check_server_name(server: str) -> str:
    """``server`` if it is a usable server name (letters, digits, ``-``, ``_``; at most 32)."""
    if not isinstance(server, str) or not SERVER_NAME.fullmatch(server):
        raise BadSetup(f"server name {server!r} must be 1 to 32 letters, digits, '-' or '_'")
    return server


class RouteCookie:
    """Wrap a WSGI ``app`` so its responses set ``route=<server>`` unless the request carried it already."""

    def __init__(self, app: WSGIApplication, server: str) -> None:
        self.app = app
        self.server = check_server_name(server)
        self.set_cookie = dump_cookie(ROUTE_COOKIE, server, path="/", httponly=True, samesite="Lax")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # the cookies as Flask reads them: werkzeug.http.parse_cookie(environ) raises on a header that is not UTF-8
        if Request(environ, shallow=True).cookies.get(ROUTE_COOKIE) == self.server:
            return self.app(environ, start_response)

        def add_route(status: str, headers: list[tuple[str, str]],
                      exc_info: ExcInfo | None = None) -> Callable[[bytes], object]:
            return start_response(status, [*headers, ("Set-Cookie", self.set_cookie)], exc_info)

        return self.app(environ, add_route)

    def __repr__(self) -> str:
        return f"RouteCookie(server={self.server!r})"
