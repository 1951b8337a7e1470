"""One scenario suite, run against every setup: the measurements behind lesson 07's table.

Every function builds its own seeded labs, so a second call gives the same numbers. Everything
here is counted or simulated (journeys, bytes, round trips, simulated seconds); the one live
timing is ``request_costs``, which no verdict reads. The revocation probe depends on expiry, so
it runs on an embedded store even when ``REDIS_URL`` names a real Redis; the rest use the store
``SessionStore.from_env`` gives.
"""
from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import lru_cache, partial
from types import MappingProxyType
from typing import Any

import redis
from werkzeug.test import Client

from ..clients import SimUser, expect_ok
from ..clock import SimClock
from ..scenario import Events, JourneyRun, Lab
from ..sessions import ReplicatedMemorySessions, SessionStrategy
from ..store import SessionStore, as_text
from ..store_experiments import MODELLED_RTT_MS, median_microseconds, request_bytes
from ..tables import Table
from .setups import SETUPS, Setup

USERS = 100
"""Users in each scenario run (small and seeded, so the whole suite runs in seconds)."""
STEPS = 4
"""Requests per journey: a login, then cart updates."""
SERVERS = 3
PER_USERS = 10_000
"""Memory is reported per this many users, extrapolated linearly from a run with ``USERS``."""
CART_ITEMS = 3
"""Items in the cart when the bytes a request carries are measured."""
REVOCATION_HORIZON = 24 * 3600
"""How long (simulated seconds) the revocation probe waits before it reports "not within a day"."""

EVENTS: Mapping[str, Events] = {
    "server dies": {2: "kill s1"},
    "rolling deploy": {2: "rolling_restart"},
    "scale out": {2: "add_server"},
}
"""The cluster events each setup goes through, each in its own run, before round 2."""


class CountingStore(SessionStore):
    """A session store that counts the round trips its clients make (lesson 07).

    redis-py takes one connection from a client's pool for each command, and one for each
    pipeline however many commands it holds: that is one round trip to the store. Counting
    those checkouts counts round trips, on fakeredis and on a real Redis alike.
    """

    def __init__(self, *, prefix: str = "lab", url: str | None = None, isolate: bool = True) -> None:
        self.round_trips = 0
        """Round trips made so far by every client of this store."""
        super().__init__(prefix=prefix, url=url, isolate=isolate)

    def connect(self) -> redis.Redis:
        client = super().connect()
        pool = client.connection_pool
        checkout = pool.get_connection

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.round_trips += 1
            return checkout(*args, **kwargs)

        # Wrapping this one client's pool method is the hook: redis-py's public event dispatcher, the other
        # place to observe checkouts, is not handed to fakeredis's pool, so it would count nothing here.
        pool.get_connection = counted  # type: ignore[method-assign]  # an instance attribute by design
        return client


def build_lab(setup: Setup, *, users: int = USERS, seed: int = 0, embedded: bool = False,
              policy: str | None = None) -> Lab:
    """A seeded lab running ``setup`` (or its strategy behind ``policy``), with a counting store if it needs one.

    ``embedded=True`` forces fakeredis, for anything that depends on expiry.
    """
    store = None
    if setup.needs_store:
        prefix = f"lesson07-{setup.name}-{seed}"
        store = CountingStore(prefix=prefix) if embedded else CountingStore.from_env(prefix=prefix)
    return Lab(servers=SERVERS, strategy=setup.spec, policy=policy or setup.policy, users=users, seed=seed,
               store=store)


def counting_store(lab: Lab) -> CountingStore | None:
    """The lab's counting store, if its strategy has one."""
    return lab.store if isinstance(lab.store, CountingStore) else None


# --- journeys ------------------------------------------------------------------------------


def steady_run(setup: Setup, *, policy: str | None = None, users: int = USERS, steps: int = STEPS,
               seed: int = 0) -> tuple[Lab, JourneyRun]:
    """A seeded lab running ``setup`` (behind ``policy``) and its ``users`` journeys, with no event."""
    lab = build_lab(setup, users=users, seed=seed, policy=policy)
    return lab, lab.run_journeys(steps)


def journeys_kept(setup: Setup, *, policy: str | None = None, events: Events | None = None, users: int = USERS,
                  steps: int = STEPS, seed: int = 0) -> int:
    """Journeys kept to the end by ``users`` users of ``setup`` (behind ``policy``, through ``events``)."""
    run = build_lab(setup, users=users, seed=seed, policy=policy).run_journeys(steps, events=events)
    return len(run.kept_users)


