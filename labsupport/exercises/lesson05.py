"""Exercises of lesson 05: a logout that doesn't log out, the denylist's size, reuse detection, the price.

Every expected answer is measured in the simulator (PyJWT's own exp check and the store's TTLs
under simulated time, the shop's real answers, the servers' own round-trip counters), never typed in.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from werkzeug.test import Client

from ..clients import expect_ok
from ..clock import SimClock
from ..revocation_experiments import MODELLED_RTT_MS, PAGE, bearer, revocable_lab, steady_denylist, store_round_trips
from ..scenario import Lab
from ..sessions.jwt_stateless import JWTSessions
from .base import Exercise, Wrong, expect_number, number_or_none

STOLEN = {"lifetime": 600, "stolen_at": 120, "logout_at": 420}
"""Exercise 05.1: a 10-minute access token, copied 2 minutes after login; the user logs out at minute 7."""


def usable_after_logout(*, lifetime: int = STOLEN["lifetime"], stolen_at: int = STOLEN["stolen_at"],
                        logout_at: int = STOLEN["logout_at"]) -> int:
    """Exercise 05.1, measured on stateless ``jwt``: seconds after the logout during which the copy still gets in."""
    shop = Lab(servers=3, strategy=JWTSessions.configured(access_lifetime=lifetime), users=1, seed=0)
    user, thief = shop.users[0], Client(shop.balancer)
    with SimClock() as clock:
        expect_ok(user.login(), "the user's login")
        clock.advance(stolen_at)
        token = user.tokens["access_token"]
        clock.advance(logout_at - stolen_at)
        expect_ok(user.request("POST", "/logout"), "the user's logout")
        seconds = 0
        while thief.get(PAGE, headers=bearer(token)).status_code == 200:
            clock.advance(1)
            seconds += 1
    return seconds


def _check_after_logout(answer: Any) -> str:
    expected = usable_after_logout()
    lifetime, stolen_at, logout_at = STOLEN["lifetime"], STOLEN["stolen_at"], STOLEN["logout_at"]
    value = number_or_none(answer)
    if value == 0:
        raise Wrong("0 would need a server that remembers the logout. The stateless shop forgets nothing: "
                    "its logout answered 200 and changed no state anywhere.")
    if value == lifetime:
        raise Wrong(f"{lifetime} s is the token's whole life, but it was already {logout_at} s old at the logout.")
    if value == lifetime - stolen_at:
        raise Wrong("when the thief copied the token does not matter: it is the same token, with the same exp.")
    expect_number(answer, expected, tolerance=0, what="the seconds after the logout")
    return (f"{expected} s: the copy works until the exp written inside it ({lifetime} s after login), whatever "
            "the logout said. On a stateless server, a logout only asks the client to forget its token.")


DENYLIST = {"access_lifetime": 900, "logout_every": 20, "token_age": 300}
"""Exercise 05.2: 15-minute access tokens, 3 logouts a minute, each token 5 minutes old."""


def denylist_plateau() -> int:
    """Exercise 05.2, measured: the most entries the denylist holds once the stream is steady."""
    return steady_denylist(**DENYLIST)


def _check_denylist(answer: Any) -> str:
    expected = denylist_plateau()
    per_minute = 60 // DENYLIST["logout_every"]
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        if answer == per_minute * DENYLIST["access_lifetime"] // 60 and answer != expected:
            raise Wrong(f"{answer} counts a full {DENYLIST['access_lifetime'] // 60} minutes per entry, but an entry "
                        "lives only as long as its token has left: the tokens were 5 minutes old at logout.")
        if answer == per_minute * DENYLIST["token_age"] // 60 and answer != expected:
            raise Wrong("5 minutes is how old each token is at the logout; its entry lives for the time the token "
                        "has LEFT.")
        if answer == per_minute:
            raise Wrong(f"{per_minute} is how many entries arrive per minute; how many minutes does each one stay?")
        if answer > 10 * expected:
            raise Wrong("the list does not grow forever: each entry is stored with a TTL and disappears when its "
                        "token would have expired anyway.")
    expect_number(answer, expected, tolerance=0, what="the number of entries")
    lifetime, age = DENYLIST["access_lifetime"] // 60, DENYLIST["token_age"] // 60
    return (f"{expected} entries, measured: {per_minute} logouts a minute x {lifetime - age} minutes each entry lives "
            f"({lifetime} - {age}). "
            "Entries = arrival rate x time each stays (Little's law); the list's size depends on traffic and "
            "lifetime, not on how long the shop has been running.")


def attacker_refreshes_first(*, stolen_at: int = 5, attacker_at: int = 10, victim_at: int = 70,
                             again_at: int = 80) -> list[int]:
    """Exercise 05.3, measured on ``jwt-revocable``: the statuses of (the victim's refresh, the attacker's
    next page with their new access token, the victim logging in again with the password)."""
    shop = revocable_lab(users=1, seed=0)
    victim, attacker = shop.users[0], Client(shop.balancer)
    with SimClock() as clock:
        expect_ok(victim.login(), "the victim's login")
        clock.advance(stolen_at)
        stolen = victim.tokens["refresh_token"]
        clock.advance(attacker_at - stolen_at)
        theirs = attacker.post("/refresh", json={"refresh_token": stolen})
        expect_ok(theirs, "the attacker's refresh")
        clock.advance(victim_at - attacker_at)
        refresh = victim.request("POST", "/refresh", {"refresh_token": victim.tokens["refresh_token"]})
        clock.advance(again_at - victim_at)
        page = attacker.get(PAGE, headers=bearer(theirs.get_json()["access_token"]))
        login = victim.login()
    return [refresh.status_code, page.status_code, login.status_code]


def _check_first(answer: Any) -> str:
    expected = attacker_refreshes_first()
    if isinstance(answer, tuple):
        answer = list(answer)
    if not isinstance(answer, list) or len(answer) != 3 or not all(
            isinstance(a, int) and not isinstance(a, bool) for a in answer):
        raise Wrong("answer with a list of three status codes, like [200, 200, 200].")
    if answer[0] == 200:
        raise Wrong("the victim's refresh token is the one the attacker already traded in: it is spent, and "
                    "presenting a spent refresh token is exactly what reuse detection looks for.")
    if answer[1] == 200:
        raise Wrong("the attacker's new tokens belong to the same login (the same sid, the same family), and "
                    "reuse detection revokes the whole family, not only the replayed token.")
    if answer[2] != 200:
        raise Wrong("revoking a family ends one login, not the account: a fresh login with the password starts "
                    "a new family.")
    if answer != expected:
        raise Wrong(f"{answer} is not what the shop answers.")
    return (f"{expected}: whoever comes second presents a spent refresh token. The server cannot tell the thief "
            "from the owner, so it ends the whole family; the thief is out, and the owner logs in again.")


VISIT = (("log in", 1), ("view profile", 4), ("add to cart", 2), ("refresh", 1), ("log out", 1))
"""Exercise 05.4: one visit on jwt-revocable, as (action, how many times)."""


def visit_round_trips(visit: Sequence[tuple[str, int]] = VISIT) -> int:
    """Exercise 05.4, measured: store round trips the servers make for ``visit`` on ``jwt-revocable``."""
    shop = revocable_lab(users=1, seed=0)
    user = shop.users[0]
    with SimClock() as clock:
        for action, times in visit:
            for _ in range(times):
                if action == "log in":
                    response = user.login()
                elif action == "view profile":
                    response = user.request("GET", PAGE)
                elif action == "add to cart":
                    response = user.add_item("tea")
                elif action == "refresh":
                    response = user.request("POST", "/refresh", {"refresh_token": user.tokens["refresh_token"]})
                elif action == "log out":
                    response = user.request("POST", "/logout")
                else:
                    raise ValueError(f"unknown action {action!r}")
                expect_ok(response, f"the visit's {action!r}")
                clock.advance(1)
    return store_round_trips(shop)


def _check_round_trips(answer: Any) -> str:
    expected = visit_round_trips()
    requests = sum(times for _, times in VISIT)
    value = number_or_none(answer)
    if value == 0:
        raise Wrong("0 is plain stateless JWT; jwt-revocable asks the store on every request.")
    if value == requests:
        raise Wrong(f"{requests} counts one lookup per request, but a request that hands out new tokens also "
                    "goes to the store to record the token family (and a login first reads the user's token version).")
    expect_number(answer, expected, tolerance=0, what="the number of store round trips")
    return (f"{expected} round trips for {requests} requests: one lookup for every verified token, one more for "
            "every new pair of tokens (the family record), one more at login (the user's token version) and one "
            "more for the logout's write (the denylist entry). "
            f"At a modelled {MODELLED_RTT_MS:g} ms each, {expected * MODELLED_RTT_MS:g} ms of waiting on the store "
            "that stateless JWT never pays.")


EXERCISES: list[Exercise] = [
    Exercise("05.1", "how long a copied token outlives a stateless logout",
             "Inside `with lab.SimClock() as clock:` on lab.Lab(servers=3, strategy=lab.JWTSessions.configured("
             "access_lifetime=600), users=1, seed=0): log the user in at 0 s; at 120 s copy "
             "user.tokens['access_token'] into another lab.SimUser's tokens; at 420 s log the user out "
             "(POST /logout); then let the copy ask for /profile, clock.advance(1) after each 200, and count the "
             "seconds until it is refused. Or think: what decides when a JWT stops working?",
             _check_after_logout),
    Exercise("05.2", "how big the denylist gets",
             "Each entry lives for the time its token has left (TTL = exp - now). In a steady stream, "
             "entries alive = entries added per minute x minutes each one stays.", _check_denylist),
    Exercise("05.3", "the attacker refreshes first",
             "Rotation makes every refresh token single-use. After the attacker's refresh, which refresh token is "
             "the current one, and what does the server do when it sees a spent one? Which tokens belong to "
             "the family it revokes?", _check_first),
    Exercise("05.4", "the store round trips of one visit",
             "Count per request, as in the table of section 6 (the price): a verified token is one round trip; a request "
             "that hands out new tokens adds one (the family record), a login one more (the token version; it "
             "has no token to verify), and a logout one more (writing the denylist entry). Or measure it with "
             "lab.revocation_experiments.revocable_lab and lab.revocation_experiments.store_round_trips.",
             _check_round_trips),
]
