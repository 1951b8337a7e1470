"""Every lesson-07 check accepts exactly what the measurements allow, and rejects the rest with the row that rules it out."""
from __future__ import annotations

import itertools
from typing import Any

import labsupport as lab
from exercise_contract import contract_tests
from labsupport.exercises import lesson07

SURVIVORS = ["replicated", "signed-cookie", "jwt", "jwt-revocable", "store"]
ALLOWED = {"bank": {"replicated", "jwt-revocable", "store"}, "news": {"signed-cookie", "jwt"},
           "mobile": {"jwt-revocable", "store"}}

SOLUTIONS: dict[str, list[Any]] = {
    "07.1": [SURVIVORS, tuple(reversed(SURVIVORS)), set(SURVIVORS), [" JWT ", "Store", "replicated", "signed-cookie",
                                                                     "jwt-revocable"]],
    "07.2": [{"bank": "store", "news": "jwt", "mobile": "jwt-revocable"},
             {"bank": "replicated", "news": "signed-cookie", "mobile": "store"}],
}
WRONG: dict[str, list[Any]] = {
    "07.1": [SURVIVORS[:-1], [*SURVIVORS, "memory+sticky"], ["memory"], "jwt", ["redis"], []],
    "07.2": [{"bank": "jwt", "news": "jwt", "mobile": "store"}, {"bank": "store", "news": "store", "mobile": "store"},
             {"bank": "store", "news": "jwt"}, {"bank": "store", "news": "jwt", "mobile": "nope"},
             {"bank": "store", "news": "jwt", "mobile": "store", "extra": "jwt"}, ["store", "jwt", "store"]],
}

(test_every_exercise_is_covered, test_solution_accepted, test_wrong_answer_rejected_with_feedback,
 test_none_is_not_answered_yet_and_a_hint_exists, test_odd_answers_get_feedback) = contract_tests(
    "07", SOLUTIONS, WRONG)


def test_the_expected_answers_come_from_the_measurements() -> None:
    suite = lesson07.measured()
    assert lesson07.survivors(suite) == SURVIVORS
    assert {key: set(s.allowed(suite)) for key, s in lesson07.SCENARIOS.items()} == ALLOWED


def test_the_capstone_accepts_exactly_the_allowed_picks() -> None:
    for bank, news, mobile in itertools.product(lab.tradeoffs.SETUP_NAMES, repeat=3):
        verdict = lab.check("07.2", {"bank": bank, "news": news, "mobile": mobile})
        fits = bank in ALLOWED["bank"] and news in ALLOWED["news"] and mobile in ALLOWED["mobile"]
        assert verdict.ok == fits, (bank, news, mobile, verdict)


def test_each_wrong_pick_is_explained_by_its_measured_row() -> None:
    message = lab.check("07.2", {"bank": "jwt", "news": "store", "mobile": "memory+sticky"}).message
    suite = lesson07.measured()
    assert f"seconds a copied credential works after logout: {suite['jwt'].revocation_seconds}" in message
    assert f"store round trips per page view: {suite['store'].price.round_trips_read}" in message
    assert f"users logged out when a server dies: {suite['memory+sticky'].logged_out['server dies']}" in message
    assert "never (> 1 day)" in lab.check("07.2", {"bank": "memory", "news": "jwt", "mobile": "store"}).message
    assert "memory+sticky logged users out" in lab.check("07.1", [*SURVIVORS, "memory+sticky"]).message
    assert "store logged nobody out" in lab.check("07.1", SURVIVORS[:-1]).message
