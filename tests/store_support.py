"""What the store tests share: a key prefix of their own, and a store on this run's backend."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from labsupport import SessionStore


def unique_prefix() -> str:
    """A key prefix no other test uses, so tests never see each other's keys on a real Redis."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def store() -> Iterator[SessionStore]:
    """A store on this run's backend (REDIS_URL if set), under a prefix of its own."""
    made = SessionStore.from_env(prefix=unique_prefix())
    yield made
    made.come_back()
    made.clear()