def users_logged_out(setup: Setup, event: str, *, users: int = USERS, steps: int = STEPS, seed: int = 0) -> int:
    """Users of ``setup`` who lost their session in a run with one of the ``EVENTS``."""
    run = build_lab(setup, users=users, seed=seed).run_journeys(steps, events=EVENTS[event])
    return len(run.lost_users)


def refused_in_store_outage(setup: Setup, *, users: int = USERS, seed: int = 0) -> int:
    """Users refused only because the session store was down.

    Two seeded runs alike but for the store: every user logs in, then asks for the cart, once
    with the store up and once with it down; the count is the refusals the outage added. A setup
    without a store has nothing to take down: its one run is both, and adds none.
    """
    refused = []
    for down in (False, True) if setup.needs_store else (False,):
        lab = build_lab(setup, users=users, seed=seed)
        with SimClock():
            for user in lab.users:
                expect_ok(user.login(), "a login before the outage")
            with lab.store.outage() if down and lab.store is not None else nullcontext():
                refused.append(sum(user.request("GET", "/cart").status_code != 200 for user in lab.users))
    return refused[-1] - refused[0]


# --- resources -----------------------------------------------------------------------------


def store_bytes(store: SessionStore) -> int:
    """Bytes of keys and values a store holds for its sessions (strings and sets), prefix left out."""
    client = store.connect()
    total = 0
    for key in store.keys():
        full = store.prefix + key
        kind = client.type(full)
        total += len(key.encode())
        if kind == "string":
            total += len(as_text(client.get(full) or "").encode())
        elif kind == "set":
            total += sum(len(as_text(member).encode()) for member in client.smembers(full))
    return total


@dataclass(frozen=True)
class Memory:
    """Session bytes after ``users`` users made their journeys: on the busiest server, and in the store."""

    users: int
    busiest_server: int
    store: int

    def per(self, users: int = PER_USERS) -> tuple[int, int]:
        """(busiest server, store) extrapolated to ``users`` users: linear in the number of sessions."""
        scale = users / self.users if self.users else 0
        return round(self.busiest_server * scale), round(self.store * scale)


def session_memory(setup: Setup, *, users: int = USERS, steps: int = STEPS, seed: int = 0) -> Memory:
    """Measured: bytes of session data on the busiest server and in the store after a steady run.

    The store is read while simulated time still stands where the run left it, before any key expires.
    """
    return memory_after(steady_run(setup, users=users, steps=steps, seed=seed)[0], users)


def memory_after(lab: Lab, users: int) -> Memory:
    """Session bytes a lab holds after its ``users`` made their journeys (read at the simulated epoch,
    where every journey's session is still unexpired)."""
    with SimClock():
        return Memory(users, max(lab.cluster.memory().values()), store_bytes(lab.store) if lab.store else 0)


class HeaderMeter:
    """A WSGI layer in front of the balancer that measures the session headers of each request (lesson 07).

    ``last`` is the bytes the last request's ``Cookie`` and ``Authorization`` headers took on the wire.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.last = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.last = sum(request_bytes(name, environ[key]) for name, key in
                        (("Cookie", "HTTP_COOKIE"), ("Authorization", "HTTP_AUTHORIZATION")) if key in environ)
        return self.app(environ, start_response)

    def __repr__(self) -> str:
        return f"HeaderMeter(last={self.last})"


@dataclass(frozen=True)
class RequestPrice:
    """What one logged-in user's requests cost beyond the work itself, counted (lesson 07)."""

    bytes_empty_cart: int
    bytes_full_cart: int
    round_trips_read: int
    round_trips_write: int
    replication_messages_write: int

    @property
    def modelled_read_ms(self) -> float:
        """The network time a page view spends on the store: its round trips x ``MODELLED_RTT_MS``."""
        return self.round_trips_read * MODELLED_RTT_MS


