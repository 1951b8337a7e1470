"""Fixtures shared by several test modules, the helper modules whose asserts pytest must rewrite, and
one collection rule.

Rewritten asserts raise even under ``python -O`` (CI runs the unit tests that way too); a helper
module's plain asserts would vanish there, so every helper that asserts is registered here,
before anything imports it.

Lesson 08 starts redis-server, gunicorn and nginx: where one is missing, nbval does not run its
cells (they would only show the stored results, which tests/test_lesson08_fallback.py checks);
they are skipped with the install command as the reason.
"""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.register_assert_rewrite("exercise_contract", "shop_support", "store_support")

from store_support import store  # noqa: E402, F401  (a fixture: pytest finds it here)

REAL_PROCESS_LESSONS = ("08_leaving_the_simulator.ipynb",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the cells of the real-process lessons where one of their programs is missing."""
    lessons = [item for item in items if Path(str(item.fspath)).name in REAL_PROCESS_LESSONS]
    if not lessons:
        return
    from labsupport.real import available, install_hint

    missing = [name for name, path in available().items() if path is None]
    if missing:
        skip = pytest.mark.skip(reason=f"{install_hint(missing)} (lesson 08 runs them)")
        for item in lessons:
            item.add_marker(skip)
