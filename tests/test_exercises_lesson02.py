"""Every lesson-02 check accepts its solution and rejects a wrong answer."""
from __future__ import annotations

from typing import Any


import labsupport as lab
from exercise_contract import contract_tests

SOLUTIONS: dict[str, Any] = {
    "02.1": lambda servers, steps: (1 / servers) ** (steps - 1),
    "02.2": 0.2,
    "02.3": "consistent-hash",
    "02.4": 750,
}
WRONG: dict[str, list[Any]] = {
    "02.1": [lambda servers, steps: (1 / servers) ** steps, lambda s, k: "half", lambda s, k: 10**400,
             lambda s, k: float("nan"), 0.5],
    "02.2": [0.5, 1 / 3, "0.2"],
    "02.3": ["hash-modulo", "sticky", "ring"],
    "02.4": [600, 900, 750.0],
}


(test_every_exercise_is_covered, test_solution_accepted, test_wrong_answer_rejected_with_feedback,
 test_none_is_not_answered_yet_and_a_hint_exists, test_odd_answers_get_feedback) = contract_tests(
    "02", {k: [v] for k, v in SOLUTIONS.items()}, WRONG)


def test_a_function_that_raises_is_feedback_not_a_crash() -> None:
    verdict = lab.check("02.1", lambda servers, steps: 1 / 0)
    assert verdict.status == "not yet" and "ZeroDivisionError" in verdict.message


def test_02_3_accepts_only_the_two_hash_policies_and_explains_the_loser() -> None:
    wrong = lab.check("02.3", "hash-modulo").message
    assert wrong.startswith("hash-modulo logged out 8") and "hash mod N" in wrong
    assert "answer with one of 'hash-modulo', 'consistent-hash'" in lab.check("02.3", "sticky").message
