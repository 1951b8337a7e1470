"""Lesson 00's exercises: each check accepts the solution, rejects a wrong answer, and waits for None."""
from __future__ import annotations

from typing import Any

import pytest

import labsupport as lab
from labsupport.exercises import EXERCISES
from labsupport.exercises import lesson00

# key -> (the notebook's solution, wrong answers); the solutions are computed the way the
# notebook's solution cells compute them, not copied from the checkers.
CASES: dict[str, tuple[Any, list[Any]]] = {
    "00.1": (300 // 3, [99, 300, "100", True, 33.3]),
    "00.2": ("s3", ["s1", "s2", "S4", 3, ""]),
    "00.3": (3, [2, 8, 1, "three"]),
}


def test_every_lesson00_exercise_is_covered() -> None:
    keys = {key for key in EXERCISES if key.startswith("00.")}
    assert keys == set(CASES)
    assert [e.key for e in lesson00.EXERCISES] == sorted(CASES)


@pytest.mark.parametrize("key", sorted(CASES))
def test_check_accepts_the_solution(key: str) -> None:
    verdict = lab.check(key, CASES[key][0])
    assert verdict.ok, verdict
    assert repr(verdict).startswith(f"Exercise {key} [correct]")


@pytest.mark.parametrize(("key", "wrong"), [(k, w) for k, (_, ws) in sorted(CASES.items()) for w in ws])
def test_check_rejects_a_wrong_answer(key: str, wrong: Any) -> None:
    verdict = lab.check(key, wrong)
    assert not verdict.ok
    assert verdict.status == "not yet"
    assert "[not yet]" in repr(verdict)


@pytest.mark.parametrize("key", sorted(CASES))
def test_none_is_not_answered_yet(key: str) -> None:
    verdict = lab.check(key, None)
    assert verdict.status == "not answered yet"
    assert "[not answered yet]" in repr(verdict)


@pytest.mark.parametrize("key", sorted(CASES))
def test_every_exercise_has_a_hint(key: str) -> None:
    assert str(lab.hint(key)).startswith(f"Hint for {key}")


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
