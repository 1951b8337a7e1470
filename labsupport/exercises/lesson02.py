"""Exercises of lesson 02: a stateful server behind a load balancer."""
from __future__ import annotations

from functools import cache
from typing import Any

from .. import experiments
from .base import Exercise, Wrong, call_learner, expect_choice, expect_number, number_or_none, shown

CASES = [(1, 5), (2, 2), (3, 3), (4, 5), (8, 2)]


def _theory_function(answer: Any) -> str:
    if not callable(answer):
        raise Wrong("answer should be a function: def kept(servers, steps): return ...")
    for servers, steps in CASES:
        got = call_learner(answer, servers, steps, name="kept")
        expected = (1 / servers) ** (steps - 1)
        value = number_or_none(got)
        if value is None:
            raise Wrong(f"kept({servers}, {steps}) returned {shown(got)}; it should return a number between 0 and 1.")
        if abs(value - expected) > 1e-9:
            hint = ""
            if abs(value - (1 / servers) ** steps) < 1e-9:
                hint = " The login can land anywhere: only the steps after it must hit the same server."
            raise Wrong(f"kept({servers}, {steps}) = {value:g}, but a journey of {steps} steps on {servers} "
                        f"servers is kept with probability {expected:g}.{hint}")
    return "your formula matches (1/N)^(k-1) for every case tried."


@cache
def failover_share() -> float:
    """Exercise 02.2's measurement: users logged out when one of 5 sticky servers dies (seeded: run once)."""
    return float(experiments.sticky_failover(servers=[5])[0]["lost"])


def _sticky_failover(answer: Any) -> str:
    measured = failover_share()
    expect_number(answer, measured, tolerance=0.03, what="the share of users logged out")
    return f"the simulator measures {measured:.3f}: one server in five held a fifth of the sessions."


HASH_POLICIES = ("hash-modulo", "consistent-hash")
"""Exercise 02.3: the two hash policies whose scale-out the question compares."""


@cache
def scale_out_shares() -> dict[str, float]:
    """Exercise 02.3's measurement: the share each hash policy logs out in the scale-out (seeded: run once)."""
    return {row["policy"]: row["lost"] for row in experiments.scale_out_loss(policies=HASH_POLICIES).rows}


def _fewest_remapped(answer: Any) -> str:
    lost = dict(scale_out_shares())
    best = min(lost, key=lambda policy: lost[policy])
    choice = answer.strip().lower() if isinstance(answer, str) else None
    if choice in lost and choice != best:
        raise Wrong(f"{choice} logged out {lost[choice]:.0%} of the users when the fifth server joined: "
                    "hash mod N changes for most hashes when N changes, so most clients land on a server that "
                    "never saw their session.")
    expect_choice(answer, best, list(HASH_POLICIES))
    return (f"{best} logged out {lost[best]:.0%} against {max(lost.values()):.0%}: the ring moves only about "
            "1/N of the clients when a server joins, so only they lose their in-memory session.")


def _replication_messages(answer: Any) -> str:
    row = experiments.replication_traffic(servers=[6], users=50, steps=3)[0]
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise Wrong(f"answer with a whole number of messages, got {shown(answer)}.")
    if answer != row["replication messages"]:
        raise Wrong(f"{answer} is not it. Each of the {row['session writes']} session writes goes to every other server.")
    return f"{row['session writes']} writes x 5 peers = {answer} messages."


EXERCISES: list[Exercise] = [
    Exercise("02.1", "the theory of round robin",
             "The login may land on any server. Each of the k - 1 later requests must land on that same "
             "server, with probability 1/N each, independently.", _theory_function),
    Exercise("02.2", "one sticky server of five dies",
             "Sticky balancing spreads users evenly at login, so each server holds about 1/N of them.",
             _sticky_failover),
    Exercise("02.3", "scaling out with hashing",
             "Compare the two rows of lab.experiments.scale_out_loss(): the share of users each hash policy "
             "logged out when a fifth server joined four.", _fewest_remapped),
    Exercise("02.4", "the price of replication",
             "Every successful request writes the session once (login included); each write is sent to "
             "every other live server.", _replication_messages),
]
