"""The course's exercises, one module per lesson, and the two functions notebooks call (lesson 00).

``lab.check(key, answer)`` prints feedback and never raises; ``lab.hint(key)`` prints a hint.
"""
from __future__ import annotations

from typing import Any

from ..errors import UnknownChoice
from . import lesson00, lesson01, lesson02, lesson03, lesson04, lesson05, lesson06
from .base import Exercise, Verdict, Wrong, expect_choice, expect_number

EXERCISES: dict[str, Exercise] = {
    e.key: e
    for module in (lesson00, lesson01, lesson02, lesson03, lesson04, lesson05, lesson06)
    for e in module.EXERCISES
}
"""Every exercise of the course by key, e.g. ``"02.1"``."""


def check(key: str, answer: Any) -> Verdict:
    """Judge ``answer`` to exercise ``key``. Never raises: an unknown key is feedback too."""
    exercise = EXERCISES.get(key)
    if exercise is None:
        return Verdict(str(key), "not yet", f"there is no exercise {key!r}; the keys are {', '.join(EXERCISES)}")
    return exercise.check(answer)


class Hint(str):
    """A hint that displays as plain text."""

    def __repr__(self) -> str:
        return str(self)


def hint(key: str) -> Hint:
    """The hint for exercise ``key``."""
    try:
        exercise = EXERCISES[key]
    except KeyError:
        raise UnknownChoice("exercise", key, list(EXERCISES)) from None
    return Hint(f"Hint for {key} ({exercise.title}): {exercise.hint}")


__all__ = ["EXERCISES", "Exercise", "Hint", "Verdict", "Wrong", "check", "expect_choice", "expect_number", "hint"]
