"""Fixtures shared by several test modules, the helper modules whose asserts pytest must rewrite, and
the collection rules for lesson cells that need programs outside Python.

Rewritten asserts raise even under ``python -O`` (CI runs the unit tests that way too); a helper
module's plain asserts would vanish there, so every helper that asserts is registered here,
before anything imports it.
"""
import pytest

pytest.register_assert_rewrite("exercise_contract", "shop_support", "store_support")

from store_support import store  # noqa: E402, F401  (a fixture: pytest finds it here)


NODE_CELL = "verify_with_node("
"""What marks lesson 07's Node.js cell: nbval runs it only where ``node`` is installed."""

REAL_PROCESS_LESSON = "08_"
"""Lesson 08 starts redis-server, gunicorn and nginx in nearly every cell."""


def node_cells(items: list) -> list:
    """The collected nbval items of lesson 07 whose cell runs Node.js."""
    return [item for item in items if getattr(item, "fspath", None) is not None
            and item.fspath.basename.startswith("07_") and NODE_CELL in str(getattr(getattr(item, "cell", None),
                                                                                     "source", ""))]


def real_process_cells(items: list) -> list:
    """The collected nbval items of lesson 08."""
    return [item for item in items if getattr(item, "fspath", None) is not None
            and item.fspath.basename.startswith(REAL_PROCESS_LESSON) and item.fspath.ext == ".ipynb"]


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    """Where ``node`` is missing, skip lesson 07's Node cell under nbval (its stored output came from Node);
    tests/test_microservices.py runs that cell's fallback with node hidden. Where redis-server, gunicorn or
    nginx is missing, skip lesson 08 under nbval, with the install command as the reason; its cells would
    show the stored results, which tests/test_lesson08_fallback.py checks with the programs hidden."""
    import shutil

    if shutil.which("node") is None:
        for item in node_cells(items):
            item.add_marker(pytest.mark.skip(reason="Node.js is not installed here: lesson 07's Node cell needs it"))
    lesson08 = real_process_cells(items)
    if lesson08:
        from labsupport.real import available, install_hint

        missing = [name for name, path in available().items() if path is None]
        if missing:
            skip = pytest.mark.skip(reason=f"{install_hint(missing)} (lesson 08 runs them)")
            for item in lesson08:
                item.add_marker(skip)
