"""Fixtures shared by several test modules, and the helper modules whose asserts pytest must rewrite.

Rewritten asserts raise even under ``python -O`` (CI runs the unit tests that way too); a helper
module's plain asserts would vanish there, so every helper that asserts is registered here,
before anything imports it.
"""
import pytest

pytest.register_assert_rewrite("exercise_contract", "shop_support", "store_support")

from store_support import store  # noqa: E402, F401  (a fixture: pytest finds it here)


NODE_CELL = "verify_with_node("
"""What marks lesson 07's Node.js cell: nbval runs it only where ``node`` is installed."""


def node_cells(items: list) -> list:
    """The collected nbval items of lesson 07 whose cell runs Node.js."""
    return [item for item in items if getattr(item, "fspath", None) is not None
            and item.fspath.basename.startswith("07_") and NODE_CELL in str(getattr(getattr(item, "cell", None),
                                                                                     "source", ""))]


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    """Where ``node`` is missing, skip lesson 07's Node cell under nbval (its stored output came from Node);
    tests/test_microservices.py runs that cell's fallback with node hidden."""
    import shutil

    if shutil.which("node") is None:
        for item in node_cells(items):
            item.add_marker(pytest.mark.skip(reason="Node.js is not installed here: lesson 07's Node cell needs it"))
