"""Fixtures shared by several test modules."""
from store_support import store  # noqa: F401  (a fixture: pytest finds it here)
