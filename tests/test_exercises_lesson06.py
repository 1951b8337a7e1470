"""Every lesson-06 check accepts its solution and rejects wrong answers with feedback."""
from __future__ import annotations

from typing import Any


import labsupport as lab
from exercise_contract import contract_tests
from labsupport.exercises import lesson06

SOLUTIONS: dict[str, Any] = {
    "06.1": 2 ** 20 / 500,
    "06.3": [200, 200, 200, 401, 401],
    "06.2": 1,
    "06.4": 4 * 1.5,
}
WRONG: dict[str, list[Any]] = {
    "06.1": [2 ** 20, 2 ** 19, 500, "2097", float("nan")],
    "06.3": [[200, 200, 200, 401, 200], [200, 200, 401, 401, 401], [200] * 5, (200, 200), "200", 200],
    "06.2": [0, 3, 4, "1", True],
    "06.4": [1.5, 2.0, 60.0, "6"],
}
ALSO_RIGHT: dict[str, list[Any]] = {
    "06.1": [2097, 2100.0, 2000.0],  # within 5%
    "06.3": [(200, 200, 200, 401, 401)],
    "06.2": [1.0],
    "06.4": [6],
}


(test_every_exercise_is_covered, test_solution_accepted, test_wrong_answer_rejected_with_feedback,
 test_none_is_not_answered_yet_and_a_hint_exists, test_odd_answers_get_feedback) = contract_tests(
    "06", {k: [v] for k, v in SOLUTIONS.items()}, WRONG)


def test_expected_answers_come_from_the_simulator_and_the_model() -> None:
    assert lesson06.expected_first_hit() == 2 ** 20 / 500
    assert lesson06.sliding_statuses() == SOLUTIONS["06.3"]
    assert lesson06.keys_left_after_logout_everywhere() == 1
    assert lesson06.page_latency_ms() == 4 * lab.store_experiments.RTT_BY_PLACEMENT_MS["another zone"]


def test_specific_feedback() -> None:
    assert "number of possible ids" in lab.check("06.1", 2 ** 20).message
    assert "minute 110" in lab.check("06.3", [200, 200, 200, 401, 200]).message
    assert "Whose session" in lab.check("06.2", 0).message
    assert "one round trip" in lab.check("06.4", 1.5).message
