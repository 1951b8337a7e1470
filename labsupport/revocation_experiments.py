"""Measurements behind lesson 05 (revoking JWTs), each building its own seeded lab and clock.

Everything that depends on expiry (PyJWT's ``exp`` check, the denylist's TTLs) runs on the
embedded store inside ONE ``SimClock`` block, even when ``REDIS_URL`` points at a real Redis:
simulated time moves fakeredis's clock, never a real server's. Counts (refreshes, denylist
entries, store round trips) are results a lesson compares; ``verification_timings`` is the
one live measurement, different on every machine and every run.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from werkzeug.test import Client
from werkzeug.wrappers import Response

from .clients import SimUser, expect_ok
from .clock import EPOCH, SimClock
from .scenario import Lab
from .sessions.jwt_revocable import RevocableJWTSessions
from .sessions.jwt_stateless import REFRESH_LIFETIME, JWTSessions
from .store import SessionStore
from .store_experiments import MODELLED_RTT_MS, median_microseconds
from .tables import Table
from .tokens import peek

PAGE = "/profile"
"""The page simulated users read while they browse (a read re-issues no token)."""


def revocable_lab(*, servers: int = 3, users: int = 1, seed: int = 0, policy: str = "round-robin",
                  **options: Any) -> Lab:
    """A lab on ``jwt-revocable`` sessions (with ``RevocableJWTSessions`` options) over an EMBEDDED store.

    The store is fakeredis even when ``REDIS_URL`` is set, because the denylist's TTLs must follow
    simulated time (lesson 05).
    """
    store = SessionStore(prefix=f"lesson05-{seed}")
    strategy = RevocableJWTSessions.configured(**options)
    return Lab(servers=servers, strategy=strategy, policy=policy, users=users, seed=seed, store=store)


def jwt_strategy(shop: Lab, server: str) -> JWTSessions:
    """The JWT strategy server ``server`` of ``shop`` runs (``TypeError`` for any other strategy)."""
    strategy = shop.cluster.server(server).strategy
    if not isinstance(strategy, JWTSessions):
        raise TypeError(f"{server} runs {strategy.name!r} sessions, not JWT")
    return strategy


def bearer(token: str) -> dict[str, str]:
    """The ``Authorization`` header that carries ``token``."""
    return {"Authorization": f"Bearer {token}"}


def reason_of(response: Response) -> str:
    """The ``reason`` of a JSON error answer ('' for a success)."""
    body = response.get_json(silent=True)
    return str(body.get("reason", "")) if isinstance(body, dict) else ""


def browse(user: SimUser, path: str = PAGE) -> tuple[Response, bool]:
    """One page view the way a client app does it: on "token expired", refresh once and retry.

    Returns the final answer and whether a refresh was needed.
    """
    response = user.request("GET", path)
    if response.status_code != 401 or not reason_of(response).startswith("token expired"):
        return response, False
    refreshed = user.request("POST", "/refresh", {"refresh_token": user.tokens["refresh_token"]})
    if refreshed.status_code != 200:
        return refreshed, True
    return user.request("GET", path), True


def _sim_seconds(timestamp: float) -> int:
    """A token timestamp as seconds after ``EPOCH`` (where every ``SimClock`` starts)."""
    return int(timestamp - EPOCH.timestamp())


# --- short access tokens: exposure window vs refresh traffic ------------------------------------


def exposure_run(lifetime: int, *, users: int = 10, thefts_per_user: int = 5, request_every: int = 30,
                 hour: int = 3600, seed: int = 0) -> dict[str, float]:
    """One access lifetime on stateless ``jwt`` sessions: refreshes per user-hour, and how long stolen tokens work.

    Users log in at random moments of a warm-up as long as one token's life (so when the measured
    hour starts, their tokens have random ages), then read a page every ``request_every`` seconds,
    refreshing on "token expired". During the hour, a thief copies a user's current access token
    at ``thefts_per_user`` random moments each, and tries it at once, one second before the ``exp``
    its payload announces (anyone can read it), and at that ``exp``. The exposure of a theft is the
    time from the theft to the first refusal.
    """
    if lifetime % request_every:
        raise ValueError("the access lifetime must be a multiple of request_every (then a lazy client "
                         "refreshes exactly when its token expires)")
    strategy = JWTSessions.configured(access_lifetime=lifetime, refresh_lifetime=max(REFRESH_LIFETIME, lifetime))
    shop = Lab(servers=3, strategy=strategy, users=users, seed=seed)
    rng = shop.rng
    start, end = lifetime, lifetime + hour
    agenda: defaultdict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for i in range(users):
        agenda[rng.randrange(lifetime)].append((0, i, "login"))
    for i in range(users):
        for _ in range(thefts_per_user):
            agenda[rng.randrange(start, end)].append((2, i, "theft"))
    thief = Client(shop.balancer)
    refreshes = pages = 0
    stolen: list[tuple[int, str]] = []  # (theft time, token), by theft number
    exposure: dict[int, int] = {}  # theft number -> seconds from the theft to the first refusal
    with SimClock() as clock:
        while agenda:
            t = min(agenda)
            clock.advance(t - clock.elapsed)
            for _order, who, what in sorted(agenda.pop(t)):
                if what == "login":
                    expect_ok(shop.users[who].login(), "a user's login")
                    agenda[t + request_every].append((1, who, "page"))
                elif what == "page":
                    response, refreshed = browse(shop.users[who])
                    expect_ok(response, "a page view (refreshing once if the token expired)")
                    if start <= t < end:
                        pages += 1
                        refreshes += refreshed
                    if t + request_every < end:
                        agenda[t + request_every].append((1, who, "page"))
                elif what == "theft":
                    token = shop.users[who].tokens["access_token"]
                    stolen.append((t, token))
                    exp = _sim_seconds(peek(token)["payload"]["exp"])
                    for when in sorted({t, max(t, exp - 1), max(t, exp)}):
                        agenda[when].append((3, len(stolen) - 1, "probe"))
                elif who not in exposure:  # a probe of stolen token number `who`, not yet refused
                    theft_time, token = stolen[who]
                    if thief.get(PAGE, headers=bearer(token)).status_code != 200:
                        exposure[who] = t - theft_time
    if len(exposure) != len(stolen):
        raise RuntimeError("a stolen token was never refused")
    values = list(exposure.values())
    user_hours = users * hour / 3600
    return {"access lifetime (s)": lifetime, "pages per user-hour": _number(pages / user_hours),
            "refreshes per user-hour": _number(refreshes / user_hours), "theory 3600/L": _number(3600 / lifetime),
            "thefts": len(values), "mean exposure (s)": _number(sum(values) / len(values)),
            "theory L/2": _number(lifetime / 2), "longest exposure (s)": max(values), "theory L": lifetime}


def _number(value: float) -> int | float:
    """``value`` as an int when it is whole, else rounded to 0.1 (tables print either cleanly)."""
    return int(value) if float(value).is_integer() else round(value, 1)


LIFETIMES = (60, 120, 300, 600, 900)
"""Access-token lifetimes lesson 05 compares: one minute to a quarter of an hour (all divide an hour)."""


def exposure_vs_refresh(*, lifetimes: Sequence[int] = LIFETIMES, users: int = 10, thefts_per_user: int = 20,
                        request_every: int = 30, seed: int = 0) -> Table:
    """``exposure_run`` for each access lifetime, beside the simple theory: ``3600/L`` refreshes
    per active user-hour, and a stolen token working ``L/2`` seconds on average, ``L`` at most."""
    rows = [exposure_run(lifetime, users=users, thefts_per_user=thefts_per_user, request_every=request_every,
                         seed=seed) for lifetime in lifetimes]
    return Table(rows, title=f"stateless JWT: {users} users reading a page every {request_every} s for an hour, "
                             f"{users * thefts_per_user} stolen access tokens per lifetime")


# --- the denylist over time ----------------------------------------------------------------------


def denylist_over_time(*, access_lifetime: int = 300, logout_every: int = 10, visit: int = 60,
                       logins_for: int = 600, until: int = 1000, sample_every: int = 10, seed: int = 0) -> Table:
    """Denylist entries, sampled over simulated time, while a steady stream of users logs out.

    A user logs in every ``logout_every`` seconds for ``logins_for`` seconds, and each logs out
    ``visit`` seconds after logging in: their access token goes on the denylist for the
    ``access_lifetime - visit`` seconds it has left. Samples fall halfway between events. The
    theory column counts the logouts of the last ``access_lifetime - visit`` seconds: with a steady
    stream, entries = logouts per second x seconds each entry lives (Little's law).
    """
    if not 0 < visit < access_lifetime:
        raise ValueError("a visit must end before the access token expires")
    logins: list[float] = list(range(0, logins_for, logout_every))
    shop = revocable_lab(servers=3, users=len(logins), seed=seed, access_lifetime=access_lifetime,
                         refresh_lifetime=max(REFRESH_LIFETIME, access_lifetime))
    store = shop.shared_store
    entry_life = access_lifetime - visit
    agenda: defaultdict[float, list[tuple[int, int, str]]] = defaultdict(list)
    for i, t in enumerate(logins):
        agenda[t].append((1, i, "login"))
        agenda[t + visit].append((0, i, "logout"))
    samples = [k * sample_every + sample_every / 2 for k in range(int(until // sample_every))]
    for t in samples:
        agenda[t].append((2, 0, "sample"))
    logout_times: list[float] = []
    rows = []
    with SimClock() as clock:
        while agenda:
            t = min(agenda)
            clock.advance(t - clock.elapsed)
            for _order, who, what in sorted(agenda.pop(t)):
                user = shop.users[who]
                if what == "login":
                    expect_ok(user.login(), "a user's login")
                elif what == "logout":
                    expect_ok(user.request("POST", "/logout"), "a user's logout")
                    logout_times.append(t)
                else:
                    rows.append({"t (s)": t, "logouts so far": len(logout_times),
                                 "denylist entries": store.count("deny:*"),
                                 "theory": sum(t - entry_life <= s <= t for s in logout_times),
                                 "store keys": store.count()})
    return Table(rows, title=f"one logout every {logout_every} s, each token with {entry_life} s left "
                             f"(access tokens live {access_lifetime} s)")


def steady_denylist(*, access_lifetime: int, logout_every: int, token_age: int, seed: int = 0) -> int:
    """Measured: the most denylist entries alive at once, once a steady stream of logouts has run
    long enough (each logged-out token ``token_age`` seconds old)."""
    entry_life = access_lifetime - token_age
    span = 2 * (token_age + entry_life) + logout_every
    table = denylist_over_time(access_lifetime=access_lifetime, logout_every=logout_every, visit=token_age,
                               logins_for=span, until=span, sample_every=logout_every, seed=seed)
    return max(table.column("denylist entries"))


# --- the price: store round trips per request -------------------------------------------------


def store_round_trips(shop: Lab) -> int:
    """Store round trips every server of ``shop`` made so far (0 for a strategy without a store)."""
    return sum(s.strategy.store_round_trips for s in shop.cluster.servers.values()
               if isinstance(s.strategy, RevocableJWTSessions))


VISIT: tuple[tuple[str, str, str], ...] = (
    ("log in", "POST", "/login"),
    ("view profile", "GET", "/profile"),
    ("add to cart", "POST", "/cart"),
    ("refresh", "POST", "/refresh"),
    ("log out", "POST", "/logout"),
    ("log in again", "POST", "/login"),
    ("log out everywhere", "POST", "/logout-everywhere"),
)
"""One user's visit, request by request, as ``round_trips_per_action`` measures it."""


def _do(user: SimUser, method: str, path: str) -> Response:
    if path == "/login":
        return user.login()
    if path == "/refresh":
        return user.request(method, path, {"refresh_token": user.tokens["refresh_token"]})
    if path == "/cart":
        return user.add_item("tea")
    return user.request(method, path)


def round_trips_per_action(*, strategies: Sequence[str] = ("jwt", "jwt-revocable"),
                           visit: Sequence[tuple[str, str, str]] = VISIT, seed: int = 0) -> Table:
    """Status and store round trips of each request of one visit, per strategy (counted, not timed)."""
    columns: dict[str, list[tuple[int, int]]] = {}
    for strategy in strategies:
        shop = revocable_lab(users=1, seed=seed) if strategy == "jwt-revocable" else Lab(
            servers=3, strategy=strategy, users=1, seed=seed)
        user = shop.users[0]
        results = []
        with SimClock() as clock:
            for _action, method, path in visit:
                before = store_round_trips(shop)
                status = _do(user, method, path).status_code
                results.append((status, store_round_trips(shop) - before))
                clock.advance(1)
        columns[strategy] = results
    rows = []
    for i, (action, method, path) in enumerate(visit):
        row: dict[str, object] = {"request": f"{action} ({method} {path})"}
        for strategy in strategies:
            status, trips = columns[strategy][i]
            row[f"{strategy}: status"] = status
            row[f"{strategy}: store round trips"] = trips
        rows.append(row)
    return Table(rows, title="one visit, request by request")


# --- the price: compute, measured live ------------------------------------------------------------


def verification_timings(*, repeat: int = 2000, seed: int = 0) -> Table:
    """LIVE: median microseconds to verify one access token, stateless vs with the revocation check.

    Both run the same PyJWT verification and the shop's claim checks; ``jwt-revocable`` adds its
    one ``MGET`` on the embedded store (compute only: no network in one process). The modelled
    network round trip (``MODELLED_RTT_MS``) is added as its own row, never mixed into a measurement.
    """
    plain_shop = Lab(servers=1, strategy="jwt", users=1, seed=seed)
    revocable_shop = revocable_lab(servers=1, users=1, seed=seed)
    rows = []
    with SimClock():
        verifiers: dict[str, JWTSessions] = {}
        tokens: dict[str, str] = {}
        for name, shop in (("jwt", plain_shop), ("jwt-revocable", revocable_shop)):
            user = shop.users[0]
            expect_ok(user.login(), "the timed user's login")
            verifiers[name] = jwt_strategy(shop, "s1")
            tokens[name] = user.tokens["access_token"]
        timed: dict[str, Callable[[], object]] = {
            name: partial(verifier.verify, tokens[name]) for name, verifier in verifiers.items()}
        revocable = verifiers["jwt-revocable"]
        if not isinstance(revocable, RevocableJWTSessions):
            raise TypeError("the revocable lab must run RevocableJWTSessions")
        claims = revocable.verify(revocable_shop.users[0].tokens["access_token"])
        keys = (revocable.deny_key(claims["jti"]), revocable.version_key(claims["sub"]), revocable.family_key(claims["sid"]))
        plain_us = median_microseconds(timed["jwt"], repeat=repeat)
        revocable_us = median_microseconds(timed["jwt-revocable"], repeat=repeat)
        lookup_us = median_microseconds(lambda: revocable.redis.mget(*keys), repeat=repeat)
    rows = [
        {"what": "jwt: PyJWT verification + claim checks", "kind": "measured", "microseconds": round(plain_us, 1)},
        {"what": "jwt-revocable: the same + denylist lookup (MGET)", "kind": "measured",
         "microseconds": round(revocable_us, 1)},
        {"what": "  of which the MGET alone (fakeredis, in process)", "kind": "measured",
         "microseconds": round(lookup_us, 1)},
        {"what": "network round trip to the store, same data centre", "kind": "modelled",
         "microseconds": MODELLED_RTT_MS * 1000},
        {"what": "jwt-revocable per request: measured + modelled", "kind": "sum",
         "microseconds": round(revocable_us + MODELLED_RTT_MS * 1000, 1)},
    ]
    return Table(rows, title=f"verifying one access token (median of {repeat} runs)")


__all__ = [
    "LIFETIMES", "MODELLED_RTT_MS", "PAGE", "VISIT", "bearer", "browse", "denylist_over_time", "exposure_run",
    "exposure_vs_refresh", "reason_of", "revocable_lab", "round_trips_per_action", "steady_denylist",
    "store_round_trips", "verification_timings",
]
