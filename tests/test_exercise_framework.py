"""The exercise framework: a self-check never raises, and its helpers judge answers right."""
from __future__ import annotations

import math
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import labsupport as lab
from labsupport import UnknownChoice
from labsupport.exercises import EXERCISES, Exercise, Hint, Verdict, Wrong, expect_choice, expect_number
from labsupport.exercises.base import call_learner

FUZZ = settings(max_examples=150, deadline=None, database=None, derandomize=True)


def number_checker(answer: Any) -> str:
    expect_number(answer, 0.25, tolerance=0.01, what="the share kept")
    return "right: a quarter of journeys survive."


def choice_checker(answer: Any) -> str:
    expect_choice(answer, "sticky", ["round-robin", "sticky", "consistent-hash"])
    return "right: sticky."


NUMBER = Exercise("99.1", "a number", "think about 1/N per step", number_checker)
CHOICE = Exercise("99.2", "a choice", "which policy pins users?", choice_checker)


class Evil:
    """An answer that raises from everything a checker might call on it."""

    def __getattribute__(self, name: str) -> Any:
        if name in {"__class__", "__dict__"}:
            return object.__getattribute__(self, name)
        raise RuntimeError(f"evil {name}")

    def __repr__(self) -> str:
        raise RuntimeError("evil repr")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("evil eq")

    __hash__ = None  # type: ignore[assignment]

    def __float__(self) -> float:
        raise RuntimeError("evil float")

    def __len__(self) -> int:
        raise RuntimeError("evil len")


# --- Exercise.check -------------------------------------------------------------------


def test_none_means_not_answered_yet() -> None:
    verdict = NUMBER.check(None)
    assert verdict.status == "not answered yet"
    assert not verdict.ok and not verdict
    assert "answer = None" in verdict.message and "lab.hint('99.1')" in verdict.message
    assert repr(verdict).startswith("Exercise 99.1 [not answered yet] ")


def test_a_right_answer_is_correct() -> None:
    verdict = NUMBER.check(0.25)
    assert verdict == Verdict("99.1", "correct", "right: a quarter of journeys survive.")
    assert verdict.ok and verdict
    assert repr(verdict) == "Exercise 99.1 [correct] right: a quarter of journeys survive."


def test_wrong_becomes_not_yet_with_its_message_and_a_hint_pointer() -> None:
    verdict = NUMBER.check(0.5)
    assert verdict.status == "not yet" and not verdict
    assert verdict.message == "the share kept = 0.5 is too high. Stuck? lab.hint('99.1')"
    assert repr(verdict) == "Exercise 99.1 [not yet] the share kept = 0.5 is too high. Stuck? lab.hint('99.1')"


@pytest.mark.parametrize("error", [ZeroDivisionError("division by zero"), KeyError("s9"), TypeError("nope"),
                                   ValueError("bad"), RecursionError("deep"), AttributeError("x"),
                                   UnknownChoice("policy", "x", ["a"]), StopIteration()])
def test_a_bug_in_a_checker_surfaces_as_an_error_never_as_the_learners_fault(error: Exception) -> None:
    def broken(answer: Any) -> str:
        raise error

    with pytest.raises(type(error)):
        Exercise("99.3", "broken", "none", broken).check(42)


@pytest.mark.parametrize("error", [ZeroDivisionError("division by zero"), KeyError("s9"), TypeError("nope"),
                                   RecursionError("deep"), StopIteration()])
def test_what_the_learners_function_raises_is_feedback(error: Exception) -> None:
    def learners(servers: int, steps: int) -> float:
        raise error

    def checker(answer: Any) -> str:
        call_learner(answer, 3, 2, name="kept")
        return "fine"

    verdict = Exercise("99.5", "calls", "none", checker).check(learners)
    assert verdict.status == "not yet"
    assert verdict.message.startswith(f"kept(3, 2) raised {type(error).__name__}")


def test_an_answer_that_raises_from_everything_is_not_yet() -> None:
    for exercise in [NUMBER, CHOICE]:
        verdict = exercise.check(Evil())
        assert verdict.status == "not yet"


ANSWERS = st.one_of(
    st.integers(), st.floats(), st.booleans(), st.text(max_size=40), st.binary(max_size=20),
    st.complex_numbers(), st.decimals(), st.fractions(),
    st.lists(st.integers(), max_size=5), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.sampled_from(["sticky", " Sticky ", "STICKY", "round-robin", "0.25", "nan", "", Evil(), object(),
                     float("nan"), float("inf"), -float("inf"), np.float64(0.25), np.array([0.25]), 0.25]),
)


@FUZZ
@given(answer=ANSWERS)
def test_check_never_raises_and_judges_consistently(answer: Any) -> None:
    def right_number(a: Any) -> bool:
        return isinstance(a, (int, float)) and not isinstance(a, bool) and abs(float(a) - 0.25) <= 0.01

    def right_choice(a: Any) -> bool:
        return isinstance(a, str) and a.strip().lower() == "sticky"

    for exercise, is_right in [(NUMBER, right_number), (CHOICE, right_choice)]:
        verdict = exercise.check(answer)
        assert isinstance(verdict, Verdict)
        assert verdict.status in {"correct", "not yet"}
        assert verdict.ok == is_right(answer), (exercise.key, answer, verdict)
        assert isinstance(repr(verdict), str)


# --- lab.check and lab.hint -----------------------------------------------------------


