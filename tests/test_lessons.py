"""What every lesson promises in its form, checked without running it: exercises numbered in reading
order, each check cell asking about its own exercise, and lesson cells leaving the learner's ``answer``
alone (only the answer cell, ``answer = None``, assigns it)."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

import labsupport as lab

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
HEADING = re.compile(r"^#+ Exercise (\d\d\.\d+)\b", re.M)
CHECKED = re.compile(r"lab\.check\(\"(\d\d\.\d+)\"")


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_exercises_are_numbered_in_reading_order_and_checked_under_their_own_key(path: Path) -> None:
    lesson = path.name[:2]
    headings = [key for cell in cells(path) if cell["cell_type"] == "markdown"
                for key in HEADING.findall(source(cell))]
    if lesson not in lab.exercises.LESSONS:
        assert headings == []
        return
    assert headings == [f"{lesson}.{n}" for n in range(1, len(headings) + 1)]
    assert set(headings) == {key for key in lab.exercises.EXERCISES.lesson(lesson)}
    current = None
    for cell in cells(path):
        found = HEADING.findall(source(cell)) if cell["cell_type"] == "markdown" else []
        current = found[-1] if found else current
        if cell["cell_type"] == "code":
            for key in CHECKED.findall(source(cell)):
                assert key == current, f"a check of {key} under the heading of {current}"


def assigns_answer(code: str) -> bool:
    """True when the cell binds the global name ``answer`` (a function's own local ``answer`` is not it)."""
    tree = ast.parse("\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))))
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Name) and node.id == "answer" and isinstance(node.ctx, ast.Store):
            return True
        stack.extend(ast.iter_child_nodes(node))
    return False


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_only_the_answer_cells_assign_answer(path: Path) -> None:
    for index, cell in enumerate(cells(path)):
        code = source(cell)
        if cell["cell_type"] != "code" or not assigns_answer(code):
            continue
        assert re.fullmatch(r"answer = None(  # your answer: .*)?", code.strip()), (index, code)


def test_the_answer_check_catches_a_lesson_cell_that_assigns_it() -> None:
    assert assigns_answer("with x:\n    answer = carol.login()")
    assert assigns_answer("for answer in range(3):\n    pass")
    assert not assigns_answer("print(answer)\nreply = answer")
    assert not assigns_answer("def both(what):\n    answer = what\n    return answer")
