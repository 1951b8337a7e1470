"""Exercises of lesson 07: the trade-offs, measured.

Every expected answer is computed from the lesson's measurement suite (``tradeoffs.run_suite()``,
run once and kept: it is deterministic), never typed in.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..tradeoffs import SETUP_NAMES, Measurements, Suite, run_suite
from ..tradeoffs.suite import EVENTS
from .base import Exercise, Wrong, shown


@cache
def measured() -> Suite:
    """The lesson's measurements, with the lesson's defaults (run once per process)."""
    return run_suite()


# --- 07.1: reading the table --------------------------------------------------------------------


def survivors(suite: Suite) -> list[str]:
    """Setups that logged nobody out in any of the three cluster events."""
    return [m.setup.name for m in suite if not any(m.logged_out[event] for event in EVENTS)]


EVENT_WORDS = {"server dies": "when a server died", "rolling deploy": "in a rolling deploy",
               "scale out": "when a server joined"}


def _names_of(answer: Any, what: str) -> list[str]:
    """``answer`` as a list of known setup names, or ``Wrong`` saying what is off."""
    if isinstance(answer, (str, bytes)) or not isinstance(answer, (list, tuple, set, frozenset)):
        raise Wrong(f"answer with a list of setup names, like ['jwt', 'store'], got {shown(answer)}.")
    names = []
    for item in answer:
        if not isinstance(item, str) or item.strip().lower() not in SETUP_NAMES:
            raise Wrong(f"{shown(item)} is not a setup; {what} are among: {', '.join(SETUP_NAMES)}.")
        names.append(item.strip().lower())
    return names


def _check_survivors(answer: Any) -> str:
    suite = measured()
    expected = survivors(suite)
    names = _names_of(answer, "the setups")
    extra = [n for n in dict.fromkeys(names) if n not in expected]
    missing = [n for n in expected if n not in names]
    problems = []
    for name in extra:
        lost = ", ".join(f"{suite[name].logged_out[event]} {EVENT_WORDS[event]}" for event in EVENTS
                         if suite[name].logged_out[event])
        problems.append(f"{name} logged users out ({lost})")
    for name in missing:
        problems.append(f"{name} logged nobody out in any of the three")
    if problems:
        raise Wrong("not quite: " + "; ".join(problems) + ".")
    others = [m.setup.name for m in suite if m.setup.name not in expected]
    return (f"{', '.join(expected)} logged nobody out; {', '.join(others)} lost users in at least one event: "
            "a session that lives in one server's memory dies with that server.")


# --- 07.2: the capstone ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """One need of a scenario: a row of the table and the value it must show."""

    measure: str
    read: Callable[[Measurements], object]
    needed: str

    def met(self, m: Measurements) -> bool:
        """True when setup ``m`` meets this need (every need here asks for exactly zero)."""
        return self.read(m) == 0

    def why_not(self, m: Measurements) -> str:
        value = self.read(m)
        shown_value = "never (> 1 day)" if value is None else value
        return f"{self.measure}: {shown_value} (it needs {self.needed})"


INSTANT_REVOCATION = Requirement("seconds a copied credential works after logout", lambda m: m.revocation_seconds, "0")
SURVIVES_CRASH = Requirement("users logged out when a server dies", lambda m: m.logged_out["server dies"], "0")
SURVIVES_DEPLOY = Requirement("users logged out by a rolling deploy", lambda m: m.logged_out["rolling deploy"], "0")
SURVIVES_SCALING = Requirement("users logged out by a scale-out", lambda m: m.logged_out["scale out"], "0")
NO_STORE_TRIP = Requirement("store round trips per page view", lambda m: m.price.round_trips_read, "0")
NO_SERVER_MEMORY = Requirement("session bytes per server per 10,000 users", lambda m: m.memory.per()[0], "0")


@dataclass(frozen=True)
class Scenario:
    """A product, in words, and the needs it puts on its sessions."""

    story: str
    needs: tuple[Requirement, ...]

    def allowed(self, suite: Suite) -> list[str]:
        """The setups that meet every need, by the measurements."""
        return [m.setup.name for m in suite if all(need.met(m) for need in self.needs)]


SCENARIOS: Mapping[str, Scenario] = {
    "bank": Scenario("a banking app: a logout must end the session everywhere at once, and no crash or deploy "
                     "may log anyone out", (INSTANT_REVOCATION, SURVIVES_CRASH, SURVIVES_DEPLOY)),
    "news": Scenario("a read-heavy news site: millions of readers, pages must not wait on a store, servers come "
                     "and go with the traffic", (NO_STORE_TRIP, NO_SERVER_MEMORY, SURVIVES_CRASH, SURVIVES_SCALING)),
    "mobile": Scenario("a mobile app with 30-day sessions: a lost phone must be logged out at once, no crash may log "
                       "anyone out, and 30 days of sessions must not sit in the app servers' memory",
                       (INSTANT_REVOCATION, NO_SERVER_MEMORY, SURVIVES_CRASH)),
}
"""Exercise 07.2: each scenario's needs, each a row of the lesson's table."""


def _check_capstone(answer: Any) -> str:
    if not isinstance(answer, dict):
        raise Wrong(f"answer with a dict of setup names, like {{'bank': ..., 'news': ..., 'mobile': ...}}, "
                    f"got {shown(answer)}.")
    keys = [k for k in answer if isinstance(k, str)]
    if sorted(keys) != sorted(SCENARIOS) or len(answer) != len(SCENARIOS):
        raise Wrong(f"the dict needs exactly the keys {', '.join(repr(k) for k in SCENARIOS)}.")
    suite = measured()
    problems = []
    picks = {}
    for key, scenario in SCENARIOS.items():
        pick = answer[key]
        if not isinstance(pick, str) or pick.strip().lower() not in SETUP_NAMES:
            raise Wrong(f"{key}: {shown(pick)} is not a setup; pick one of {', '.join(SETUP_NAMES)}.")
        picks[key] = pick = pick.strip().lower()
        failing = [need.why_not(suite[pick]) for need in scenario.needs if not need.met(suite[pick])]
        if failing:
            problems.append(f"{key}: {pick} is ruled out by {'; '.join(failing)}")
    if problems:
        raise Wrong(" | ".join(problems) + ".")
    return "every pick fits its scenario. " + "; ".join(
        f"{key}: {picks[key]} (any of {', '.join(scenario.allowed(suite))} would)" for key, scenario in SCENARIOS.items())


EXERCISES: list[Exercise] = [
    Exercise("07.1", "who survives the cluster's bad days",
             "Read the three rows 'users logged out when a server dies', 'users logged out by a rolling deploy' and "
             "'users logged out by a scale-out' of the table: keep the setups with 0 in all three.",
             _check_survivors),
    Exercise("07.2", "pick a design",
             "Each scenario's needs are rows of the table, each needing 0 (print "
             "lab.exercises.lesson07.SCENARIOS). For each scenario, pick a setup whose column shows 0 in every one "
             "of its rows.", _check_capstone),
]
