"""Lesson 00's exercises: each check accepts the solution, rejects a wrong answer, and waits for None."""
from __future__ import annotations

from typing import Any


import labsupport as lab
from exercise_contract import contract_tests
from labsupport.exercises import lesson00

# key -> (the notebook's solution, wrong answers); the solutions are computed the way the
# notebook's solution cells compute them, not copied from the checkers.
CASES: dict[str, tuple[Any, list[Any]]] = {
    "00.1": (300 // 3, [99, 300, "100", True, 33.3]),
    "00.2": ("s3", ["s1", "s2", "S4", 3, ""]),
    "00.3": (3, [2, 8, 1, "three"]),
}


(test_every_exercise_is_covered, test_solution_accepted, test_wrong_answer_rejected_with_feedback,
 test_none_is_not_answered_yet_and_a_hint_exists, test_odd_answers_get_feedback) = contract_tests(
    "00", {k: [solution] for k, (solution, _) in CASES.items()}, {k: wrongs for k, (_, wrongs) in CASES.items()})


def test_answers_are_measured_in_the_simulator() -> None:
    assert lesson00.requests_per_server() == {"s1": 100, "s2": 100, "s3": 100}
    assert lesson00.third_request_server() == "s3"
    assert lesson00.sessions_on_server() == 3


def test_case_and_spaces_do_not_matter_for_a_server_name() -> None:
    assert lab.check("00.2", " S3 ").ok


def test_a_check_never_raises_on_odd_answers() -> None:
    for key in CASES:
        for odd in (object(), [], {"a": 1}, float("nan"), -1):
            assert not lab.check(key, odd).ok


def test_00_2_each_wrong_server_gets_its_reason() -> None:
    assert lab.check("00.2", "s1").message.startswith("s1 answered user 0's first request.")
    assert lab.check("00.2", "s2").message.startswith("s2 answered user 1's request.")
