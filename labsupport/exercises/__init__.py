"""The course's exercises, one module per lesson, and the two functions notebooks call (lesson 00).

``lab.check(key, answer)`` prints feedback and never raises for any answer; ``lab.hint(key)``
prints a hint. A lesson's module loads the first time one of its exercises is asked for, so
checking an exercise of lesson 02 never loads the attack lab that lesson 04's checks need.
"""
from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import UnknownChoice
from .base import Exercise, Verdict, Wrong, call_learner, expect_choice, expect_number

LESSONS = ("00", "01", "02", "03", "04", "05", "06", "07", "08")
"""The lessons that have exercises; lesson ``NN``'s live in ``labsupport.exercises.lessonNN``."""

KEY = re.compile(r"(\d\d)\.\d+")


def lesson_exercises(lesson: str) -> dict[str, Exercise]:
    """Lesson ``lesson``'s exercises by key (loads its module)."""
    module = importlib.import_module(f".lesson{lesson}", __name__)
    return {exercise.key: exercise for exercise in module.EXERCISES}


def __getattr__(name: str) -> Any:
    """``lab.exercises.lesson07`` and the like: a lesson's module loads when a notebook first names it."""
    if name.startswith("lesson") and name[len("lesson"):] in LESSONS:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Registry(Mapping[str, Exercise]):
    """Every exercise of the course by key, e.g. ``"02.1"``; a lesson's module loads when it is first needed."""

    def __init__(self) -> None:
        self._loaded: dict[str, dict[str, Exercise]] = {}
        self._added: dict[str, Exercise] = {}

    def lesson(self, lesson: str) -> dict[str, Exercise]:
        """One lesson's exercises (``{}`` for a lesson without any)."""
        if lesson not in LESSONS:
            return {}
        if lesson not in self._loaded:
            self._loaded[lesson] = lesson_exercises(lesson)
        return self._loaded[lesson]

    def __getitem__(self, key: str) -> Exercise:
        if key in self._added:
            return self._added[key]
        match = KEY.fullmatch(key) if isinstance(key, str) else None
        if match is None:
            raise KeyError(key)
        return self.lesson(match.group(1))[key]

    def __setitem__(self, key: str, exercise: Exercise) -> None:
        """Register an exercise outside the lessons (tests do)."""
        self._added[key] = exercise

    def __delitem__(self, key: str) -> None:
        del self._added[key]

    def __iter__(self) -> Iterator[str]:
        for lesson in LESSONS:
            yield from self.lesson(lesson)
        yield from self._added

    def __len__(self) -> int:
        return sum(1 for _ in self)


EXERCISES = Registry()
"""Every exercise of the course by key; iterating loads every lesson's module."""


def unknown_key_message(key: object) -> str:
    """Feedback for a key that names no exercise: the keys of its lesson, or what keys look like."""
    match = KEY.fullmatch(key) if isinstance(key, str) else None
    known = list(EXERCISES.lesson(match.group(1))) if match else []
    if known:
        return f"there is no exercise {key!r}; lesson {match.group(1) if match else ''} has {', '.join(known)}"
    return (f"there is no exercise {key!r}; keys look like '02.1' (lesson, dot, exercise), "
            f"and the lessons with exercises are {', '.join(LESSONS)}")


def check(key: str, answer: Any) -> Verdict:
    """Judge ``answer`` to exercise ``key``. Never raises for any answer: an unknown key is feedback too."""
    try:
        exercise = EXERCISES[key]
    except KeyError:
        return Verdict(str(key), "not yet", unknown_key_message(key))
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


__all__ = ["EXERCISES", "LESSONS", "Exercise", "Hint", "Registry", "Verdict", "Wrong", "call_learner", "check",
           "expect_choice", "expect_number", "hint"]
