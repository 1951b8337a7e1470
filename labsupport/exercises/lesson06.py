"""Exercises of lesson 06: the external session store.

Each checker computes the expected answer from the simulator or from the lesson's documented
model (``store_experiments``), never from a hard-coded number.
"""
from __future__ import annotations

from typing import Any

from .. import store_experiments
from ..clients import SimUser
from ..clock import SimClock
from ..sessions.store import DEFAULT_TTL
from .base import Exercise, Wrong, expect_number, number_or_none

GUESS_SETUP = {"bits": 20, "live_sessions": 500}
"""Exercise 06.1: 20-bit session ids, 500 live sessions."""

SLIDING_MINUTES = (20, 45, 70, 105, 110)
"""Exercise 06.3: alice logs in at minute 0, then asks for her cart at these minutes."""

DEVICES = {0: 3, 1: 1}
"""Exercise 06.2: user000 logs in on three devices, user001 on one; user000 logs out everywhere."""

PAGE_REQUESTS = 4
PAGE_PLACEMENT = "another zone"
"""Exercise 06.4: a page needs 4 requests one after another, each with one store lookup, to a store in another zone."""


def expected_first_hit() -> float:
    """Exercise 06.1: guesses expected before the first hit (the lesson's ``BruteForce`` model)."""
    return store_experiments.BruteForce(GUESS_SETUP["bits"], GUESS_SETUP["live_sessions"], 0, 0, None).expected_first_hit


def _check_guesses(answer: Any) -> str:
    expected = expected_first_hit()
    bits, live = GUESS_SETUP["bits"], GUESS_SETUP["live_sessions"]
    if isinstance(answer, (int, float)) and not isinstance(answer, bool) and abs(answer - 2 ** bits) < 1:
        raise Wrong(f"that is the number of possible ids. With {live} sessions live, any of them is a hit.")
    expect_number(answer, expected, tolerance=0.05 * expected, what="the expected number of guesses")
    return (f"2**{bits} / {live} = {expected:.0f} guesses: seconds of work for a script. With 128-bit ids "
            f"the same attacker needs about {2 ** 128 / live:.1e} guesses per hit.")


def sliding_statuses() -> list[int]:
    """Exercise 06.3, measured: the statuses of alice's cart requests (embedded store, simulated time)."""
    shop = store_experiments.store_lab(servers=3, users=1, seed=62, embedded=True)
    alice = shop.users[0]
    statuses = []
    with SimClock() as clock:
        alice.login()
        now = 0
        for minute in SLIDING_MINUTES:
            clock.advance((minute - now) * 60)
            now = minute
            statuses.append(alice.request("GET", "/cart").status_code)
    return statuses


def _check_sliding(answer: Any) -> str:
    expected = sliding_statuses()
    if not isinstance(answer, (list, tuple)) or len(answer) != len(SLIDING_MINUTES):
        raise Wrong(f"answer with a list of {len(SLIDING_MINUTES)} status codes, one per request, "
                    "like [200, 200, 401, 401, 401].")
    if list(answer) != expected:
        wrong = [m for m, a, e in zip(SLIDING_MINUTES, answer, expected) if a != e]
        raise Wrong(f"not the request(s) at minute {', '.join(map(str, wrong))}. Each request that "
                    f"succeeds restarts the {DEFAULT_TTL // 60}-minute idle timer; a gone session stays gone.")
    return (f"{expected}: 45 -> 70 is 25 idle minutes (renewed), 70 -> 105 is 35 (> 30: expired), and "
            "an expired session does not come back at minute 110.")


def keys_left_after_logout_everywhere() -> int:
    """Exercise 06.2, measured: session keys left after user000 (three devices) logs out everywhere."""
    shop = store_experiments.store_lab(servers=3, users=0, seed=63, embedded=True)
    store = shop.shared_store
    devices = [SimUser(shop.balancer, index) for index, count in DEVICES.items() for _ in range(count)]
    for device in devices:
        device.login()
    devices[1].request("POST", "/logout-everywhere")  # user000's second device
    return store.count("session:*")


def _check_keys_left(answer: Any) -> str:
    expected = keys_left_after_logout_everywhere()
    if number_or_none(answer) == 0:
        raise Wrong("log out everywhere ends *user000's* sessions, on every device. Whose session is not theirs?")
    expect_number(answer, expected, tolerance=0, what="session keys left")
    return (f"{expected}: user001's. user000's three session keys were listed in their index set and deleted "
            "in one command; every server refuses those cookies at once.")


def page_latency_ms() -> float:
    """Exercise 06.4, from the lesson's model: milliseconds the store's round trips add to the page."""
    return PAGE_REQUESTS * store_experiments.RTT_BY_PLACEMENT_MS[PAGE_PLACEMENT]


def _check_page_latency(answer: Any) -> str:
    expected = page_latency_ms()
    rtt = store_experiments.RTT_BY_PLACEMENT_MS[PAGE_PLACEMENT]
    value = number_or_none(answer)
    if value is not None and abs(value - rtt) < 1e-9:
        raise Wrong("that is one round trip; the page makes several requests, one after another.")
    expect_number(answer, expected, tolerance=0.01, what="the added milliseconds")
    same = store_experiments.RTT_BY_PLACEMENT_MS["same data centre"]
    return (f"{PAGE_REQUESTS} x {rtt} ms = {expected:g} ms, before any work. A store in the app "
            f"servers' own data centre cuts it to {PAGE_REQUESTS} x {same} = "
            f"{PAGE_REQUESTS * same:g} ms; a JWT check adds no round trip at all.")


EXERCISES: list[Exercise] = [
    Exercise("06.1", "guesses to hijack a session with short ids",
             "Each random guess is one of 2**bits possible ids, and any of the live sessions is a hit. "
             "On average, the first hit takes (possible ids) / (live sessions) guesses.", _check_guesses),
    Exercise("06.2", "what log out everywhere leaves behind",
             "Log out everywhere deletes every id in the user's index set, and only that user's. "
             "Count the sessions that belong to someone else.", _check_keys_left),
    Exercise("06.3", "sliding expiry",
             "Work out the idle gap before each request: 20, 25, 25, 35, 5 minutes. A request within 30 "
             "minutes of the last successful one succeeds and restarts the timer; an expired session is deleted.",
             _check_sliding),
    Exercise("06.4", "the round trips add up",
             "Look up the round-trip time for 'another zone' in lab.store_experiments.RTT_BY_PLACEMENT_MS. "
             "Requests one after another add their round trips.", _check_page_latency),
]
