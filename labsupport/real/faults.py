"""Faults done to real processes while users shop, and what the users lost (lesson 08).

"Zero sessions lost" means: every user logged in before the fault is still logged in after it,
with exactly the cart the shop said yes to. Requests in flight during the fault (no answer, or
an answer from a server that died mid-request) are counted apart: whether they took effect is
unknown, so their items may or may not be in the cart.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from . import procfs
from .crowd import NO_ANSWER, RealUser, crowd
from .deployment import Deployment
from .errors import RealProcessError


def log_in_all(people: list[RealUser], *, items: int = 1) -> None:
    """Every user logs in and adds ``items`` items; any refusal is a broken setup, not a result."""
    for person in people:
        if person.login().status_code != 200:
            raise RealProcessError(f"{person.name} could not log in before the fault")
        for n in range(items):
            if person.add_item(f"before{n}").status_code != 200:
                raise RealProcessError(f"{person.name} could not fill the cart before the fault")


def still_logged_in(people: list[RealUser], *, unknown: dict[str, set[str]] | None = None) -> int:
    """How many users get their session back with exactly the cart the shop said yes to.

    Items of requests whose outcome is unknown (``unknown[user]``) may be there or not.
    """
    kept = 0
    for person in people:
        try:
            response = person.request("GET", "/cart")
        except httpx.TransportError:
            continue
        if response.status_code != 200:
            continue
        maybe = (unknown or {}).get(person.name, set())
        cart = response.json().get("cart")
        kept += isinstance(cart, list) and [item for item in cart if item not in maybe] == person.cart
    return kept


@dataclass(frozen=True)
class WorkerCrash:
    """A gunicorn worker SIGKILLed while users filled their carts from several threads."""

    users: int
    kept: int
    in_flight: int
    statuses: dict[int, int]
    worker_replaced: bool

    def summary(self) -> dict[str, object]:
        """The teaching result: sessions kept, counted the same way every run."""
        return {"users logged in before the kill": self.users,
                "still logged in, cart intact, after it": self.kept, "sessions lost": self.users - self.kept,
                "killed worker replaced by its master": self.worker_replaced}

    def details(self) -> dict[str, object]:
        """What varies from run to run: which requests were in flight at the kill."""
        return {"requests in flight at the kill (outcome unknown)": self.in_flight,
                "answers, by status": self.statuses}


def worker_crash_under_load(deployment: Deployment, *, server: str = "s2", users: int = 24, rounds: int = 8,
                            concurrency: int = 6) -> WorkerCrash:
    """Users add ``rounds`` items each from ``concurrency`` threads; ``server``'s worker is SIGKILLed halfway."""
    target = deployment.server(server)
    half = users * rounds // 2
    done = threading.Semaphore(0)
    with crowd(deployment.url, users) as people:
        log_in_all(people, items=0)
        unknown: dict[str, set[str]] = {p.name: set() for p in people}
        statuses: Counter[int] = Counter()
        lock = threading.Lock()

        def shop(person: RealUser) -> None:
            sent = 0
            try:
                for n in range(rounds):
                    item = f"item{n}"
                    try:
                        answer = person.add_item(item).status_code
                    except httpx.TransportError:
                        answer = NO_ANSWER
                    with lock:
                        statuses[answer] += 1
                        if answer != 200:  # a 502 from nginx, or nothing: the worker died with it
                            unknown[person.name].add(item)
                    sent += 1
                    done.release()
            finally:  # a thread that failed still counts its rounds, so the wait below ends; its error surfaces
                for _ in range(rounds - sent):
                    done.release()

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            futures = [pool.submit(shop, person) for person in people]
            for _ in range(half):
                done.acquire()
            killed = target.kill_worker(wait=True)
            for future in futures:
                future.result()
        replaced = target.worker_pid not in (None, killed)
        kept = still_logged_in(people, unknown=unknown)
    in_flight = sum(len(items) for items in unknown.values())
    return WorkerCrash(users, kept, in_flight, dict(sorted(statuses.items())), replaced)


@dataclass(frozen=True)
class Answer:
    """One request of the outage run: when it was sent and answered (seconds after the start), its status."""

    sent: float
    answered: float
    status: int


