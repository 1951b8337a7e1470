"""Exercises of lesson 01: the cafe, and where the state goes when the server keeps none.

Each checker computes the expected answer from the simulators (``cafe`` and ``scenario``),
never from a hard-coded number.
"""
from __future__ import annotations

from typing import Any

from ..cafe import Cafe
from ..scenario import Lab
from .base import Exercise, Wrong, expect_choice, expect_number, number_or_none

SHARE_SETUP: dict[str, Any] = {"baristas": 2, "kind": "remembering", "dispatcher": "random",
                               "customers": 1000, "visits": 3, "seed": 11}
"""Exercise 01.1: two remembering baristas behind a random dispatcher, three visits each."""

BREAK_SETUPS: dict[str, dict[str, str]] = {
    "a": {"kind": "remembering", "dispatcher": "regular"},
    "b": {"kind": "remembering", "dispatcher": "round-robin"},
    "c": {"kind": "ticket", "dispatcher": "random"},
}
"""Exercise 01.2: three baristas, 12 customers, 3 visits, and Ben goes on break before visit 3."""
BREAK_EVENTS = {3: "break Ben"}
WHY_NOT = {
    "a": "each customer stays with one barista, which works until Ben leaves: his customers' orders left with "
         "his notes.",
    "b": "round robin sends later visits to baristas who have no notes for that customer, break or no break.",
}

WHERE_OPTIONS = ("server", "client", "store")
WHERE_LAB: dict[str, Any] = {"servers": 3, "strategy": "signed-cookie", "policy": "round-robin", "users": 20, "seed": 1}
WHERE_STEPS = 4
"""Exercise 01.3: where a signed-cookie session lives between requests, in section 7's lab."""


def share_right_two_random() -> float:
    """The measured share of customers served right in exercise 01.1's cafe."""
    return Cafe(**SHARE_SETUP).run().share_right


def _check_share(answer: Any) -> str:
    value = number_or_none(answer)
    if value is not None and not 0 <= value <= 1:
        raise Wrong(f"give a share between 0 and 1 (0.5 means half the customers), not {value:g}.")
    measured = share_right_two_random()
    expect_number(answer, measured, tolerance=0.05, what="the share of customers served right")
    return (f"the cafe measured {measured:.3f}. In theory (1/2)**2 = 0.25: visits 2 and 3 must each land "
            "on the one barista who holds the notes, each time with chance 1/2.")


def break_shares() -> dict[str, float]:
    """Exercise 01.2: the share served right by each option's cafe when Ben goes on break."""
    return {key: Cafe(baristas=3, customers=12, visits=3, seed=1, **setup).run(events=BREAK_EVENTS).share_right
            for key, setup in BREAK_SETUPS.items()}


def _check_break(answer: Any) -> str:
    shares = break_shares()
    correct = [key for key, share in shares.items() if share == 1.0]
    if len(correct) != 1:
        raise RuntimeError(f"exercise 01.2 expects exactly one option to serve everyone, got {shares}")
    choice = answer.strip().lower() if isinstance(answer, str) else None
    if choice in shares and choice != correct[0]:
        raise Wrong(f"option {choice!r} served {shares[choice]:.0%} of its customers right: {WHY_NOT[choice]}")
    expect_choice(answer, correct[0], list(BREAK_SETUPS))
    return ("every order came out right: the ticket carries the whole order, so Ben's break loses nothing "
            "and any barista can serve any visit.")


def signed_cookie_state() -> tuple[int, int]:
    """Exercise 01.3: sessions the servers hold, and users holding a session cookie, after section 7's run."""
    shop = Lab(servers=WHERE_LAB["servers"], strategy=WHERE_LAB["strategy"], policy=WHERE_LAB["policy"],
               users=WHERE_LAB["users"], seed=WHERE_LAB["seed"])
    shop.run_journeys(steps=WHERE_STEPS)
    held = sum(shop.cluster.sessions_held().values())
    carried = sum(u.client.get_cookie("session") is not None for u in shop.users)
    return held, carried


def _check_where(answer: Any) -> str:
    held, carried = signed_cookie_state()
    correct = "client" if held == 0 and carried else "server"
    choice = answer.strip().lower() if isinstance(answer, str) else None
    if choice == "server" and correct != "server":
        raise Wrong(f"after section 7's run the three servers hold {held} sessions between them. Look at what "
                    "`sessions_held()` says for that lab.")
    if choice == "store":
        raise Wrong("this lab has no store at all: only the servers and the users' browsers (lesson 06 adds one).")
    expect_choice(answer, correct, list(WHERE_OPTIONS))
    return (f"in section 7's lab the servers hold {held} sessions; all {carried} users carry their whole session "
            "(user and cart) in a signed cookie. The server is stateless; the system is not: the state moved to "
            "the client.")


EXERCISES: list[Exercise] = [
    Exercise("01.1", "share of right orders with two remembering baristas",
             "A customer's notes are with the barista who took visit 1. The random dispatcher picks each of the "
             "two baristas with chance 1/2, independently for visits 2 and 3. Or run the cafe: "
             "lab.cafe.Cafe(baristas=2, kind='remembering', dispatcher='random', customers=1000, visits=3, "
             "seed=11).run().share_right", _check_share),
    Exercise("01.2", "which cafe survives a barista's break",
             "When Ben goes on break, what leaves with him? Which option keeps nothing in a barista's memory? "
             "You can run each option: lab.cafe.Cafe(baristas=3, customers=12, visits=3, seed=1, kind=..., "
             "dispatcher=...).run(events={3: 'break Ben'}).summary()", _check_break),
    Exercise("01.3", "where a signed-cookie session lives",
             "Build section 7's lab again: lab.Lab(servers=3, strategy='signed-cookie', policy='round-robin', "
             "users=20, seed=1), call .run_journeys(steps=4) on it, then look at its .cluster.sessions_held() "
             "and at its .users[0].client.get_cookie('session').", _check_where),
]
