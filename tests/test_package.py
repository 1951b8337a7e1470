"""The package as a whole: a light import, an environment check that needs only the standard library,
strategies that read no Flask globals, and shown source marked where it lives."""
from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import labsupport as lab

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "labsupport"
NOTEBOOKS = ROOT / "notebooks"
HEAVY = ("flask", "werkzeug", "jwt", "fakeredis", "redis", "matplotlib", "ipywidgets", "time_machine", "numpy")


def run_python(code: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *options, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)


# --- a light import -------------------------------------------------------------------------------


def test_importing_labsupport_loads_no_third_party_package() -> None:
    result = run_python(f"import sys, labsupport; print([m for m in {HEAVY!r} if m in sys.modules])")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_every_exported_name_and_module_resolves() -> None:
    for name in lab.__all__:
        assert getattr(lab, name) is not None, name
    assert set(dir(lab)) == set(lab.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        lab.nope  # noqa: B018


def test_the_environment_check_runs_with_only_the_standard_library() -> None:
    # -S: no site-packages at all, as on a machine where nothing was installed yet
    code = ("import sys; sys.path.insert(0, '.'); import labsupport as lab; t = lab.check_environment(); "
            "print(t.title); print('\\n'.join(f\"{r['check']}|{r['ok']}|{r['result']}\" for r in t.rows))")
    result = run_python(code, "-S")
    assert result.returncode == 0, result.stderr
    title, *rows = result.stdout.strip().splitlines()
    assert "checks failed" in title
    outcome = {check: (ok == "True", text) for check, ok, text in (row.split("|", 2) for row in rows)}
    for package in ("flask", "pyjwt", "fakeredis", "redis", "time-machine", "matplotlib", "ipywidgets"):
        ok, text = outcome[package]
        assert not ok and text.startswith("not installed: install the pinned packages"), (package, text)
    assert not outcome["embedded store (fakeredis)"][0]


# --- strategies read no Flask request globals ------------------------------------------------------

GLOBALS = {"request", "session", "current_app", "g"}


def flask_globals_used(path: Path) -> list[str]:
    """Names of Flask's request-local globals that ``path`` imports or reaches as ``flask.<name>``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "flask":
            found += [alias.name for alias in node.names if alias.name in GLOBALS]
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "flask":
            found += [node.attr] if node.attr in GLOBALS else []
    return found


def test_no_strategy_reads_flask_request_globals() -> None:
    modules = sorted((PACKAGE / "sessions").glob("*.py"))
    assert len(modules) >= 7
    for path in modules:
        assert flask_globals_used(path) == [], path.name


def test_the_globals_check_catches_them(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import flask\nfrom flask import current_app, Request\nx = flask.session\n")
    assert flask_globals_used(bad) == ["current_app", "session"]


# --- shown source is marked ------------------------------------------------------------------------

SHOWN = re.compile(r"inspect\.getsource\((lab(?:\.\w+)+)\)")
MARKER = re.compile(r"#\s*shown in lesson (\d\d)")


def shown_in_notebooks() -> dict[str, set[str]]:
    """``lab.X.Y`` -> the lessons ("02", ...) whose code cells print its source."""
    shown: dict[str, set[str]] = {}
    for notebook in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        for cell in cells:
            if cell["cell_type"] == "code":
                for expression in SHOWN.findall("".join(cell["source"])):
                    shown.setdefault(expression, set()).add(notebook.name[:2])
    return shown


def resolve(expression: str) -> object:
    obj: object = lab
    for part in expression.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


def marked_lessons(obj: object) -> set[str]:
    comments = inspect.getcomments(inspect.unwrap(obj)) or ""  # type: ignore[arg-type]
    return set(MARKER.findall(comments))


def markers_in_source() -> dict[str, set[str]]:
    """``module:qualname`` -> lessons, for every ``# shown in lesson NN`` comment in the package."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            match = MARKER.search(line)
            if match:
                definition = next(l for l in lines[number + 1:] if not l.strip().startswith(("#", "@")))
                name = re.search(r"def (\w+)", definition)
                assert name, (path, number + 1, definition)
                owner = next((o for o in vars(module).values()
                              if inspect.isclass(o) and name.group(1) in vars(o)
                              and o.__module__ == module.__name__), None)
                key = f"{module.__name__}:{owner.__qualname__ + '.' if owner else ''}{name.group(1)}"
                found.setdefault(key, set()).add(match.group(1))
    return found


def test_every_function_a_lesson_prints_is_marked_with_that_lesson() -> None:
    shown = shown_in_notebooks()
    assert len(shown) >= 10
    for expression, lessons in shown.items():
        assert marked_lessons(resolve(expression)) == lessons, expression


def test_every_marker_names_a_lesson_that_prints_the_function() -> None:
    shown = {}
    for expression, lessons in shown_in_notebooks().items():
        obj = inspect.unwrap(resolve(expression))  # type: ignore[arg-type]
        shown[f"{obj.__module__}:{obj.__qualname__}"] = lessons
    assert markers_in_source() == shown


# --- every type: ignore says why ------------------------------------------------------------------

IGNORE = re.compile(r"#\s*type:\s*ignore(\[[^\]]*\])?(?P<after>.*)$")


def ignores_without_reason(text: str) -> list[int]:
    """Line numbers of ``# type: ignore`` comments with no ``# reason`` after them."""
    return [number for number, line in enumerate(text.splitlines(), 1)
            if (found := IGNORE.search(line)) and not found["after"].strip().startswith("#")]


def test_every_type_ignore_in_the_package_says_why() -> None:
    missing = {str(path.relative_to(ROOT)): lines for path in sorted(PACKAGE.rglob("*.py"))
               if (lines := ignores_without_reason(path.read_text()))}
    assert missing == {}


def test_the_reason_check_catches_a_bare_ignore() -> None:
    text = "x = f()  # type: ignore[arg-type]\ny = g()  # type: ignore[misc]  # g is untyped upstream\n"
    assert ignores_without_reason(text) == [1]