@dataclass(frozen=True)
class RedisPause:
    """redis-server frozen with SIGSTOP for ``seconds`` while users kept asking for their carts."""

    users: int
    seconds: float
    stopped_at: float
    resumed_at: float
    answers: tuple[Answer, ...]
    kept: int

    def during(self) -> list[Answer]:
        """Requests sent after the stop and answered before the resume."""
        return [a for a in self.answers if self.stopped_at <= a.sent and a.answered <= self.resumed_at]

    def first_503(self) -> float | None:
        """Seconds from the stop to the first 503."""
        found = [a.answered for a in self.answers if a.status == 503 and a.answered >= self.stopped_at]
        return min(found) - self.stopped_at if found else None

    def slowest_during(self) -> float:
        """The longest any request sent during the stop waited for its answer, in seconds."""
        return max((a.answered - a.sent for a in self.during()), default=0.0)

    def summary(self) -> dict[str, object]:
        """The teaching result, the same on every run."""
        statuses = sorted({a.status for a in self.during()})
        return {"redis frozen for (s)": self.seconds,
                "statuses answered during the freeze": ", ".join(map(str, statuses)),
                "every request answered within 1 s": self.slowest_during() < 1.0,
                "users logged in before": self.users, "still logged in, cart intact, after": self.kept,
                "sessions lost": self.users - self.kept}

    def details(self) -> dict[str, object]:
        """The live measurements: they vary from run to run."""
        first = self.first_503()
        return {"time to the first 503 (s)": round(first, 3) if first is not None else None,
                "slowest answer during the freeze (s)": round(self.slowest_during(), 3),
                "answers during the freeze": dict(Counter(a.status for a in self.during())),
                "requests in the whole run": len(self.answers)}


def redis_pause(deployment: Deployment, *, seconds: float = 3.0, users: int = 30, clients: int = 4,
                settle: float = 1.0) -> RedisPause:
    """Users log in; ``clients`` threads ask for carts nonstop; Redis is frozen (SIGSTOP) for ``seconds``.

    Then SIGCONT. The freeze is timed from the moment /proc shows redis-server stopped.
    """
    redis = deployment.redis
    if redis is None:
        raise RealProcessError("this deployment has no redis-server to freeze")
    with crowd(deployment.url, users) as people:
        log_in_all(people)
        answers: list[Answer] = []
        lock = threading.Lock()
        stop = threading.Event()
        start = time.monotonic()

        def ask(mine: list[RealUser]) -> None:
            turn = 0
            while not stop.is_set():
                sent = time.monotonic() - start
                try:
                    found = mine[turn % len(mine)].request("GET", "/cart").status_code
                except httpx.TransportError:
                    found = NO_ANSWER
                with lock:
                    answers.append(Answer(sent, time.monotonic() - start, found))
                turn += 1

        with ThreadPoolExecutor(max_workers=clients) as pool:
            futures = [pool.submit(ask, people[i::clients]) for i in range(clients)]
            try:
                time.sleep(settle)
                redis.pause()
                try:
                    wait_until_stopped(redis.pid)
                    stopped_at = time.monotonic() - start
                    time.sleep(seconds)
                finally:
                    resumed_at = time.monotonic() - start
                    redis.resume()
                time.sleep(settle)
            finally:
                stop.set()
            for future in futures:
                future.result()
        kept = still_logged_in(people)
    return RedisPause(users, seconds, stopped_at, resumed_at, tuple(sorted(answers, key=lambda a: a.sent)), kept)


def wait_until_stopped(pid: int | None, *, timeout: float = 2.0) -> None:
    """Return once process ``pid`` is stopped: a signal is delivered a moment after ``kill`` returns."""
    deadline = time.monotonic() + timeout
    while pid is not None and procfs.state(pid) not in ("T", "t"):
        if time.monotonic() > deadline:
            raise RealProcessError(f"process {pid} did not stop within {timeout:g} s of SIGSTOP")
        time.sleep(0.001)


def sessions_through(deployment: Deployment, fault: Callable[[], object], *, users: int = 30, first: int = 0) -> int:
    """Users log in and add an item; ``fault()`` happens; how many are still logged in with their cart."""
    with crowd(deployment.url, users, first=first) as people:
        log_in_all(people)
        fault()
        return still_logged_in(people)


__all__ = ["RedisPause", "WorkerCrash", "log_in_all", "redis_pause", "sessions_through", "still_logged_in",
           "worker_crash_under_load"]
