"""The session store: one Redis for every server of a lab (lessons 05, 06).

By default it is embedded: one ``fakeredis.FakeServer`` per store, shared explicitly by the
client each server opens. When the ``REDIS_URL`` environment variable is set, it is that
real Redis instead. Either way:

- keys live under the store's prefix, and ``clear`` deletes only those (never FLUSHDB);
- a store that is down fails fast (no retry loop), so an app can answer 503 at once;
- ``outage()`` cuts the connections, not the data: when it ends, every key is still there.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import fakeredis
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

STORE_URL_VARIABLE = "REDIS_URL"
TIMEOUT_SECONDS = 0.5
"""How long a call may wait for a real Redis before it counts as down."""

StoreDown = (redis.ConnectionError, redis.TimeoutError)
"""What redis-py raises when the store cannot be reached."""


def masked(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class SwitchableConnection(redis.Connection):
    """A redis-py connection that refuses to talk while its store is in an outage."""

    def __init__(self, *args: Any, is_down: Callable[[], bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._is_down = is_down

    def connect(self) -> None:
        if self._is_down():
            raise redis.ConnectionError("session store unreachable (outage switched on)")
        super().connect()

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        if self._is_down():
            self.disconnect()
            raise redis.ConnectionError("session store unreachable (outage switched on)")
        super().send_packed_command(command, check_health)


class SessionStore:
    """The store every server of one lab shares; each server opens its own client with ``connect``.

    >>> store = SessionStore(embedded=True)
    >>> client = store.connect()
    >>> client.set(store.key("greeting"), "hello", ex=30)
    True
    >>> store.keys()
    ['lab:greeting']
    """

    def __init__(self, *, prefix: str = "lab", url: str | None = None, embedded: bool = False) -> None:
        self.prefix = f"{prefix}:"
        self.url = None if embedded else (url or os.environ.get(STORE_URL_VARIABLE) or None)
        self._down = False
        self._fake_server = fakeredis.FakeServer() if self.url is None else None
        self._admin = self.connect()
        if self.url is not None:
            self.clear()

    @property
    def embedded(self) -> bool:
        """True when this store is fakeredis inside this process."""
        return self.url is None

    @property
    def backend(self) -> str:
        """Which store this is, in words (the password masked)."""
        return "embedded (fakeredis)" if self.url is None else f"Redis at {masked(self.url)}"

    def connect(self) -> redis.Redis:
        """A new client of this store, as one server would open it: strings in, strings out, fail fast."""
        if self._fake_server is not None:
            return fakeredis.FakeRedis(server=self._fake_server, decode_responses=True,
                                       retry=Retry(NoBackoff(), 0))
        assert self.url is not None
        pool = redis.ConnectionPool.from_url(
            self.url, connection_class=SwitchableConnection, is_down=lambda: self._down,
            decode_responses=True, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        return redis.Redis(connection_pool=pool)

    def key(self, *parts: str) -> str:
        """A key under this store's prefix: ``key("session", sid)`` -> ``"lab:session:<sid>"``."""
        return self.prefix + ":".join(parts)

    @property
    def is_down(self) -> bool:
        """True while an outage is switched on."""
        return self._down

    def go_down(self) -> None:
        """Switch an outage on: every client's calls now fail fast. The data stays."""
        self._down = True
        if self._fake_server is not None:
            self._fake_server.connected = False

    def come_back(self) -> None:
        """Switch the outage off: clients reconnect on their next call."""
        self._down = False
        if self._fake_server is not None:
            self._fake_server.connected = True

    @contextmanager
    def outage(self) -> Iterator[SessionStore]:
        """``with store.outage(): ...`` - the store is unreachable inside the block."""
        self.go_down()
        try:
            yield self
        finally:
            self.come_back()

    def keys(self, pattern: str = "*") -> list[str]:
        """This store's keys matching ``pattern`` (after the prefix), sorted."""
        return sorted(self._admin.scan_iter(match=self.prefix + pattern, count=500))

    def count(self, pattern: str = "*") -> int:
        """How many of this store's keys match ``pattern``."""
        return len(self.keys(pattern))

    def clear(self) -> int:
        """Delete every key under this store's prefix (and nothing else); returns how many."""
        found = self.keys()
        if found:
            self._admin.delete(*found)
        return len(found)

    def __repr__(self) -> str:
        state = ", down" if self._down else ""
        return f"SessionStore({self.backend}, prefix={self.prefix!r}{state})"
