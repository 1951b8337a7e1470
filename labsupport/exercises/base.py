"""What an exercise is, and how an answer is judged without ever raising (lesson 00)."""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Verdict:
    """The feedback a self-check prints: passed or not, and why."""

    key: str
    status: str
    """One of ``"correct"``, ``"not yet"``, ``"not answered yet"``."""
    message: str

    @property
    def ok(self) -> bool:
        """True only for a correct answer."""
        return self.status == "correct"

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        mark = {"correct": "[correct]", "not yet": "[not yet]"}.get(self.status, "[not answered yet]")
        return f"Exercise {self.key} {mark} {self.message}"


class Wrong(Exception):
    """Raised by a checker to say why an answer is not right yet."""


@dataclass(frozen=True)
class Exercise:
    """One exercise: a key like ``"02.1"``, a title, a hint, and a checker.

    The checker receives the learner's answer (never ``None``) and returns a message for a
    correct answer, or raises ``Wrong`` with feedback. A checker validates the answer's type
    before it uses it, and calls a function the learner wrote only through ``call_learner``,
    so whatever the learner's code does becomes feedback. Any other exception is a bug in the
    course, and surfaces as one: it is never reported as the learner's fault.
    """

    key: str
    title: str
    hint: str
    checker: Callable[[Any], str]

    def check(self, answer: Any) -> Verdict:
        """Judge ``answer``; ``None`` means the learner has not answered yet."""
        if answer is None:
            return Verdict(self.key, "not answered yet",
                           "replace `answer = None` with your answer, run that cell, then this one. "
                           f"Stuck? lab.hint({self.key!r})")
        try:
            return Verdict(self.key, "correct", self.checker(answer))
        except Wrong as e:
            return Verdict(self.key, "not yet", f"{e} Stuck? lab.hint({self.key!r})")


def call_learner(function: Callable[..., Any], *args: Any, name: str = "your function") -> Any:
    """Call a function the learner wrote; anything it raises becomes ``Wrong`` feedback, naming the call."""
    try:
        return function(*args)
    except Exception as e:  # the learner's code may raise anything: that is feedback, not a crash
        shown = ", ".join(_describe_value(a) for a in args)
        raise Wrong(f"{name}({shown}) raised {_describe(e)}") from None


def _describe(error: BaseException) -> str:
    """``Name: message`` for an exception, even one whose message cannot be printed."""
    try:
        return f"{type(error).__name__}: {error}"
    except Exception:  # a learner's exception class may break its own __str__
        return type(error).__name__


def _describe_value(value: Any, limit: int = 40) -> str:
    """A short ``repr`` of ``value``, even for an object whose ``repr`` fails."""
    try:
        text = repr(value)
    except Exception:  # a learner's object may break its own __repr__
        return f"<a {type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _as_float(answer: Any) -> float:
    """A real number as a float; one too large for a float (``10**400``) becomes an infinity of its sign."""
    try:
        return float(answer)
    except OverflowError:
        return math.inf if answer > 0 else -math.inf


def number_or_none(answer: Any) -> float | None:
    """``answer`` as a float when it is a real number (not a bool, not NaN), else ``None``: safe to compare."""
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None
    value = _as_float(answer)
    return None if math.isnan(value) else value


def shown(value: Any) -> str:
    """A short ``repr`` of a learner's answer for feedback, even one whose ``repr`` fails."""
    return _describe_value(value)


def expect_number(answer: Any, expected: float, *, tolerance: float, what: str) -> float:
    """``answer`` as a float within ``tolerance`` of ``expected``, else ``Wrong`` with a nudge."""
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise Wrong(f"{what} should be a number, got {type(answer).__name__} {_describe_value(answer)}.")
    value = _as_float(answer)
    if math.isnan(value):
        raise Wrong(f"{what} should be a number, got NaN.")
    if abs(value - expected) > tolerance:
        direction = "too high" if value > expected else "too low"
        raise Wrong(f"{what} = {value:g} is {direction}.")
    return value


def expect_choice(answer: Any, correct: str, options: Sequence[str]) -> str:
    """``answer`` must be one of ``options`` (case-insensitive) and equal to ``correct``."""
    if not isinstance(answer, str) or answer.strip().lower() not in [o.lower() for o in options]:
        raise Wrong(f"answer with one of {', '.join(repr(o) for o in options)}.")
    if answer.strip().lower() != correct.lower():
        raise Wrong(f"{answer!r} is not it.")
    return answer
