"""Users of the real shop over HTTP: each with their own cookie jar, making the simulator's journeys (lesson 08).

A ``RealUser`` is ``SimUser`` over a socket: an ``httpx.Client`` (its own cookie jar) addressing
nginx, keeping any token the shop hands over and sending it back as ``Authorization: Bearer``.
``run_journeys`` makes the journeys ``Lab.run_journeys`` makes, in the same seeded order, and
returns the simulator's own ``JourneyRun``, so the lesson sets a real run beside a simulated one.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

from ..accounts import credentials
from ..clients import RequestRecord
from ..errors import UnknownChoice
from ..scenario import JourneyRun
from .deployment import Deployment
from .errors import RealProcessError

TIMEOUT = 10.0
"""Seconds one request may take, connect included (nginx gives up on a server after 5 s)."""

NO_ANSWER = 0
"""The status recorded for a request that got no HTTP answer at all (a broken connection, a timeout)."""


def shared_transport(*, connections: int = 64) -> httpx.HTTPTransport:
    """One connection pool for many users: each user's ``Client`` keeps its own cookie jar on top of it."""
    return httpx.HTTPTransport(limits=httpx.Limits(max_connections=connections,
                                                   max_keepalive_connections=connections), retries=0)


class RealUser:
    """One user of the real shop: own cookie jar, tokens kept like a browser app keeps them."""

    def __init__(self, index: int, *, base_url: str, transport: httpx.BaseTransport,
                 timeout: float = TIMEOUT) -> None:
        self.index = index
        self.name, self.password = credentials(index)
        self.client = httpx.Client(base_url=base_url, transport=transport, timeout=timeout)
        self.cart: list[str] = []
        """The items this user has added: what a kept session must give back."""
        self.tokens: dict[str, str] = {}
        """Tokens the shop handed over in a JSON body (``access_token``, ``refresh_token``)."""

    def request(self, method: str, path: str, json: Any = None, *,
                headers: Mapping[str, str] | None = None) -> httpx.Response:
        """One request through nginx with this user's cookies and access token; keeps tokens it is handed.

        Raises ``httpx.TransportError`` when no HTTP answer comes back.
        """
        sent = dict(headers or {})
        if "access_token" in self.tokens:
            sent.setdefault("Authorization", f"Bearer {self.tokens['access_token']}")
        response = self.client.request(method, path, json=json, headers=sent)
        body = body_of(response)
        if isinstance(body, dict):
            self.tokens.update({k: v for k, v in body.items() if k.endswith("_token") and isinstance(v, str)})
        return response

    def login(self) -> httpx.Response:
        """Log in with this user's password; a new session has an empty cart."""
        response = self.request("POST", "/login", {"user": self.name, "password": self.password})
        if response.status_code == 200:
            self.cart = []
        return response

    def add_item(self, item: str) -> httpx.Response:
        """Put ``item`` in the cart; remembered only if the shop said yes."""
        response = self.request("POST", "/cart", {"item": item})
        if response.status_code == 200:
            self.cart.append(item)
        return response

    def logged_in(self) -> int:
        """``GET /cart`` now: the status, or ``NO_ANSWER``; 200 means the session and its whole cart are there."""
        try:
            response = self.request("GET", "/cart")
        except httpx.TransportError:
            return NO_ANSWER
        body = body_of(response)
        if response.status_code == 200 and not (isinstance(body, dict) and body.get("cart") == self.cart):
            return 409  # answered, but with another cart: the session is not the one the user built
        return response.status_code

    def journey_step(self, step: int, seq: int) -> RequestRecord:
        """Step 0 logs in; step ``j`` adds ``item<j>`` and checks the whole cart came back (as ``SimUser``)."""
        expected = [*self.cart, f"item{step}"]
        try:
            response = self.login() if step == 0 else self.add_item(f"item{step}")
        except httpx.TransportError as error:
            return RequestRecord(seq, self.name, step, "login" if step == 0 else "add item", NO_ANSWER, None, False,
                                 f"no answer: {type(error).__name__}")
        body = body_of(response)
        if step == 0:
            kept = response.status_code == 200
        else:
            kept = response.status_code == 200 and isinstance(body, dict) and body.get("cart") == expected
        return RequestRecord(seq, self.name, step, "login" if step == 0 else "add item", response.status_code,
                             response.headers.get("X-Served-By"), kept, None if kept else reason_of(response))

    def close(self) -> None:
        """Close this user's client (the shared transport stays open)."""
        self.client.close()

    def __repr__(self) -> str:
        return f"RealUser({self.name!r}, cart={self.cart})"


def body_of(response: httpx.Response) -> Any:
    """The JSON body of ``response``, or ``None`` when it has none."""
    if not response.headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        return response.json()
    except ValueError:
        return None


