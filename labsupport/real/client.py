"""A small HTTP client for lesson 08: requests to nginx over TCP, or straight to one gunicorn's Unix socket.

Every call has a timeout, so a dead or paused process gives an error, never a hang.
"""
from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from .errors import BadSetup

TIMEOUT = 5.0
"""Seconds a request may take, connect included."""


@dataclass(frozen=True)
class Reply:
    """An HTTP response, read in full."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (any case), or ``None``."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def set_cookies(self) -> dict[str, str]:
        """The cookies this response sets, name to value."""
        jar: SimpleCookie = SimpleCookie()
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                jar.load(value)
        return {name: morsel.value for name, morsel in jar.items()}

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"Reply(status={self.status}, bytes={len(self.body)})"


class _UnixConnection(http.client.HTTPConnection):
    """``HTTPConnection`` that connects to a Unix socket instead of a TCP port."""

    def __init__(self, socket_path: str, *, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def _exchange(connection: http.client.HTTPConnection, method: str, target: str,
              headers: Mapping[str, str] | None, body: bytes | None) -> Reply:
    try:
        connection.request(method, target, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        return Reply(status=response.status, headers=tuple(response.getheaders()), body=response.read())
    except http.client.HTTPException as e:  # e.g. IncompleteRead: the server died while it answered
        raise ConnectionError(f"the answer was cut off or malformed ({type(e).__name__})") from e
    finally:
        connection.close()


def request(url: str, *, method: str = "GET", headers: Mapping[str, str] | None = None,
            body: bytes | None = None, timeout: float = TIMEOUT) -> Reply:
    """Send one request to an ``http://host:port/path`` URL; raises ``OSError`` when nobody answers, or the
    answer is cut off (a server killed while it wrote it)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise BadSetup(f"not an http:// URL: {url!r}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    return _exchange(connection, method, target, headers, body)


def unix_request(socket_path: str, target: str = "/", *, method: str = "GET",
                 headers: Mapping[str, str] | None = None, body: bytes | None = None,
                 timeout: float = TIMEOUT) -> Reply:
    """Send one request over the Unix socket at ``socket_path`` (a gunicorn server, bypassing nginx)."""
    return _exchange(_UnixConnection(socket_path, timeout=timeout), method, target, headers, body)