def request_price(setup: Setup, *, seed: int = 0, items: int = CART_ITEMS) -> RequestPrice:
    """One user of ``setup`` logs in and fills a cart; bytes, store round trips and replication messages counted.

    Measured behind the setup's balancer, on a page view (``GET /cart``) and a cart update (``POST /cart``),
    whatever they answer: behind round robin, in-memory sessions are refused, and still sent.
    """
    lab = build_lab(setup, users=0, seed=seed)
    meter = HeaderMeter(lab.balancer)
    user = SimUser(meter, 0)
    store = counting_store(lab)
    with SimClock():
        expect_ok(user.login(), "the measured user's login")
        user.request("GET", "/cart")  # measured whatever the answer: round robin over memory answers 401 here
        empty = meter.last
        for n in range(items):
            user.add_item(f"item{n + 1}")
        before_read = store.round_trips if store else 0
        user.request("GET", "/cart")
        full = meter.last
        read = (store.round_trips if store else 0) - before_read
        before_write = store.round_trips if store else 0
        before_messages = replication_messages(lab)
        user.add_item("one more")
        write = (store.round_trips if store else 0) - before_write
        messages = replication_messages(lab) - before_messages
    return RequestPrice(empty, full, read, write, messages)


def replication_messages(lab: Lab) -> int:
    """Replication messages every server of ``lab`` sent so far (0 without replication)."""
    return sum(s.strategy.replication_writes for s in lab.cluster.servers.values()
               if isinstance(s.strategy, ReplicatedMemorySessions))


# --- revocation ----------------------------------------------------------------------------


