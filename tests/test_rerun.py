"""The learner's promise: running a cell again, or a whole lesson again, gives the same output.

Two tests per lesson, both in one kernel each, outputs compared the way nbval compares them
(the same skipped fields, the same sanitize patterns, images ignored):

- every code cell is run twice in a row; its second output must equal its first;
- the whole lesson is run top to bottom twice; every cell's second output must equal its first.

Cells whose output nbval ignores (``NBVAL_IGNORE_OUTPUT``: live timings) are run but not
compared. A cell that truly cannot repeat itself carries the tag ``not-idempotent`` (and the
prose right above it says so); it is run once in the first test. These tests take minutes, so
they are marked ``rerun`` and run in their own CI stage: ``pytest -m rerun tests/test_rerun.py``.
"""
from __future__ import annotations

import ast
import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SKIPPED = {"metadata", "traceback", "prompt_number", "output_type", "execution_count",
           "application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg"}
"""Output fields nbval does not compare (it compares everything else, text/html included)."""

pytestmark = pytest.mark.rerun


def sanitize_patterns() -> list[tuple[re.Pattern[str], str]]:
    """The regex/replace pairs of tests/nbval_sanitize.cfg, the ones nbval applies."""
    text = (ROOT / "tests" / "nbval_sanitize.cfg").read_text()
    pairs = re.findall(r"^regex:\s*(.+)\nreplace:\s*(.*)$", text, re.M)
    return [(re.compile(regex), replace) for regex, replace in pairs]


PATTERNS = sanitize_patterns()


def sanitize(value: Any) -> Any:
    if isinstance(value, list):
        value = "".join(value)
    if isinstance(value, str):
        for pattern, replace in PATTERNS:
            value = pattern.sub(replace, value)
    return value


def comparable(outputs: list[Any]) -> dict[str, list[Any]]:
    """Outputs as nbval compares them: streams merged by name, fields flattened and sanitized."""
    merged: list[dict[str, Any]] = []
    for output in outputs:
        if output.get("output_type") == "stream" and merged and merged[-1].get("name") == output.get("name") \
                and merged[-1].get("output_type") == "stream":
            merged[-1] = {**merged[-1], "text": sanitize(merged[-1]["text"]) + sanitize(output["text"])}
        else:
            merged.append(dict(output))
    fields: dict[str, list[Any]] = {}
    for output in merged:
        for key, value in output.items():
            if key == "data":
                for mime, content in value.items():
                    if mime not in SKIPPED:
                        fields.setdefault(mime, []).append(sanitize(content))
            elif key not in SKIPPED:
                fields.setdefault(key, []).append(sanitize(value))
    return fields


def ignored(cell: Any) -> bool:
    """True for a cell whose output nbval does not compare."""
    return "NBVAL_IGNORE_OUTPUT" in cell.source or "nbval-ignore-output" in cell.metadata.get("tags", [])


def not_idempotent(cell: Any) -> bool:
    return "not-idempotent" in cell.metadata.get("tags", [])


def code_cells(notebook: Any) -> Iterator[tuple[int, Any]]:
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and "probe" not in cell.metadata:
            yield index, cell


def run_cell(client: NotebookClient, cell: Any, index: int) -> list[Any]:
    cell.outputs = []
    client.execute_cell(cell, index)
    return copy.deepcopy(cell.outputs)


def kernel(path: Path) -> tuple[Any, NotebookClient]:
    notebook = nbformat.read(path, as_version=4)
    return notebook, NotebookClient(notebook, timeout=600, kernel_name="python3",
                                    resources={"metadata": {"path": str(path.parent)}})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_cell_run_twice_in_a_row_repeats_its_output(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    notebook, client = kernel(path)
    changed = []
    with client.setup_kernel():
        for index, cell in code_cells(notebook):
            first = run_cell(client, cell, index)
            if not_idempotent(cell):
                continue
            second = run_cell(client, cell, index)
            if not ignored(cell) and comparable(first) != comparable(second):
                changed.append((index, cell.source.splitlines()[0], comparable(first), comparable(second)))
    assert not changed, "\n\n".join(f"cell {i} ({line!r}):\n first: {a}\nsecond: {b}" for i, line, a, b in changed)


NAMES_AND_TYPES = nbformat.v4.new_code_cell(
    "print(__import__('json').dumps({name: [type(value).__module__ + '.' + type(value).__qualname__, id(value)] "
    "for name, value in globals().items() if not name.startswith('_') and name not in "
    "('In', 'Out', 'get_ipython', 'exit', 'quit', 'answer', 'solution') "
    "and type(value).__name__ != 'module'}))")
"""A hidden cell: each of the lesson's global names, the type it holds now, and the object's id.
``answer`` is the learner's and ``solution`` each solution cell's own, so both may hold anything."""


UNSTATEFUL = {"labsupport.clock.SimClock"}
"""Lab types a name may hold in several cells: a clock is started and stopped inside its own ``with``."""


def reads_without_binding(source: str) -> set[str]:
    """Global names a cell reads but does not bind itself (so it relies on an earlier cell)."""
    tree = ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    bound: set[str] = set()
    read: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, (ast.Store, ast.Del)) else read).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return read - bound


def names_and_types(client: NotebookClient, notebook: Any) -> dict[str, tuple[str, int]]:
    """Run the hidden cell (appended at the end of the notebook for the run, never stored)."""
    if notebook.cells[-1].metadata.get("probe") != "names-and-types":
        notebook.cells.append(copy.deepcopy(NAMES_AND_TYPES))
        notebook.cells[-1].metadata["probe"] = "names-and-types"
    outputs = run_cell(client, notebook.cells[-1], len(notebook.cells) - 1)
    found = json.loads("".join(o["text"] for o in outputs if o.get("name") == "stdout"))
    return {name: (kind, identity) for name, (kind, identity) in found.items()}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_whole_lesson_run_twice_repeats_every_output(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Also: no name is reused for another kind of object, so running an earlier cell after a later one
    finds what it expects."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    notebook, client = kernel(path)
    runs: list[dict[int, dict[str, list[Any]]]] = []
    kinds: dict[str, dict[str, int]] = {}
    binders: dict[str, set[int]] = {}
    with client.setup_kernel():
        for attempt in range(2):
            outputs = {}
            seen: dict[str, int] = {}
            for index, cell in code_cells(notebook):
                outputs[index] = comparable(run_cell(client, cell, index))
                if attempt == 0:
                    for name, (kind, identity) in names_and_types(client, notebook).items():
                        kinds.setdefault(name, {}).setdefault(kind, index)
                        if seen.get(name) != identity and kind.startswith("labsupport.") and kind not in UNSTATEFUL:
                            binders.setdefault(name, set()).add(index)
                        seen[name] = identity
            runs.append(outputs)
    changed = [index for index, cell in code_cells(notebook)
               if not ignored(cell) and runs[0][index] != runs[1][index]]
    assert not changed, "\n\n".join(f"cell {i}:\n first: {runs[0][i]}\nsecond: {runs[1][i]}" for i in changed)
    retyped = {name: found for name, found in kinds.items() if len(found) > 1}
    assert not retyped, f"names holding different types of object (type: first cell): {retyped}"
    fragile = {(name, index) for name, cells in binders.items() if len(cells) > 1
               for index, cell in code_cells(notebook) if name in reads_without_binding(cell.source)}
    assert not fragile, ("cells that use a lab object another cell may have replaced (bind it in the cell, "
                         f"or give each its own name): {sorted(fragile, key=lambda f: f[1])}")
