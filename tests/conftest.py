"""Fixtures shared by several test modules, and the helper modules whose asserts pytest must rewrite.

Rewritten asserts raise even under ``python -O`` (CI runs the unit tests that way too); a helper
module's plain asserts would vanish there, so every helper that asserts is registered here,
before anything imports it.
"""
import pytest

pytest.register_assert_rewrite("exercise_contract", "shop_support", "store_support")

from store_support import store  # noqa: E402, F401  (a fixture: pytest finds it here)