def copy_still_works(setup: Setup, after: int, *, seed: int = 0) -> bool:
    """A user logs in and adds an item; a thief copies what the browser holds; the user logs out.

    ``after`` simulated seconds later, the thief's copy is sent to every server directly: the
    cookies and access token to ``GET /cart``, the refresh token (if any) to ``POST /refresh``.
    True when any server still answers 200. Expiry matters here, so the store is embedded.
    """
    lab = build_lab(setup, users=1, seed=seed, embedded=True)
    user = lab.users[0]
    with SimClock() as clock:
        user.login()
        user.add_item("item1")
        cookies = "; ".join(f"{c.key}={c.value}" for c in user.client._jar())
        tokens = dict(user.tokens)
        user.request("POST", "/logout")
        clock.advance(after)
        headers = {"Cookie": cookies} if cookies else {}
        if "access_token" in tokens:
            headers["Authorization"] = f"Bearer {tokens['access_token']}"
        for name in lab.cluster.alive_names():
            thief = Client(lab.cluster.server(name).app, use_cookies=False)
            if thief.get("/cart", headers=headers).status_code == 200:
                return True
            if "refresh_token" in tokens and thief.post(
                    "/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 200:
                return True
    return False


def revocation_seconds(setup: Setup, *, seed: int = 0, horizon: int = REVOCATION_HORIZON) -> int | None:
    """Simulated seconds from logout until no server accepts a copy taken before it; ``None``: not within ``horizon``.

    A copy that stops working stays refused (expiry only moves one way), so the first refusing
    second is found by bisection, each probe in a fresh seeded lab.
    """
    if not copy_still_works(setup, 0, seed=seed):
        return 0
    if copy_still_works(setup, horizon, seed=seed):
        return None
    works, refused = 0, horizon
    while refused - works > 1:
        middle = (works + refused) // 2
        if copy_still_works(setup, middle, seed=seed):
            works = middle
        else:
            refused = middle
    return refused


# --- the code a server needs -----------------------------------------------------------------


LAB_METERS = frozenset({"sessions_held", "bytes_held"})
"""Methods a strategy fills in only so the lab can read a server's memory: no session logic."""


def session_hooks(strategy: type[SessionStrategy]) -> tuple[str, ...]:
    """The session methods a strategy's classes define that override the base interface or a parent strategy.

    ``load`` and ``save`` are required of every strategy; the rest are hooks with defaults
    (``end``, ``resume``, ``connect``, ...) or hooks of the strategy it builds on (lesson 05's
    ``check_revocation``). Helpers a strategy adds for itself are not counted: only what it had
    to fill in. Nor are the ``LAB_METERS``: a real server would not need them.
    """
    names: set[str] = set()
    for klass in strategy.__mro__:
        if klass is SessionStrategy or not (isinstance(klass, type) and issubclass(klass, SessionStrategy)):
            continue
        parents = [p for p in klass.__mro__[1:] if isinstance(p, type) and issubclass(p, SessionStrategy)]
        for name, value in vars(klass).items():
            if (not name.startswith("_") and name not in LAB_METERS and inspect.isfunction(value)
                    and any(name in vars(p) for p in parents)):
                names.add(name)
    return tuple(sorted(names))


# --- the whole suite -----------------------------------------------------------------------


@dataclass(frozen=True)
class Measurements:
    """Everything the suite measured for one setup (lesson 07). Counts and simulated seconds only."""

    setup: Setup
    users: int
    kept_round_robin: int
    logged_out: Mapping[str, int]
    refused_store_outage: int
    memory: Memory
    price: RequestPrice
    revocation_seconds: int | None
    hooks: tuple[str, ...] = field(default=())

    @property
    def needs_sticky(self) -> bool:
        """Measured: journeys break under round robin, so this setup needs a balancer that pins users."""
        return self.kept_round_robin < self.users

    @property
    def state_lives_in(self) -> str:
        """Where the session was found: server memory, the store, the client (it grew with the cart)."""
        places = [place for place, found in (
            ("server memory", self.memory.busiest_server > 0),
            ("client", self.price.bytes_full_cart > self.price.bytes_empty_cart),
            ("store", self.memory.store > 0)) if found]
        return " + ".join(places) or "nowhere"

    @property
    def extra_infrastructure(self) -> str:
        """What else must run beside the app servers, judged from what was measured."""
        extra = [what for what, needed in (
            ("a sticky balancer", self.needs_sticky and self.setup.policy == "sticky"),
            ("server-to-server replication", self.price.replication_messages_write > 0),
            ("a session store (Redis)", self.price.round_trips_read + self.price.round_trips_write > 0)) if needed]
        return ", ".join(extra) or "none"


def measure(setup: Setup, *, users: int = USERS, steps: int = STEPS, seed: int = 0) -> Measurements:
    """Run the whole suite on one setup.

    Journeys kept and session memory both read a steady run with no event; a setup that runs
    behind round robin anyway reads both off the same run (same lab, same seed: the same run).
    """
    round_robin_lab, round_robin_run = steady_run(setup, policy="round-robin", users=users, steps=steps, seed=seed)
    own_lab = round_robin_lab if setup.policy == "round-robin" else \
        steady_run(setup, users=users, steps=steps, seed=seed)[0]
    return Measurements(
        setup=setup, users=users,
        kept_round_robin=len(round_robin_run.kept_users),
        logged_out=MappingProxyType({event: users_logged_out(setup, event, users=users, steps=steps, seed=seed)
                                     for event in EVENTS}),
        refused_store_outage=refused_in_store_outage(setup, users=users, seed=seed),
        memory=memory_after(own_lab, users),
        price=request_price(setup, seed=seed),
        revocation_seconds=revocation_seconds(setup, seed=seed),
        hooks=session_hooks(setup.spec.strategy),
    )


def margin(kept: int, users: int) -> float:
    """Sampling noise of a share of ``users``: two binomial standard errors, as a share."""
    share = kept / users if users else 0.0
    return 2 * math.sqrt(share * (1 - share) / users) if users else 0.0


class Suite:
    """The measurements of every setup, and the table lesson 07 shows them in."""

    def __init__(self, measured: Sequence[Measurements]) -> None:
        self.measured = {m.setup.name: m for m in measured}

    def __getitem__(self, name: str) -> Measurements:
        return self.measured[name]

    def __iter__(self) -> Any:
        return iter(self.measured.values())

    @property
    def names(self) -> list[str]:
        """The setups, in table order."""
        return list(self.measured)

    def stateless(self) -> list[Measurements]:
        """The setups whose servers keep no session in memory."""
        return [m for m in self if not m.setup.stateful]

    def stateful(self) -> list[Measurements]:
        """The setups whose servers keep sessions in memory."""
        return [m for m in self if m.setup.stateful]

    def rows(self) -> list[tuple[str, str, Callable[[Measurements], object]]]:
        """(article's row, measure, how to read it off one setup's measurements), in table order."""
        def kept(m: Measurements) -> str:
            return f"{m.kept_round_robin / m.users:.0%} ± {margin(m.kept_round_robin, m.users):.0%}"

        def revocation(m: Measurements) -> object:
            return m.revocation_seconds if m.revocation_seconds is not None else "never (> 1 day)"

        users = next(iter(self)).users if self.measured else USERS
        return [
            ("Scalability", "journeys kept under round robin", kept),
            ("Scalability", f"users logged out by a scale-out (of {users})", lambda m: m.logged_out["scale out"]),
            ("Scalability", "store round trips per page view", lambda m: m.price.round_trips_read),
            ("Scalability", "modelled network ms per page view", lambda m: m.price.modelled_read_ms),
            ("Resilience/FT", f"users logged out when a server dies (of {users})",
             lambda m: m.logged_out["server dies"]),
            ("Resilience/FT", f"users refused because the store was down (of {users})",
             lambda m: m.refused_store_outage),
            ("Complexity", "session hooks a server implements", lambda m: len(m.hooks)),
            ("Complexity", "extra infrastructure to run", lambda m: m.extra_infrastructure),
            ("Session Mgmt.", "where the session lives", lambda m: m.state_lives_in),
            ("Session Mgmt.", "seconds a copied credential works after logout", revocation),
            ("Resource Usage", f"session bytes per server per {PER_USERS:,} users", lambda m: m.memory.per()[0]),
            ("Resource Usage", f"session bytes in the store per {PER_USERS:,} users", lambda m: m.memory.per()[1]),
            ("Resource Usage", f"bytes added to each request ({CART_ITEMS}-item cart)",
             lambda m: m.price.bytes_full_cart),
            ("Resource Usage", "replication messages per cart update", lambda m: m.price.replication_messages_write),
            ("Load Balancing", "needs a sticky balancer", lambda m: "yes" if m.needs_sticky else "no"),
            ("Maintenance", f"users logged out by a rolling deploy (of {users})",
             lambda m: m.logged_out["rolling deploy"]),
        ]

    def table(self) -> Table:
        """Measures down the side, setups across: every cell read off a run."""
        rows = []
        for article_row, what, read in self.rows():
            row: dict[str, object] = {"article's row": article_row, "measured": what}
            row.update({name: read(m) for name, m in self.measured.items()})
            rows.append(row)
        return Table(rows, columns=["article's row", "measured", *self.names],
                     title="The article's comparison, measured: the same scenarios against every setup")

    def hooks_table(self) -> Table:
        """Which session methods each setup's strategy fills in."""
        return Table([{"setup": m.setup.name, "hooks": len(m.hooks), "which": ", ".join(m.hooks)} for m in self],
                     title="session methods each strategy implements beyond the base class")

    def __repr__(self) -> str:
        return f"Suite({', '.join(self.names)})"


def run_suite(setups: Sequence[Setup] = SETUPS, *, users: int = USERS, steps: int = STEPS, seed: int = 0) -> Suite:
    """Measure every setup with the same scenarios and seed.

    The runs are seeded, so a setup measured before with the same arguments is not run again:
    lesson 07's check reads the suite the lesson just ran.
    """
    return Suite([_measured(setup, users, steps, seed) for setup in setups])


@lru_cache(maxsize=64)
def _measured(setup: Setup, users: int, steps: int, seed: int) -> Measurements:
    return measure(setup, users=users, steps=steps, seed=seed)


# --- the one live measurement ------------------------------------------------------------------


def request_costs(suite: Suite, *, repeat: int = 300, seed: int = 0) -> Table:
    """LIVE: median microseconds of one page view through the balancer, beside the modelled network time.

    The compute differs on every machine and every run (the lesson does not compare it); the
    network part is the suite's counted round trips x ``MODELLED_RTT_MS``. No verdict reads this.
    """
    rows = []
    for m in suite:
        lab = build_lab(m.setup, users=1, seed=seed, embedded=True)
        user = lab.users[0]
        with SimClock():
            expect_ok(user.login(), "the timed user's login")
            compute_us = median_microseconds(partial(user.request, "GET", "/cart"), repeat=repeat, warmup=20)
        network_us = m.price.modelled_read_ms * 1000
        rows.append({"setup": m.setup.name, "compute (measured, µs)": round(compute_us),
                     "network (modelled, µs)": round(network_us), "per page view (µs)": round(compute_us + network_us)})
    return Table(rows, title=f"one page view: measured compute (median of {repeat}) + modelled store round trips")


__all__ = [
    "CART_ITEMS", "EVENTS", "PER_USERS", "REVOCATION_HORIZON", "SERVERS", "STEPS", "USERS", "CountingStore",
    "HeaderMeter", "Measurements", "Memory", "RequestPrice", "Suite", "build_lab", "copy_still_works", "journeys_kept",
    "margin", "measure", "memory_after", "refused_in_store_outage", "replication_messages", "request_costs", "request_price",
    "revocation_seconds", "run_suite", "session_hooks", "session_memory", "steady_run", "store_bytes",
    "users_logged_out",
]
