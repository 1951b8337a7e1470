"""Each lesson-01 self-check accepts its solution, rejects wrong answers, and waits for None."""
from __future__ import annotations

from typing import Any

import pytest

import labsupport as lab
from exercise_contract import contract_tests
from labsupport.exercises import lesson01

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


(test_every_exercise_is_covered, test_solution_accepted, test_wrong_answer_rejected_with_feedback,
 test_none_is_not_answered_yet_and_a_hint_exists, test_odd_answers_get_feedback) = contract_tests(
    "01", {k: [v] for k, v in SOLUTIONS.items()}, WRONG)


def test_answers_are_computed_from_the_simulators() -> None:
    assert lesson01.share_right_two_random() == pytest.approx(0.25, abs=0.03)
    shares = lesson01.break_shares()
    assert shares["c"] == 1.0 and shares["a"] < 1.0 and shares["b"] < 1.0
    assert lesson01.signed_cookie_state() == (0, 20)


def test_the_theory_answer_and_the_measured_answer_both_pass() -> None:
    assert lab.check("01.1", lesson01.share_right_two_random()).ok
    assert lab.check("01.1", (1 / 2) ** 2).ok
    assert lab.check("01.2", " C ").ok and lab.check("01.3", "Client").ok


def test_01_1_a_share_outside_0_to_1_is_named_as_such() -> None:
    for outside in (-0.25, 25, 1.5):
        assert "give a share between 0 and 1" in lab.check("01.1", outside).message


def test_01_3_feedback_speaks_of_section_7s_lab() -> None:
    message = lab.check("01.3", "client").message
    assert "section 7's lab" in message and "all 20 users" in message
    assert "section 7's run" in lab.check("01.3", "server").message
