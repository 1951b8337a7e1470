"""The environment check a learner runs first, in lesson 00: ``lab.check_environment()``.

It reports what the course relies on, one row each: the Python version, the pinned
libraries, whether widgets can be live, which session store the course will use, and that
the embedded store works and obeys simulated time. Every value is stable between machines
that installed the lock (major.minor Python only, no timings, no clock readings), so the
stored output of lesson 00 survives nbval. A problem is a row with ``ok=False`` and a fix,
never an exception; a real Redis that does not answer is given about one second.
"""
from __future__ import annotations

import sys
from importlib import metadata
from typing import Any

from .settings import REDIS_URL_VARIABLE, mask_url, redis_url, scrub
from .tables import Table

MIN_PYTHON = (3, 11)
"""The oldest Python the course supports."""

PACKAGES = ("flask", "werkzeug", "pyjwt", "fakeredis", "redis", "time-machine", "matplotlib", "ipywidgets")
"""The libraries the lessons use directly, by their distribution names (versions from the lock)."""

PING_TIMEOUT = 1.0
"""Seconds a real Redis gets to accept the connection and answer PING (each, no retries)."""

INSTALL_FIX = "install the pinned packages: `bash course.sh lab`, or `pip install -r requirements.txt`"


def check_environment() -> Table:
    """Check this machine for the course (lesson 00); a table with columns check, result, ok.

    Run it first. Nothing here raises: every problem is a row with ``ok=False`` and what
    to do about it. With ``REDIS_URL`` set, the real Redis there gets one PING with a
    one-second limit; the embedded fakeredis store is checked either way, because lessons
    whose results depend on expiry always run on it.
    """
    rows = [python_row(), *(package_row(name) for name in PACKAGES), widgets_row(),
            *session_store_rows(redis_url()), *embedded_store_rows()]
    failed = sum(not row["ok"] for row in rows)
    verdict = (f"all {len(rows)} checks passed" if not failed
               else f"{failed} of {len(rows)} checks failed: the result column says how to fix each")
    return Table(rows, columns=["check", "result", "ok"], title=f"Environment check (lesson 00): {verdict}")


def _row(check: str, result: str, ok: bool) -> dict[str, Any]:
    return {"check": check, "result": result, "ok": ok}


def python_row(version: tuple[int, ...] | None = None) -> dict[str, Any]:
    """Python's major.minor version (the patch level differs between machines) and whether it is new enough."""
    major, minor = (version or (sys.version_info.major, sys.version_info.minor))[:2]
    needed = ".".join(map(str, MIN_PYTHON))
    ok = (major, minor) >= MIN_PYTHON
    result = f"{major}.{minor}" if ok else f"{major}.{minor}: too old, install Python {needed} or newer"
    return _row(f"Python ({needed} or newer)", result, ok)


def package_row(name: str) -> dict[str, Any]:
    """The installed version of distribution ``name``, or how to install it."""
    try:
        return _row(name, metadata.version(name), True)
    except metadata.PackageNotFoundError:
        return _row(name, f"not installed: {INSTALL_FIX}", False)


def in_kernel() -> bool:
    """True when this code runs in a Jupyter kernel (IPython with a kernel attached)."""
    ipython = sys.modules.get("IPython")  # never imported here: a kernel has imported it already
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def widgets_row() -> dict[str, Any]:
    """Whether interactive widgets can be live here: ipywidgets installed and a Jupyter kernel running."""
    check = "widgets (ipywidgets in a kernel)"
    try:
        version = metadata.version("ipywidgets")
    except metadata.PackageNotFoundError:
        return _row(check, f"ipywidgets missing, widgets cannot be shown: {INSTALL_FIX}", False)
    if not in_kernel():
        return _row(check, f"ipywidgets {version}, but no Jupyter kernel: widgets show as text "
                           "(run the notebook in JupyterLab; plots and tables work anyway)", False)
    return _row(check, "live: this notebook runs in a Jupyter kernel with ipywidgets", True)


def ping_redis(url: str, *, timeout: float = PING_TIMEOUT) -> str | None:
    """Send one PING to the Redis at ``url``; ``None`` when it answered, else what went wrong.

    The client waits at most ``timeout`` seconds to connect and ``timeout`` for each reply,
    and never retries (redis-py 8 retries with backoff by default: seconds per call to a dead
    server). Never raises: an unreachable server or a malformed URL is a message too, with
    any password in it masked.
    """
    try:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError:
        return f"redis-py is not installed: {INSTALL_FIX}"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                      retry=Retry(NoBackoff(), 0))
    except (ValueError, TypeError) as e:
        return scrub(f"REDIS_URL is not a usable Redis URL ({e}); "
                      "fix: use one like redis://127.0.0.1:6379/0, or unset REDIS_URL to use the embedded store", url)
    try:
        answered = client.ping()
    except (redis.RedisError, OSError, ValueError) as e:
        return scrub(f"no answer to PING within {timeout:g} s ({type(e).__name__}: {e}); fix: start Redis there "
                      "(e.g. `redis-server --port 6379 --bind 127.0.0.1`), correct REDIS_URL, "
                      "or unset REDIS_URL to use the embedded store", url)
    finally:
        client.close()
    return None if answered else "the server did not answer PING with PONG; fix: check that REDIS_URL points at Redis"


def session_store_rows(redis_url: str | None) -> list[dict[str, Any]]:
    """Which session store the course will use: embedded (``REDIS_URL`` unset) or the real Redis, pinged."""
    if not redis_url:
        return [_row("session store", "embedded (fakeredis): REDIS_URL is not set", True)]
    problem = ping_redis(redis_url)
    return [_row("session store", f"real Redis at {mask_url(redis_url)}", problem is None),
            _row("Redis PING", problem or f"answered within {PING_TIMEOUT:g} s", problem is None)]


def embedded_store_rows() -> list[dict[str, Any]]:
    """Prove the embedded store works: a key set with ``ex=30`` reads back, and is gone 31 simulated seconds later.

    Uses its own ``fakeredis.FakeServer``, so it touches no store a lesson uses.
    """
    check, timed = "embedded store (fakeredis)", "simulated time (time-machine)"
    try:
        import fakeredis
    except ImportError:
        return [_row(check, f"fakeredis is not installed: {INSTALL_FIX}", False),
                _row(timed, "not checked: the embedded store is missing", False)]
    try:
        from .clock import SimClock
    except ImportError:
        return [_row(check, "not checked: time-machine is missing", False),
                _row(timed, f"time-machine is not installed: {INSTALL_FIX}", False)]

    store = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    key, value = "lab:environment-check", b"ok"
    with SimClock() as clock:
        store.set(key, value, ex=30)
        read_back = store.get(key)
        clock.advance(31)
        after_expiry = store.get(key)
    store.close()
    works = read_back == value
    rows = [_row(check, "set a key with ex=30 s and read it back" if works
                 else f"set a key and read back {read_back!r} instead of {value!r}: {INSTALL_FIX}", works)]
    expired = after_expiry is None
    rows.append(_row(timed, "that key is gone 31 simulated seconds later" if expired
                     else f"the key outlived its 30 s expiry (still {after_expiry!r}): {INSTALL_FIX}", expired))
    return rows


__all__ = ["MIN_PYTHON", "PACKAGES", "PING_TIMEOUT", "REDIS_URL_VARIABLE", "check_environment",
           "embedded_store_rows", "in_kernel", "mask_url", "package_row", "ping_redis", "python_row",
           "session_store_rows", "widgets_row"]
