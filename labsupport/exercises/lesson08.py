"""Exercises of lesson 08: leaving the simulator.

The checks start no real process: each expected answer comes from the simulator (a seeded
``Lab``, the ``jwt-revocable`` strategy on the embedded store in simulated time) or from the
lesson's model, so they answer at once, also where redis-server, gunicorn or nginx are missing.
"""
from __future__ import annotations

from typing import Any

from ..clock import SimClock
from ..revocation_experiments import revocable_lab
from ..scenario import Lab
from .base import Exercise, Wrong, expect_number, number_or_none

CRASH_SETUP = {"servers": 5, "users": 100}
"""Exercise 08.1: five sticky servers; s1 crashes before round 2, s2's worker is killed before round 3."""

FSYNC = {"writes_per_second": 800, "fsync_every": 1.0}
"""Exercise 08.2: a Redis taking 800 session writes a second with ``appendfsync everysec``."""

RACE_ROUNDS = 30
TABS = 2
"""Exercise 08.3: two tabs, 30 rounds, read-modify-write behind the lesson's barrier."""

GRACE = {"grace": 2.0, "replay_after": 1.0}
"""Exercise 08.4: a 2 s grace window; a thief replays the spent refresh token 1 s after the owner's refresh."""


def crash_share_lost() -> float:
    """Exercise 08.1, measured in the simulator: the share of users logged out by the two faults."""
    run = Lab(servers=CRASH_SETUP["servers"], strategy="memory", policy="sticky", users=CRASH_SETUP["users"],
              seed=81).run_journeys(5, events={2: "kill s1", 3: "restart s2"})
    return len(run.lost_users) / len(run.started_users)


def _check_crash(answer: Any) -> str:
    expected = crash_share_lost()
    one = 1 / CRASH_SETUP["servers"]
    value = number_or_none(answer)
    if value is not None and abs(value - one) < 0.01:
        raise Wrong("that is one server's users. The respawned worker starts with empty memory too.")
    if value is not None and abs(value - (1 - expected)) < 0.01:
        raise Wrong("that is the share that kept its session; the question asks for the share logged out.")
    if value is not None and value > 1:
        raise Wrong("a share is a number between 0 and 1 (0.25 is a quarter).")
    expect_number(answer, expected, tolerance=0.02, what="the share logged out")
    return (f"the simulator measures {expected:.3f}: each sticky server held 1/{CRASH_SETUP['servers']} of the "
            "users, and both the crash and the worker restart took their memory with them.")


def writes_at_risk() -> float:
    """Exercise 08.2, the model: writes that reached Redis since its last fsync, at most one interval's worth."""
    return FSYNC["writes_per_second"] * FSYNC["fsync_every"]


def _check_fsync(answer: Any) -> str:
    expected = writes_at_risk()
    value = number_or_none(answer)
    if value == 0:
        raise Wrong("zero is appendfsync always (an fsync for every write). everysec fsyncs once a second: what "
                    "arrived since the last fsync is only in the operating system's memory.")
    if value is not None and value > 2 * expected:
        raise Wrong("more than two seconds' worth: Redis fsyncs every second (and at worst delays it by one more).")
    if value is not None and value < expected:
        raise Wrong(f"too low: {FSYNC['writes_per_second']} writes arrive every second, and a whole second can "
                    "pass between two fsyncs.")
    expect_number(answer, 1.5 * expected, tolerance=0.5 * expected, what="the writes at risk")  # one to two seconds
    return (f"about {expected:g}: one second of writes ({FSYNC['writes_per_second']}/s x "
            f"{FSYNC['fsync_every']:g} s), at worst two. A kill -9 of redis-server alone loses them only when "
            "Redis had not yet written them to the file; a power cut loses what the disk had not yet stored.")


def lost_updates() -> int:
    """Exercise 08.3, the model of the lesson's race: in every round the last of the two whole writes wins."""
    return RACE_ROUNDS * (TABS - 1)


def _check_race(answer: Any) -> str:
    expected = lost_updates()
    value = number_or_none(answer)
    if value == 0:
        raise Wrong("zero is what WATCH/MULTI and HINCRBY give. Both tabs read the same cart before either writes.")
    if value == TABS * RACE_ROUNDS:
        raise Wrong("that is every update sent. Each round, one of the two writes survives: the last one.")
    expect_number(answer, expected, tolerance=0, what="the lost updates")
    return (f"{expected}: every round both tabs read the same cart, and the second whole write replaced the first. "
            "Under real load the interleaving is rarer, but it happens, and nothing reports it.")


def replay_status() -> int:
    """Exercise 08.4, measured in the simulator: what a replay inside the grace window is answered."""
    shop = revocable_lab(servers=2, users=1, seed=84, refresh_grace=GRACE["grace"])
    owner = shop.users[0]
    with SimClock() as clock:
        owner.login()
        stolen = owner.tokens["refresh_token"]
        owner.request("POST", "/refresh", {"refresh_token": stolen})
        clock.advance(GRACE["replay_after"])
        return int(owner.request("POST", "/refresh", {"refresh_token": stolen}).status_code)


def _check_replay(answer: Any) -> str:
    expected = replay_status()
    value = number_or_none(answer)
    if value == 200:
        raise Wrong("the token was spent: only one request per refresh token ever gets new tokens.")
    if value == 401:
        raise Wrong("401 (reuse detected) is what a replay gets after the window. Inside it, the server cannot "
                    "tell a thief from the owner's second tab.")
    expect_number(answer, expected, tolerance=0, what="the status")
    return (f"{expected}: inside the window a replay looks like a lost race. The thief gets no tokens, but no "
            "alarm goes off either: that is the price of the window, so keep it to a second or two.")


EXERCISES: list[Exercise] = [
    Exercise("08.1", "two faults on sticky servers",
             "Each sticky server holds 1/N of the users. A crashed server and a respawned worker each lose "
             "their own users' sessions: add the two shares.", _check_crash),
    Exercise("08.2", "what appendfsync everysec can lose",
             "everysec fsyncs once a second: the writes since the last fsync are at risk. Multiply the write "
             "rate by that one second.", _check_fsync),
    Exercise("08.3", "lost updates",
             "With the barrier, both tabs read the same cart in every round, and the second write replaces the "
             "first: one update lost per round. Multiply by the rounds.", _check_race),
    Exercise("08.4", "a replay inside the grace window",
             "Inside the window, a spent refresh token is answered like the loser of a race between two tabs: "
             "look at the '409 lost the race' column.", _check_replay),
]
