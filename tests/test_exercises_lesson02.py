"""Every lesson-02 check accepts its solution and rejects a wrong answer."""
from __future__ import annotations

from typing import Any

import pytest

import labsupport as lab

SOLUTIONS: dict[str, Any] = {
    "02.1": lambda servers, steps: (1 / servers) ** (steps - 1),
    "02.2": 0.2,
    "02.3": "consistent-hash",
    "02.4": 750,
}
WRONG: dict[str, list[Any]] = {
    "02.1": [lambda servers, steps: (1 / servers) ** steps, lambda s, k: "half", 0.5],
    "02.2": [0.5, 1 / 3, "0.2"],
    "02.3": ["hash-modulo", "sticky", "ring"],
    "02.4": [600, 900, 750.0],
}


def test_every_lesson_02_exercise_is_covered() -> None:
    keys = {k for k in lab.exercises.EXERCISES if k.startswith("02.")}
    assert keys == set(SOLUTIONS) == set(WRONG)


@pytest.mark.parametrize("key", sorted(SOLUTIONS))
def test_solution_accepted(key: str) -> None:
    verdict = lab.check(key, SOLUTIONS[key])
    assert verdict.ok, verdict


@pytest.mark.parametrize("key", sorted(WRONG))
def test_wrong_answers_rejected_with_feedback(key: str) -> None:
    for answer in WRONG[key]:
        verdict = lab.check(key, answer)
        assert verdict.status == "not yet", (answer, verdict)
        assert verdict.message


@pytest.mark.parametrize("key", sorted(SOLUTIONS))
def test_none_is_not_answered_yet(key: str) -> None:
    assert lab.check(key, None).status == "not answered yet"


def test_a_function_that_raises_is_feedback_not_a_crash() -> None:
    verdict = lab.check("02.1", lambda servers, steps: 1 / 0)
    assert verdict.status == "not yet" and "ZeroDivisionError" in verdict.message
