"""A simulated user's browser: one cookie jar and a lean way to send a request through WSGI (lesson 00).

``Browser`` is werkzeug's test ``Client``: its cookie jar, its ``Set-Cookie`` parsing and the
rules for which cookies go with which request are werkzeug's own. Only the request path is
leaner than ``Client.open``: the WSGI environ starts from a template built once per browser,
and the answer is read into a plain werkzeug ``Response``. Every request a simulated user
makes goes through here, so this is where the simulator spends most of its time on the client side.
"""
from __future__ import annotations

import functools
import io
import json as jsonlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from werkzeug.test import Client, Cookie, EnvironBuilder
from werkzeug.wrappers import Response

SERVER_NAME = "localhost"
"""The host every simulated request is sent to: the balancer's address, as a browser sees it."""

WSGIApp = Callable[..., Iterable[bytes]]


@functools.cache
def base_environ() -> dict[str, Any]:
    """The WSGI environ werkzeug builds for ``GET /`` on ``localhost``, without body or cookies: every
    browser's template (built once; each request copies it and fills in its own parts)."""
    environ = EnvironBuilder(path="/").get_environ()
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_COOKIE", "wsgi.input"):
        environ.pop(key, None)
    return environ


class Browser(Client):
    """One user's browser: werkzeug's cookie jar and cookie parsing, and a lean ``send``.

    ``address`` is the client's own address (``REMOTE_ADDR``), what hash-based balancing keys on.
    """

    def __init__(self, app: WSGIApp, *, address: str) -> None:
        super().__init__(app)
        self.address = address
        self._template = {**base_environ(), "REMOTE_ADDR": address}

    def send(self, method: str, path: str, *, json: Any = None, headers: Mapping[str, str] | None = None) -> Response:
        """One request to the app: ``json`` (if given) as the body, the jar's cookies, ``headers``; the answer."""
        environ = dict(self._template)
        path, _, query = path.partition("?")
        # WSGI's PATH_INFO is the unquoted path, its UTF-8 bytes read as latin-1 (as werkzeug builds it)
        environ.update(REQUEST_METHOD=method, PATH_INFO=unquote(path).encode().decode("latin-1"), QUERY_STRING=query)
        body = b"" if json is None else jsonlib.dumps(json).encode()
        environ["wsgi.input"] = io.BytesIO(body)
        if json is not None:
            environ["CONTENT_TYPE"] = "application/json"
            environ["CONTENT_LENGTH"] = str(len(body))
        for name, value in (headers or {}).items():
            key = name.upper().replace("-", "_")
            environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key] = value
        cookie = "; ".join(c._to_request_header() for c in self._jar() if c._matches_request(SERVER_NAME, path))
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        captured: list[Any] = []

        def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, response_headers]
            return lambda data: None

        chunks = self.application(environ, start_response)
        try:
            data = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        status, response_headers = captured
        response = Response(data, status, response_headers)
        self._update_cookies_from_response(SERVER_NAME, path, response.headers.getlist("Set-Cookie"))
        return response

    def _jar(self) -> Iterable[Cookie]:
        return self._cookies.values() if self._cookies is not None else ()

    def __repr__(self) -> str:
        return f"Browser({self.address} -> {self.application!r})"


__all__ = ["SERVER_NAME", "Browser", "base_environ"]
