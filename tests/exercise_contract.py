"""The contract every exercise check keeps, tested the same way for each lesson.

A lesson's test module lists its solutions and wrong answers and takes the four tests:

    (test_every_exercise_is_covered, test_solution_accepted, test_wrong_answer_rejected_with_feedback,
     test_none_is_not_answered_yet_and_a_hint_exists, test_odd_answers_get_feedback) = contract_tests(
        "02", SOLUTIONS, WRONG)
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pytest

import labsupport as lab


class Hostile:
    """An answer that raises from everything a check might do with it."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"hostile {name}")

    def __repr__(self) -> str:
        raise RuntimeError("hostile repr")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("hostile eq")

    def __hash__(self) -> int:
        raise RuntimeError("hostile hash")

    def __bool__(self) -> bool:
        raise RuntimeError("hostile bool")

    def __call__(self, *args: Any) -> Any:
        raise RuntimeError("hostile call")


def _raises(*args: Any) -> Any:
    raise ValueError("the learner's function failed")


ODD_ANSWERS: tuple[Any, ...] = ("", "  ", "nan", [], {}, (), set(), 0, -1, 10**30, 10**400, -10**400, float("nan"), float("inf"), True,
                                b"\xff", np.array([1.0, 2.0]), np.float64(0.5), object(), Hostile(), _raises,
                                lambda *args: None, [None], {"a": 1}, 1j)
"""Answers of every odd kind: each check must answer them with feedback, never raise."""


def contract_tests(lesson: str, solutions: Mapping[str, Sequence[Any]],
                   wrong: Mapping[str, Sequence[Any]]) -> tuple[Callable[..., None], ...]:
    """Tests that lesson ``lesson``'s checks accept every solution, reject every wrong answer with
    feedback (not a crash report), answer ``None`` with "not answered yet", and have a hint."""
    accepted = [(key, answer) for key, answers in sorted(solutions.items()) for answer in answers]
    rejected = [(key, answer) for key, answers in sorted(wrong.items()) for answer in answers]

    def test_every_exercise_is_covered() -> None:
        keys = {key for key in lab.exercises.EXERCISES if key.startswith(f"{lesson}.")}
        assert len(keys) >= 2
        assert keys == set(solutions) == set(wrong)
        assert all(solutions[key] and wrong[key] for key in keys)

    @pytest.mark.parametrize(("key", "answer"), accepted)
    def test_solution_accepted(key: str, answer: Any) -> None:
        verdict = lab.check(key, answer)
        assert verdict.ok, verdict
        assert repr(verdict).startswith(f"Exercise {key} [correct]")

    @pytest.mark.parametrize(("key", "answer"), rejected)
    def test_wrong_answer_rejected_with_feedback(key: str, answer: Any) -> None:
        verdict = lab.check(key, answer)
        assert verdict.status == "not yet", (answer, verdict)
        assert verdict.message and "checking your answer raised" not in verdict.message, verdict
        assert f"lab.hint('{key}')" in verdict.message

    @pytest.mark.parametrize("key", sorted(solutions))
    def test_none_is_not_answered_yet_and_a_hint_exists(key: str) -> None:
        verdict = lab.check(key, None)
        assert verdict.status == "not answered yet"
        assert "[not answered yet]" in repr(verdict)
        assert str(lab.hint(key)).startswith(f"Hint for {key}")

    @pytest.mark.parametrize("key", sorted(solutions))
    def test_odd_answers_get_feedback(key: str) -> None:
        for answer in ODD_ANSWERS:
            verdict = lab.check(key, answer)
            assert verdict.status in {"not yet", "correct"} and verdict.message, (key, type(answer))
            assert isinstance(repr(verdict), str)

    return (test_every_exercise_is_covered, test_solution_accepted, test_wrong_answer_rejected_with_feedback,
            test_none_is_not_answered_yet_and_a_hint_exists, test_odd_answers_get_feedback)
