"""One timetable: the lesson headers say each lesson's time, estimated from its text by a rule
(tests/timetable.py), and lesson 00's table and the README's workshop guide agree with them; the
core path fits the 150-minute workshop."""
from __future__ import annotations

import pytest

from timetable import (BREAK_MINUTES, CORE_LESSONS, RECAP_MINUTES, WORKSHOP_MINUTES, estimate, lesson00_times,
                       lesson_paths, readme_schedule, round5, stated)

LESSONS = lesson_paths()


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_each_header_states_its_estimate(lesson: str) -> None:
    found = estimate(LESSONS[lesson])
    assert stated(LESSONS[lesson]) == (round5(found.core), round5(found.further)), (found.core, found.further)


def test_lesson_00_lists_every_lesson_with_its_header_time() -> None:
    listed = lesson00_times()
    for lesson, path in LESSONS.items():
        core, further = stated(path)
        expected = f"core · {core} min" if lesson in CORE_LESSONS else f"going further · {further} min"
        assert listed.get(lesson) == expected, lesson


def test_the_workshop_guide_follows_the_headers_and_fits_150_minutes() -> None:
    schedule = readme_schedule()
    clock = 0
    for start, what in schedule:
        assert start == clock, (what, start, clock)
        lesson = what[:2]
        if what == "break":
            clock += BREAK_MINUTES
        elif what == "recap":
            clock += RECAP_MINUTES
        else:
            assert lesson in CORE_LESSONS and lesson in LESSONS, what
            clock += stated(LESSONS[lesson])[0]
    guided = {what[:2] for _, what in schedule if what[:2].isdigit()}
    assert guided == {lesson for lesson in CORE_LESSONS if lesson in LESSONS}
    assert clock <= WORKSHOP_MINUTES, f"the core path takes {clock} minutes"
