"""The session store: one Redis for every server of a lab (lessons 05, 06, 08).

By default it is embedded: one ``fakeredis.FakeServer`` per store, shared explicitly by the
client each server opens. ``SessionStore.from_env()`` uses the real Redis named by
``REDIS_URL`` instead, when it is set. Either way:

- keys live under the store's prefix; a lab's prefix carries a random part, so two labs (two
  kernels, two CI runs) never share keys; ``keys()`` lists keys relative to the prefix, so
  what a lesson prints is the same on every run;
- building a store deletes nothing: ``clear()`` is an explicit call, and it deletes only the
  store's own prefix (never FLUSHDB). A server process that restarts finds every session;
- a store that is down fails fast (no retry loop), so an app can answer 503 at once;
- ``outage()`` cuts the connections, not the data: when it ends, every key is still there;
- a store with a random prefix on a real Redis deletes its keys once nothing can reach it any more
  (garbage collected, or the process exits), so labs leave nothing behind in a Redis they share.
"""
from __future__ import annotations

import secrets
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import fakeredis
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .errors import StoreUnavailable
from .settings import mask_url, redis_url

TIMEOUT_SECONDS = 0.5
"""How long a call may wait for a real Redis before it counts as down."""

StoreDown = (redis.ConnectionError, redis.TimeoutError)
"""What redis-py raises when the store cannot be reached."""


# shown in lesson 06
@contextmanager
def fail_closed(reason: str = "session store unavailable") -> Iterator[None]:
    """Turn "the store cannot be reached" into ``StoreUnavailable`` (503) with ``reason``, never a 500 or a hang.

    Any other refusal by the store (a command it rejects) is a 503 too, with its own reason:
    the session cannot be checked, so the request is refused, and nothing is half-written.
    """
    try:
        yield
    except StoreDown as e:
        raise StoreUnavailable(reason) from e
    except redis.RedisError as e:
        raise StoreUnavailable(f"session store error: it refused the command ({type(e).__name__})") from e


def as_text(value: bytes | str) -> str:
    """A value read from the store as text (every client here decodes responses; bytes only in theory)."""
    return value.decode() if isinstance(value, bytes) else value


def _forget_prefix(url: str, prefix: str) -> None:
    """Delete every key under ``prefix`` (a store's private one) from the Redis at ``url``, if it answers."""
    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS,
                                  retry=Retry(NoBackoff(), 0))
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=500))
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        pass  # down, or refusing: a finalizer has no one to tell, and the keys are only a lab's
    finally:
        client.close()


class SessionStore:
    """The store every server of one lab shares; each server opens its own client with ``connect``.

    ``url`` names a real Redis; without one the store is embedded (fakeredis). ``isolate``
    adds a random part to the key prefix, so this store's keys are its own even on a Redis
    that other labs use; a real deployment, whose processes must share one prefix, passes
    ``isolate=False``.

    >>> store = SessionStore(prefix="demo")
    >>> client = store.connect()
    >>> client.set(store.key("greeting"), "hello", ex=30)
    True
    >>> store.keys()
    ['greeting']
    """

    def __init__(self, *, prefix: str = "lab", url: str | None = None, isolate: bool = True) -> None:
        self.name = prefix
        """The prefix as given: what ``repr`` shows."""
        self.prefix = f"{prefix}-{secrets.token_hex(4)}:" if isolate else f"{prefix}:"
        """What every key of this store starts with."""
        self.url = url
        self._down = False
        self._fake_server = fakeredis.FakeServer() if url is None else None
        self._pools: weakref.WeakSet[redis.ConnectionPool] = weakref.WeakSet()
        self._admin = self.connect()
        if url is not None and isolate:  # nobody else can know this prefix: its keys die with the store
            weakref.finalize(self, _forget_prefix, url, self.prefix)

    @classmethod
    def from_env(cls, *, prefix: str = "lab", isolate: bool = True) -> SessionStore:
        """The store the course uses: the Redis at ``REDIS_URL`` when it is set, else an embedded one."""
        return cls(prefix=prefix, url=redis_url(), isolate=isolate)

    @property
    def embedded(self) -> bool:
        """True when this store is fakeredis inside this process."""
        return self.url is None

    @property
    def backend(self) -> str:
        """Which store this is, in words (any password masked)."""
        return "embedded (fakeredis)" if self.url is None else f"Redis at {mask_url(self.url)}"

    def connect(self) -> redis.Redis:
        """A new client of this store, as one server would open it: strings in, strings out, fail fast."""
        options: dict[str, Any] = {"decode_responses": True, "retry": Retry(NoBackoff(), 0)}
        client: redis.Redis
        if self.url is None:
            client = fakeredis.FakeRedis(server=self._fake_server, **options)
        else:
            client = redis.Redis.from_url(self.url, socket_timeout=TIMEOUT_SECONDS,
                                          socket_connect_timeout=TIMEOUT_SECONDS,
                                          redis_connect_func=self._on_connect, **options)
        self._pools.add(client.connection_pool)
        return client

    def _on_connect(self, connection: redis.connection.AbstractConnection) -> None:
        """redis-py's connect hook: refuse while an outage is switched on, else the usual handshake."""
        if self._down:
            raise redis.ConnectionError("session store unreachable (outage switched on)")
        connection.on_connect()

    def key(self, *parts: str) -> str:
        """A full key under this store's prefix: ``key("session", sid)`` -> ``"<prefix>session:<sid>"``."""
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
        for pool in list(self._pools):
            pool.disconnect()  # open connections close; new ones meet the connect hook

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
        """This store's keys matching ``pattern``, relative to the prefix (``"session:sid_..."``), sorted."""
        return sorted(key[len(self.prefix):] for key in self._admin.scan_iter(match=self.prefix + pattern, count=500))

    def count(self, pattern: str = "*") -> int:
        """How many of this store's keys match ``pattern``."""
        return len(self.keys(pattern))

    def clear(self) -> int:
        """Delete every key under this store's prefix (and nothing else); returns how many."""
        found = [self.prefix + key for key in self.keys()]
        if found:
            self._admin.delete(*found)
        return len(found)

    def __repr__(self) -> str:
        state = ", down" if self._down else ""
        return f"SessionStore({self.backend}, prefix={self.name!r}{state})"


__all__ = ["TIMEOUT_SECONDS", "SessionStore", "StoreDown", "as_text", "fail_closed"]