def test_lab_check_with_an_unknown_key_is_not_yet() -> None:
    for key in ["99.9", "", "02.1 ", 3, None]:
        verdict = lab.check(key, 0.25)  # type: ignore[arg-type]
        assert verdict.status == "not yet" and not verdict
        assert "there is no exercise" in verdict.message and "keys look like '02.1'" in verdict.message
    verdict = lab.check("02.9", 0.25)
    assert verdict.message == "there is no exercise '02.9'; lesson 02 has 02.1, 02.2, 02.3, 02.4"


def test_checking_an_exercise_loads_only_its_own_lesson() -> None:
    code = ("import sys, labsupport as lab; lab.check('02.1', None); lab.check('03.9', 1); lab.hint('06.2'); "
            "print(sorted(m for m in sys.modules if m.startswith('labsupport.exercises.lesson') "
            "or m == 'labsupport.attacks'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(["labsupport.exercises.lesson02", "labsupport.exercises.lesson03",
                                         "labsupport.exercises.lesson06"])


def test_lab_check_and_hint_find_a_registered_exercise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(EXERCISES, NUMBER.key, NUMBER)
    assert lab.check("99.1", 0.25).ok
    assert lab.check("99.1", 0.75).status == "not yet"
    assert lab.check("99.1", None).status == "not answered yet"
    text = lab.hint("99.1")
    assert isinstance(text, Hint)
    assert text == "Hint for 99.1 (a number): think about 1/N per step"
    assert repr(text) == str(text)  # prints as plain text, no quotes


def test_lab_hint_with_an_unknown_key_lists_the_keys() -> None:
    with pytest.raises(UnknownChoice) as caught:
        lab.hint("99.9")
    assert caught.value.known == list(EXERCISES)
    assert "'99.9'" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_every_registered_exercise_has_a_hint_and_waits_for_an_answer() -> None:
    assert EXERCISES, "no exercises registered"
    for key, exercise in EXERCISES.items():
        assert exercise.key == key
        assert exercise.hint.strip() and exercise.title.strip()
        assert lab.hint(key).startswith(f"Hint for {key} (")
        assert lab.check(key, None).status == "not answered yet"


# --- expect_number and expect_choice --------------------------------------------------


@pytest.mark.parametrize("value", [0.25, 0.259, 0.241, 0.2500001, Fraction(1, 4) * 1.0, np.float64(0.25)])
def test_expect_number_accepts_values_within_tolerance(value: Any) -> None:
    assert expect_number(value, 0.25, tolerance=0.01, what="x") == pytest.approx(float(value))


def test_expect_number_accepts_ints_and_returns_a_float() -> None:
    result = expect_number(3, 3, tolerance=0, what="requests")
    assert result == 3.0 and isinstance(result, float)


@pytest.mark.parametrize(("value", "direction"), [(0.27, "too high"), (0.2, "too low"), (1e300, "too high"),
                                                  (-math.inf, "too low"), (math.inf, "too high")])
def test_expect_number_rejects_values_outside_tolerance(value: float, direction: str) -> None:
    with pytest.raises(Wrong, match=direction):
        expect_number(value, 0.25, tolerance=0.01, what="x")


@pytest.mark.parametrize("value", [True, False, math.nan, np.nan, "0.25", "1", None, [0.25], 0.25j,
                                   Decimal("0.25"), b"0.25"])
def test_expect_number_rejects_non_numbers(value: Any) -> None:
    with pytest.raises(Wrong, match="should be a number"):
        expect_number(value, 0.25, tolerance=1e9, what="x")


def test_expect_number_rejects_true_even_when_one_is_right() -> None:
    with pytest.raises(Wrong):
        expect_number(True, 1, tolerance=0, what="x")
    assert expect_number(1, 1, tolerance=0, what="x") == 1.0


def test_expect_number_accepts_numpy_integers() -> None:
    assert expect_number(np.int64(3), 3, tolerance=0, what="requests") == 3.0


@pytest.mark.parametrize("answer", ["sticky", "Sticky", " STICKY ", "sticky\n"])
def test_expect_choice_accepts_the_right_option_in_any_case(answer: str) -> None:
    assert expect_choice(answer, "sticky", ["round-robin", "sticky"]) == answer


def test_expect_choice_rejects_another_option() -> None:
    with pytest.raises(Wrong, match="'round-robin' is not it"):
        expect_choice("round-robin", "sticky", ["round-robin", "sticky"])


@pytest.mark.parametrize("answer", ["stick", "", "sticky sessions", 3, None, ["sticky"], b"sticky", True])
def test_expect_choice_rejects_answers_that_are_not_options(answer: Any) -> None:
    with pytest.raises(Wrong, match="answer with one of 'round-robin', 'sticky'"):
        expect_choice(answer, "sticky", ["round-robin", "sticky"])


def test_a_learners_exception_that_cannot_be_printed_is_still_feedback() -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("cannot print me")

    def learners() -> None:
        raise Unprintable()

    with pytest.raises(Wrong, match="your function\\(\\) raised Unprintable"):
        call_learner(learners)


def test_a_failing_assert_in_a_helper_module_still_fails_under_python_O() -> None:
    from exercise_contract import contract_tests

    covered = contract_tests("99", {"99.1": [1]}, {"99.1": [2]})[0]  # lesson 99 has no exercises
    with pytest.raises(AssertionError):
        covered()


def test_a_lesson_module_loads_when_a_notebook_first_names_it() -> None:
    code = ("import sys, labsupport as lab; print(len(lab.exercises.lesson07.SCENARIOS)); "
            "print('labsupport.exercises.lesson04' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3", "False"]
    with pytest.raises(AttributeError, match="lesson99"):
        lab.exercises.lesson99  # noqa: B018
