"""Measurements behind lesson 06 (the external session store), each returning plain data or a ``Table``.

Every function builds its own seeded lab, so calling it twice gives the same answer, on the
embedded store and on a real Redis alike. Results that depend on expiry use the embedded
store (a real Redis keeps wall time, not the simulator's).
"""
from __future__ import annotations

import base64
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .browser import Browser
from .clock import SimClock
from .scenario import Events, Lab
from .sessions.store import StoreSessions
from .store import SessionStore
from .tables import Table

MODELLED_RTT_MS = 0.5
"""A modelled network round trip from an app server to its session store in the same data
centre, in milliseconds. One process cannot show a network hop, so lesson 06 adds this
documented constant to every store call; measure your own (lesson 08 does, over loopback)."""

RTT_BY_PLACEMENT_MS: Mapping[str, float] = {
    "same host (loopback)": 0.05,
    "same data centre": MODELLED_RTT_MS,
    "another zone": 1.5,
    "another region": 60.0,
}
"""Typical round-trip times by where the store sits (orders of magnitude, not promises)."""


def store_lab(*, servers: int = 3, users: int = 100, seed: int = 0, policy: str = "round-robin",
              embedded: bool = False, **options: Any) -> Lab:
    """A lab whose servers keep sessions in one shared store, with ``StoreSessions`` options.

    ``embedded=True`` forces fakeredis even when ``REDIS_URL`` is set: use it for anything that
    depends on expiry (simulated time moves fakeredis's clock, never a real Redis's).
    """
    store = SessionStore(prefix=f"lab{seed}") if embedded else SessionStore.from_env(prefix=f"lab{seed}")
    return Lab(servers=servers, strategy=StoreSessions.configured(**options), policy=policy,
               users=users, seed=seed, store=store)


def journeys_under_events(*, events: Events, servers: int = 3, users: int = 200, steps: int = 6, seed: int = 0,
                          setups: Sequence[tuple[str, str]] = (("memory", "round-robin"), ("memory", "sticky"),
                                                               ("store", "round-robin"))) -> Table:
    """Journeys kept by each (strategy, policy) through the same cluster events."""
    rows = []
    for strategy, policy in setups:
        run = Lab(servers=servers, strategy=strategy, policy=policy, users=users, seed=seed).run_journeys(
            steps, events=events)
        rows.append({"sessions": strategy, "balancer": policy, "users": users,
                     "journeys kept": len(run.kept_users), "share kept": round(run.share_kept, 3)})
    return Table(rows, title=f"{users} users x {steps} steps on {servers} servers; events: {describe(events)}")


def describe(events: Events) -> str:
    """``{2: "kill s1"}`` as ``"before round 2: kill s1"``, for titles."""
    parts = []
    for round_no in sorted(events):
        what = events[round_no]
        parts.append(f"{round_no}: {what if isinstance(what, str) else ', '.join(what)}")
    return "; ".join(parts) if parts else "none"


# --- session id entropy -----------------------------------------------------------------


def short_session_ids(bits: int, *, seed: int) -> Callable[[], str]:
    """DELIBERATELY WEAK ids for lesson 06's brute-force demo: ``bits`` random bits, seeded.

    Never do this: real ids come from ``secrets`` with at least 128 bits (``new_session_id``).
    """
    if bits % 4:
        raise ValueError("bits must be a multiple of 4 (ids are written in hex)")
    rng = random.Random(seed)
    return lambda: f"sid_{rng.getrandbits(bits):0{bits // 4}x}"


def guess_id(bits: int | None, rng: random.Random) -> str:
    """An attacker's random guess at a session id: ``bits`` hex bits, or (``None``) a real-shaped 128-bit id."""
    if bits is None:
        return "sid_" + base64.urlsafe_b64encode(rng.randbytes(16)).decode().rstrip("=")
    return f"sid_{rng.getrandbits(bits):0{bits // 4}x}"


@dataclass(frozen=True)
class BruteForce:
    """What an attacker's guessing achieved against one lab's live sessions."""

    bits: int
    live_sessions: int
    guesses: int
    hits: int
    first_hit: int | None
    """How many guesses the first hit took (``None``: no hit)."""

    @property
    def expected_hits(self) -> float:
        """Hits expected in ``guesses`` random guesses: guesses x live / 2**bits."""
        return self.guesses * self.live_sessions / 2 ** self.bits

    @property
    def expected_first_hit(self) -> float:
        """Guesses expected until the first hit: 2**bits / live."""
        return 2 ** self.bits / self.live_sessions

    def row(self) -> dict[str, object]:
        """This attack as one table row."""
        return {"id bits": self.bits, "live sessions": self.live_sessions, "guesses": self.guesses,
                "hits": self.hits, "expected hits": _short(self.expected_hits),
                "first hit at guess": self.first_hit if self.first_hit is not None else "never",
                "expected first hit": _short(self.expected_first_hit)}


def _short(x: float) -> str:
    return f"{x:.3g}" if x < 1e6 else f"{x:.2e}"


