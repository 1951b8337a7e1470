"""Every lesson-05 check accepts its solution and rejects wrong answers with feedback."""
from __future__ import annotations

from typing import Any

import pytest

import labsupport as lab
from exercise_contract import contract_tests
from labsupport.exercises import lesson05

SOLUTIONS: dict[str, Any] = {
    "05.1": 180,
    "05.2": 30,
    "05.3": [401, 401, 200],
    "05.4": 14,
}
WRONG: dict[str, list[Any]] = {
    "05.1": [0, 600, 480, 420, 179, 181, "180", True, float("nan")],
    "05.2": [45, 15, 3, 10_000, 29, 31, "30", [30]],
    "05.3": [[200, 200, 200], [401, 200, 200], [200, 401, 200], [401, 401, 401], [401, 401], "401 401 200",
             [401.0, 401, 200], [True, 401, 200], [503, 401, 200]],
    "05.4": [0, 9, 13, 15, 17, 8.5, "14"],
}


(test_every_exercise_is_covered, test_solution_accepted, test_wrong_answer_rejected_with_feedback,
 test_none_is_not_answered_yet_and_a_hint_exists, test_odd_answers_get_feedback) = contract_tests(
    "05", {k: [v] for k, v in SOLUTIONS.items()}, WRONG)


def test_the_expected_answers_are_measured() -> None:
    assert lesson05.usable_after_logout() == 180
    assert lesson05.usable_after_logout(lifetime=300, stolen_at=0, logout_at=100) == 200
    assert lesson05.denylist_plateau() == 30
    assert lesson05.attacker_refreshes_first() == [401, 401, 200]
    assert lesson05.visit_round_trips() == 14
    assert lesson05.visit_round_trips((("log in", 1), ("view profile", 3))) == 2 + 3


def test_a_tuple_is_as_good_as_a_list_for_05_3() -> None:
    assert lab.check("05.3", (401, 401, 200)).ok


@pytest.mark.parametrize(("key", "answer", "words"), [
    ("05.1", 0, "remembers the logout"),
    ("05.1", 600, "already 420 s old"),
    ("05.1", 480, "does not matter"),
    ("05.2", 45, "5 minutes old"),
    ("05.2", 15, "time the token has LEFT"),
    ("05.2", 3, "per minute"),
    ("05.2", 10_000, "TTL"),
    ("05.3", [200, 401, 200], "spent"),
    ("05.3", [401, 200, 200], "whole family"),
    ("05.3", [401, 401, 401], "new family"),
    ("05.4", 9, "token family"),
    ("05.4", 0, "plain stateless JWT"),
])
def test_feedback_names_the_mistake(key: str, answer: Any, words: str) -> None:
    verdict = lab.check(key, answer)
    assert not verdict.ok and words in verdict.message, verdict
