"""Each lesson-01 self-check accepts its solution, rejects wrong answers, and waits for None."""
from __future__ import annotations

from typing import Any

import pytest

import labsupport as lab
from labsupport.exercises import EXERCISES, lesson01

SOLUTIONS: dict[str, Any] = {
    "01.1": 0.25,
    "01.2": "c",
    "01.3": "client",
}
WRONG: dict[str, list[Any]] = {
    "01.1": [0.5, 1.0, 0.0, 1 / 3, 25, "a quarter", True],
    "01.2": ["a", "b", "d", 3],
    "01.3": ["server", "store", "browser", 0],
}


def test_every_lesson_01_exercise_is_covered() -> None:
    keys = {k for k in EXERCISES if k.startswith("01.")}
    assert keys == set(SOLUTIONS) == set(WRONG)
    assert [e.key for e in lesson01.EXERCISES] == sorted(keys)


@pytest.mark.parametrize("key", sorted(SOLUTIONS))
def test_solution_is_accepted(key: str) -> None:
    verdict = lab.check(key, SOLUTIONS[key])
    assert verdict.ok, verdict
    assert "[correct]" in repr(verdict)


@pytest.mark.parametrize("key, answer", [(k, a) for k, answers in WRONG.items() for a in answers])
def test_wrong_answer_is_rejected_with_feedback(key: str, answer: Any) -> None:
    verdict = lab.check(key, answer)
    assert not verdict.ok and verdict.status == "not yet"
    assert "[not yet]" in repr(verdict) and "raised" not in verdict.message


@pytest.mark.parametrize("key", sorted(SOLUTIONS))
def test_none_is_not_answered_yet(key: str) -> None:
    verdict = lab.check(key, None)
    assert verdict.status == "not answered yet"
    assert "not answered yet" in repr(verdict)


@pytest.mark.parametrize("key", sorted(SOLUTIONS))
def test_hint_exists(key: str) -> None:
    assert key in lab.hint(key)


def test_answers_are_computed_from_the_simulators() -> None:
    assert lesson01.share_right_two_random() == pytest.approx(0.25, abs=0.03)
    shares = lesson01.break_shares()
    assert shares["c"] == 1.0 and shares["a"] < 1.0 and shares["b"] < 1.0
    assert lesson01.signed_cookie_state() == (0, 6)


def test_the_theory_answer_and_the_measured_answer_both_pass() -> None:
    assert lab.check("01.1", lesson01.share_right_two_random()).ok
    assert lab.check("01.1", (1 / 2) ** 2).ok
    assert lab.check("01.2", " C ").ok and lab.check("01.3", "Client").ok
