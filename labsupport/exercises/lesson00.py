"""Exercises of lesson 00: a warm-up, then reading what a round-robin balancer and in-memory sessions do.

Each checker builds the same seeded lab the prompt describes and measures the expected
answer in the simulator, so a change to the simulator cannot leave a stale answer here.
"""
from __future__ import annotations

from typing import Any

from ..scenario import Lab
from .base import Exercise, Wrong, expect_choice, expect_number

WARM_UP_REQUESTS = 300
"""Exercise 00.1: how many ``GET /`` requests one user sends to a fresh 3-server lab."""

SESSIONS_LAB: dict[str, int] = {"servers": 3, "users": 8, "seed": 1}
SESSIONS_STEPS = 2
SESSIONS_SERVER = "s2"
"""Exercise 00.3: the lab, the journey length and the server whose memory is counted."""


def requests_per_server() -> dict[str, int]:
    """Exercise 00.1, measured: one user sends 300 ``GET /`` to ``Lab(servers=3, users=1, seed=0)``."""
    lab = Lab(servers=3, users=1, seed=0)
    user = lab.users[0]
    counts = dict.fromkeys(lab.cluster.alive_names(), 0)
    for _ in range(WARM_UP_REQUESTS):
        counts[user.request("GET", "/").headers["X-Served-By"]] += 1
    return counts


def _check_requests_per_server(answer: Any) -> str:
    counts = requests_per_server()
    expected = counts["s1"]
    expect_number(answer, expected, tolerance=0, what="requests per server")
    return (f"{expected} each: round robin deals {WARM_UP_REQUESTS} requests to 3 servers in turn, "
            f"measured {counts}. That is the whole exercise pattern: answer, check, hint, solution.")


ROUND_ROBIN_ORDER = ((0, "user 0's first request"), (1, "user 1's request"), (0, "user 0's second request"))
"""Exercise 00.2: who sends the three ``GET /`` requests, in order."""


def round_robin_answers() -> list[tuple[str, str]]:
    """Exercise 00.2, measured on ``Lab(servers=3, users=3, seed=0)``: (which request, the server that answered it)."""
    lab = Lab(servers=3, users=3, seed=0)
    return [(what, str(lab.users[user].request("GET", "/").headers["X-Served-By"])) for user, what in ROUND_ROBIN_ORDER]


def third_request_server() -> str:
    """Exercise 00.2, measured: the server that answered user 0's second request."""
    return round_robin_answers()[-1][1]


def _check_third_request(answer: Any) -> str:
    answers = round_robin_answers()
    expected = answers[-1][1]
    choice = answer.strip().lower() if isinstance(answer, str) else None
    other = next((what for what, server in answers[:-1] if server == choice), None)
    if other is not None:
        raise Wrong(f"{choice} answered {other}. The balancer deals requests in turn, whoever sends them: "
                    "user 0's second request is the third request it sees.")
    expect_choice(answer, expected, ["s1", "s2", "s3"])
    return (f"{expected}: round robin counts requests, not users. User 0's second request is the third "
            "request the balancer sees, so it goes to the third server, whoever sent the ones before.")


def sessions_on_server() -> int:
    """Exercise 00.3, measured: sessions ``s2`` holds after ``Lab(servers=3, users=8, seed=1).run_journeys(steps=2)``."""
    lab = Lab(servers=SESSIONS_LAB["servers"], users=SESSIONS_LAB["users"], seed=SESSIONS_LAB["seed"])
    lab.run_journeys(steps=SESSIONS_STEPS)
    return lab.cluster.sessions_held()[SESSIONS_SERVER]


def _check_sessions(answer: Any) -> str:
    expected = sessions_on_server()
    expect_number(answer, expected, tolerance=0, what=f"sessions held by {SESSIONS_SERVER}")
    return (f"{expected}: only a login creates a session, in the memory of the server that answered it. "
            "Round robin dealt the 8 logins s1, s2, s3, s1, s2, s3, s1, s2; the failed requests of "
            "step 1 neither moved nor removed a session.")


EXERCISES: list[Exercise] = [
    Exercise(
        "00.1", "warm-up: requests per server",
        "Round robin sends each request to the next server in turn: s1, s2, s3, s1, ... "
        "Divide the requests by the servers, or send them and count the X-Served-By headers.",
        _check_requests_per_server,
    ),
    Exercise(
        "00.2", "which server answers user 0's second request",
        "The balancer keeps one turn counter for everybody; it does not look at who is asking. "
        "Count the requests it has seen in total, or build the lab and send them.",
        _check_third_request,
    ),
    Exercise(
        "00.3", "sessions held by s2 after a short run",
        "Only a login creates a session, and only on the server that answered it. In round 0 the "
        "8 users log in one after another, dealt to s1, s2, s3, s1, ... A failed request does not "
        "remove a session. Or build the lab, run it and look at `.cluster.sessions_held()`.",
        _check_sessions,
    ),
]