def brute_force(*, bits: int | None, sessions: int = 200, guesses: int = 10_000, seed: int = 0,
                attacker_seed: int = 99) -> BruteForce:
    """Log ``sessions`` users in, then send ``guesses`` random session ids to the balancer.

    ``bits=None`` uses the real ids (128 bits from ``secrets``); a number uses deliberately
    short, seeded ids. A hit is a guess the shop answers with 200.
    """
    options: dict[str, Any] = {} if bits is None else {"new_id": short_session_ids(bits, seed=seed)}
    shop = store_lab(servers=3, users=sessions, seed=seed, **options)
    attacker = Browser(shop.balancer, address="2001:db8:bad::1")  # sends only the Cookie header it is given
    rng = random.Random(attacker_seed)
    hits, first_hit = 0, None
    with SimClock():
        shop.run_journeys(steps=1)
        for n in range(1, guesses + 1):
            response = attacker.send("GET", "/profile", headers={"Cookie": f"sid={guess_id(bits, rng)}"})
            if response.status_code == 200:
                hits += 1
                first_hit = first_hit or n
        live = shop.shared_store.count("session:*")
    return BruteForce(bits or 128, live, guesses, hits, first_hit)


YEAR_SECONDS = 365.25 * 24 * 3600


def seconds_to_guess(bits: int, *, live_sessions: int, guesses_per_second: float) -> float:
    """Seconds an attacker needs, on average, for one hit: 2**bits / live / rate."""
    return 2 ** bits / live_sessions / guesses_per_second


def years_to_guess(bits: int, *, live_sessions: int, guesses_per_second: float) -> float:
    """Years an attacker needs, on average, for one hit."""
    return seconds_to_guess(bits, live_sessions=live_sessions, guesses_per_second=guesses_per_second) / YEAR_SECONDS


def duration_words(seconds: float) -> str:
    """``seconds`` in the unit a person would use: ``"4.3 microseconds"``, ``"5.1 hours"``, ``"1.1e+16 years"``."""
    units = [(1e-6, "microseconds"), (1e-3, "milliseconds"), (1, "seconds"), (60, "minutes"), (3600, "hours"),
             (86400, "days"), (YEAR_SECONDS, "years")]
    for size, name in reversed(units):
        if seconds >= size:
            value = seconds / size
            if name == "years" and value >= 1e6:
                return f"{value:.3g} years" if value >= 1e9 else f"{value / 1e6:.3g} million years"
            return f"{value:.3g} {name}"
    return f"{seconds * 1e9:.3g} nanoseconds"


# --- outage -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutageRun:
    """A run in which the store went down for some rounds and came back."""

    table: Table
    sessions_before: int
    sessions_after: int
    carts_intact: int
    users: int
    statuses: Mapping[int, int]

    def __repr__(self) -> str:
        return (f"OutageRun(sessions_before={self.sessions_before}, sessions_after={self.sessions_after}, "
                f"carts_intact={self.carts_intact} of {self.users}, statuses={dict(self.statuses)})")


def outage_run(*, servers: int = 3, users: int = 60, rounds: int = 8, down: tuple[int, int] = (3, 5),
               seed: int = 0) -> OutageRun:
    """Users log in (round 0), then add an item each round; the store is down for rounds ``down[0]..down[1]``.

    A user answered 503 goes on with the next item next round (a 503 means "not now", not "logged out");
    the refused item is not retried, so a cart holds exactly what the shop said yes to.
    Sessions are counted in the store just before the outage and just after it.
    """
    shop = store_lab(servers=servers, users=users, seed=seed)
    store = shop.shared_store
    first, last = down
    rows, statuses = [], Counter[int]()
    before = after = 0
    seq = 0
    with SimClock() as clock:
        for round_no in range(rounds):
            if round_no == first:
                before = store.count("session:*")
                store.go_down()
            order = list(range(users))
            shop.rng.shuffle(order)
            counts = Counter[int]()
            for i in order:
                record = shop.users[i].journey_step(round_no, seq)
                seq += 1
                counts[record.status] += 1
            statuses.update(counts)
            rows.append({"round": round_no, "store": "down" if store.is_down else "up",
                         "servers up": len(shop.cluster.alive_names()), "200 ok": counts[200],
                         "503 store unavailable": counts[503],
                         "other": sum(n for status, n in counts.items() if status not in (200, 503))})
            if round_no == last:
                store.come_back()
                after = store.count("session:*")
            clock.advance(1)
        intact = sum(u.request("GET", "/cart").get_json().get("cart") == u.cart for u in shop.users)
    table = Table(rows, title=f"{users} users, {servers} servers; the store is down in rounds {first}-{last}")
    return OutageRun(table, before, after, intact, users, dict(sorted(statuses.items())))


# --- per-request cost -----------------------------------------------------------------------


def median_microseconds(call: Callable[[], object], *, repeat: int = 2000, warmup: int = 50) -> float:
    """The median wall time of ``call()`` in microseconds: a LIVE measurement, different every run."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def request_bytes(header: str, value: str) -> int:
    """Bytes one request header adds on the wire: ``Name: value`` plus CRLF."""
    return len(f"{header}: {value}\r\n".encode())


__all__ = [
    "MODELLED_RTT_MS", "RTT_BY_PLACEMENT_MS", "BruteForce", "OutageRun", "brute_force",
    "describe", "guess_id", "journeys_under_events", "median_microseconds", "outage_run", "request_bytes",
    "duration_words", "seconds_to_guess", "short_session_ids", "store_lab", "years_to_guess",
]
