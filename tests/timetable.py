"""How long each lesson takes, estimated from its text, and what the lessons, lesson 00 and the README say.

    .venv/bin/python tests/timetable.py     prints each lesson's estimate beside its header

The estimate (minutes) is: words of prose / 230 (reading speed) + 20 s per code cell to run and
look at + each exercise's stated minutes (its heading ends with "(N min)"; its answer, check,
hint and solution cells are inside those minutes). A heading with "Going further" starts a part
outside the core path, until the next heading of the same or a higher level (an exercise's heading
inside it stays inside). A lesson's header
is the one source of truth, "**Time:** about N minutes on the core path, plus M minutes of
*Going further*", and must say the estimate rounded to 5 minutes; lesson 00's table and the
README's workshop guide must agree with the headers.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
WORDS_PER_MINUTE = 230
SECONDS_PER_CODE_CELL = 20
HEADING = re.compile(r"^(#+)\s+(.*)$", re.M)
FENCED = re.compile(r"^```.*?^```", re.M | re.S)
"""A fenced code block in markdown: its ``# comments`` are not headings."""
EXERCISE = re.compile(r"^#+ Exercise (\d\d\.\d+):.*\((\d+) min\)\s*$", re.M)
WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
HEADER = re.compile(r"\*\*Time:\*\* about (\d+) minutes(?: on the core path(?: \([^)]*\))?(?:, plus (\d+) minutes "
                    r"of \*Going further\*)?|, all of it \*Going further\*)")
CORE_LESSONS = ("00", "01", "02", "03", "05", "06", "07")
"""The core path of the workshop (lesson 07 joins with its table section only; 04 and 08 are Going further)."""
BREAK_MINUTES = 10
RECAP_MINUTES = 10
WORKSHOP_MINUTES = 150


@dataclass
class Estimate:
    """A lesson's time, estimated: minutes on the core path and in *Going further* parts."""

    core: float = 0.0
    further: float = 0.0

    def add(self, minutes: float, *, further: bool) -> None:
        if further:
            self.further += minutes
        else:
            self.core += minutes


def lesson_paths() -> dict[str, Path]:
    """Lesson number ("02") -> its notebook."""
    return {path.name[:2]: path for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))}


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def estimate(path: Path) -> Estimate:
    """The lesson's time by the rule in this module's docstring."""
    result = Estimate()
    further_level: int | None = None
    in_exercise = False
    for cell in cells(path):
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            for marks, title in HEADING.findall(FENCED.sub("", text)):
                level = len(marks)
                if "going further" in title.lower():
                    further_level = level if further_level is None else min(further_level, level)
                elif further_level is not None and level <= further_level and not title.startswith("Exercise"):
                    further_level = None
            exercise = EXERCISE.search(text)
            if exercise:
                in_exercise = True
                result.add(int(exercise.group(2)), further=further_level is not None)
                continue
        if in_exercise:
            if "solution" in cell.get("metadata", {}).get("tags", []):
                in_exercise = False
            continue
        if cell["cell_type"] == "markdown":
            result.add(len(WORD.findall(text)) / WORDS_PER_MINUTE, further=further_level is not None)
        else:
            result.add(SECONDS_PER_CODE_CELL / 60, further=further_level is not None)
    return result


def round5(minutes: float) -> int:
    """``minutes`` to the nearest 5 (at least 5 when there is anything at all)."""
    return 0 if minutes <= 0 else max(5, int(5 * round(minutes / 5)))


def stated(path: Path) -> tuple[int, int]:
    """(core, going further) minutes the lesson's header states."""
    match = HEADER.search("".join("".join(c["source"]) for c in cells(path)[:3]))
    if match is None:
        raise ValueError(f"{path.name}: no '**Time:** about N minutes ...' line in its first cells")
    if "all of it" in match.group(0):
        return 0, int(match.group(1))
    return int(match.group(1)), int(match.group(2) or 0)


def lesson00_times() -> dict[str, str]:
    """Lesson 00's table of lessons: lesson number -> its path column ("core · 20 min", "going further · 25 min")."""
    text = "".join("".join(c["source"]) for c in cells(lesson_paths()["00"]) if c["cell_type"] == "markdown")
    return dict(re.findall(r"^\| (\d\d) \|.*\| ((?:core|going further) · \d+ min) \|$", text, re.M))


def readme_schedule() -> list[tuple[int, str]]:
    """The README's workshop guide: (start minute, what) per row, in order."""
    section = (ROOT / "README.md").read_text().split("## Workshop guide", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+):(\d\d) \| ([^|]+?) \|", section, re.M)
    return [(int(h) * 60 + int(m), what.strip()) for h, m, what in rows]


def main() -> int:
    total = 0
    for lesson, path in lesson_paths().items():
        found = estimate(path)
        try:
            header = "{} + {}".format(*stated(path))
        except ValueError:
            header = "missing"
        print(f"{lesson}: estimated {found.core:5.1f} + {found.further:5.1f} min; header {header}")
        total += round5(found.core) if lesson in CORE_LESSONS else 0
    print(f"core path: {total} min of lessons + {BREAK_MINUTES} break + {RECAP_MINUTES} recap")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
