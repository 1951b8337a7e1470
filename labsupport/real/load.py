"""A bounded load generator for the real shop, and latency summaries (lesson 08).

``run_load`` logs ``users`` users in (each with their own cookie jar and tokens) and has each
make ``requests_per_user`` requests, ``concurrency`` users at a time, until all are done or
``time_limit`` seconds have passed: a fixed amount of work that can never run away. Every
request is timed on the client, over loopback, through nginx.
"""
from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from .crowd import NO_ANSWER, RealUser, shared_transport
from .errors import BadSetup

MAX_REQUESTS = 20_000
"""The most requests one load run may make (users x requests per user)."""


@dataclass(frozen=True)
class Timed:
    """One timed request: who sent it, when (seconds after the run started), how long it took, the answer."""

    user: str
    started: float
    seconds: float
    status: int


@dataclass(frozen=True)
class LoadRun:
    """What a load run did: every timed request, and how many it did not send because time ran out."""

    requests: tuple[Timed, ...]
    not_sent: int
    logins_failed: int

    def statuses(self) -> dict[int, int]:
        """How many requests got each status (``0``: no answer)."""
        return dict(sorted(Counter(r.status for r in self.requests).items()))

    def latencies_ms(self, *, status: int | None = 200) -> list[float]:
        """Milliseconds each request took (only those answered ``status``; ``None``: all)."""
        return [r.seconds * 1000 for r in self.requests if status is None or r.status == status]

    def summary(self) -> dict[str, float | int]:
        """Requests, their 200s, and p50/p95 latency of the 200s in milliseconds."""
        return {"requests": len(self.requests), "200 ok": self.statuses().get(200, 0),
                **percentiles(self.latencies_ms())}

    def __repr__(self) -> str:
        return f"LoadRun(requests={len(self.requests)}, statuses={self.statuses()}, not_sent={self.not_sent})"


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """``{"p50 (ms)": ..., "p95 (ms)": ...}`` of ``values`` (linear interpolation between samples)."""
    if len(values) < 2:
        only = float(values[0]) if values else float("nan")
        return {"p50 (ms)": only, "p95 (ms)": only}
    cuts = statistics.quantiles(values, n=20, method="inclusive")
    return {"p50 (ms)": round(statistics.median(values), 2), "p95 (ms)": round(cuts[18], 2)}


def run_load(url: str, *, users: int = 8, requests_per_user: int = 25, path: str = "/profile",
             concurrency: int = 4, time_limit: float = 20.0, first_user: int = 0) -> LoadRun:
    """Log ``users`` users in, then time ``requests_per_user`` ``GET path`` each, ``concurrency`` at once.

    Logins are not timed. A request without an HTTP answer counts with status ``0``; requests
    not sent before ``time_limit`` seconds count in ``not_sent``.
    """
    for name, value, low, high in (("users", users, 1, 1000), ("requests_per_user", requests_per_user, 1, 10_000),
                                   ("concurrency", concurrency, 1, 64)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise BadSetup(f"{name}={value!r} must be a whole number from {low} to {high}")
    if users * requests_per_user > MAX_REQUESTS:
        raise BadSetup(f"at most {MAX_REQUESTS} requests per run, not {users * requests_per_user}")
    if not 0 < time_limit <= 600:
        raise BadSetup("time_limit must be seconds between 0 and 600")
    transport = shared_transport(connections=concurrency + 4)
    people = [RealUser(first_user + i, base_url=url, transport=transport) for i in range(users)]
    timed: list[Timed] = []
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + time_limit

    def one_user(person: RealUser) -> tuple[int, bool]:
        """This user's requests; returns (requests not sent, login failed)."""
        try:
            login_ok = person.login().status_code == 200
        except httpx.TransportError:
            login_ok = False
        mine = []
        for _ in range(requests_per_user):
            if time.perf_counter() > deadline:
                break
            sent = time.perf_counter()
            try:
                status = person.request("GET", path).status_code
            except httpx.TransportError:
                status = NO_ANSWER
            mine.append(Timed(person.name, sent - started, time.perf_counter() - sent, status))
        with lock:
            timed.extend(mine)
        return requests_per_user - len(mine), not login_ok

    try:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            outcomes = list(pool.map(one_user, people))
    finally:
        for person in people:
            person.close()
        transport.close()
    return LoadRun(tuple(sorted(timed, key=lambda t: t.started)), sum(n for n, _ in outcomes),
                   sum(failed for _, failed in outcomes))


__all__ = ["MAX_REQUESTS", "LoadRun", "Timed", "percentiles", "run_load"]