def reason_of(response: httpx.Response) -> str:
    """Why a request did not keep its session: the shop's reason, or the status."""
    body = body_of(response)
    if isinstance(body, dict) and "reason" in body:
        return str(body["reason"])
    if response.status_code == 200:
        return "cart lost: the server answered with a different cart"
    return f"HTTP {response.status_code}"


@contextmanager
def crowd(url: str, users: int, *, first: int = 0) -> Iterator[list[RealUser]]:
    """``users`` real users (``user<first>`` on) sharing one connection pool; all closed at the end."""
    transport = shared_transport()
    people = [RealUser(first + i, base_url=url, transport=transport) for i in range(users)]
    try:
        yield people
    finally:
        for person in people:
            person.close()
        transport.close()


def align_round_robin(deployment: Deployment) -> int:
    """Send cookie-less ``GET /`` through nginx until the last server answers, so the next goes to ``s1``.

    nginx's round robin is a fixed rotation (one worker, equal weights): aligned, it starts where
    the simulator's ``RoundRobin`` starts. Returns how many requests it took.
    """
    last = list(deployment.servers)[-1]
    with httpx.Client(base_url=deployment.url, timeout=TIMEOUT) as client:
        for sent in range(1, 2 * len(deployment.servers) + 1):
            served = client.get("/").headers.get("X-Served-By")
            client.cookies.clear()  # never pinned by the route cookie: every probe takes the next turn
            if served == last:
                return sent
    raise RealProcessError(f"nginx never sent a request to {last}: is it in the rotation?")


REAL_EVENTS = ("kill", "kill-worker")
"""What may happen between rounds of a real run: ``"kill s1"`` (SIGKILL the server's process
group: a crash) and ``"kill-worker s2"`` (SIGKILL its worker only: the master forks a fresh one)."""

SIMULATED_AS = {"kill": "kill", "kill-worker": "restart"}
"""The simulator's event for each real one: a crash-restarted worker is a restart with empty memory."""


def apply_event(deployment: Deployment, event: str) -> None:
    """Do one real event, e.g. ``"kill s1"`` or ``"kill-worker s2"``."""
    verb, _, name = event.partition(" ")
    if verb not in REAL_EVENTS or not name:
        raise UnknownChoice("real event", event, [f"{verb} s1" for verb in REAL_EVENTS])
    server = deployment.server(name)
    if verb == "kill":
        server.kill()
    else:
        server.kill_worker()


def simulated_events(events: Mapping[int, str | Sequence[str]]) -> dict[int, list[str]]:
    """The simulator's events for real ``events`` (``"kill-worker s2"`` -> ``"restart s2"``)."""
    translated: dict[int, list[str]] = {}
    for round_no, found in events.items():
        for event in [found] if isinstance(found, str) else found:
            verb, _, name = event.partition(" ")
            if verb not in SIMULATED_AS:
                raise UnknownChoice("real event", event, [f"{verb} s1" for verb in REAL_EVENTS])
            translated.setdefault(round_no, []).append(f"{SIMULATED_AS[verb]} {name}")
    return translated


def run_journeys(deployment: Deployment, *, users: int, steps: int, seed: int, strategy: str, policy: str,
                 events: Mapping[int, str | Sequence[str]] | None = None,
                 before_round: Callable[[int], None] | None = None) -> JourneyRun:
    """``Lab.run_journeys`` for real: every user logs in, then adds one item per round; a lost session stops.

    Users take turns in the order ``Lab(seed=seed)`` draws, one request at a time, so with
    nginx's round robin aligned to ``s1`` a real run meets the same servers as the simulated one.
    ``events`` maps a round to real events done just before it (``REAL_EVENTS``).
    """
    order = random.Random(seed)  # the same stream and draws as Lab(seed=seed).rng
    records: list[RequestRecord] = []
    failed: set[int] = set()
    seq = 0
    align_round_robin(deployment)
    with crowd(deployment.url, users) as people:
        for round_no in range(steps):
            found = (events or {}).get(round_no, ())
            for event in [found] if isinstance(found, str) else found:
                apply_event(deployment, event)
            if before_round is not None:
                before_round(round_no)
            active = [i for i in range(users) if i not in failed]
            order.shuffle(active)
            for i in active:
                record = people[i].journey_step(round_no, seq)
                seq += 1
                records.append(record)
                if not record.kept:
                    failed.add(i)
    return JourneyRun(tuple(records), tuple(credentials(i)[0] for i in range(users)), strategy, policy)


__all__ = ["NO_ANSWER", "REAL_EVENTS", "RealUser", "align_round_robin", "apply_event", "body_of", "crowd",
           "reason_of", "run_journeys", "shared_transport", "simulated_events"]
