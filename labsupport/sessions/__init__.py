"""Session strategies, one module each, behind the interface in ``base`` (lesson 02)."""
from __future__ import annotations

from collections.abc import Callable

from ..errors import UnknownChoice
from .base import Session, SessionStrategy, size_in_bytes
from .memory import InMemorySessions, ReplicatedMemorySessions, new_session_id
from .signed_cookie import SignedCookieSessions

StrategyFactory = Callable[[], SessionStrategy]

STRATEGIES: dict[str, StrategyFactory] = {
    InMemorySessions.name: InMemorySessions,
    ReplicatedMemorySessions.name: ReplicatedMemorySessions,
    SignedCookieSessions.name: SignedCookieSessions,
}
"""The strategies a cluster can be built with, by name."""


def strategy_factory(strategy: str | StrategyFactory) -> StrategyFactory:
    """Turn a strategy name (or a factory) into a factory that makes one per server."""
    if callable(strategy):
        return strategy
    try:
        return STRATEGIES[strategy]
    except KeyError:
        raise UnknownChoice("session strategy", strategy, sorted(STRATEGIES)) from None


__all__ = [
    "STRATEGIES",
    "InMemorySessions",
    "ReplicatedMemorySessions",
    "Session",
    "SessionStrategy",
    "SignedCookieSessions",
    "StrategyFactory",
    "new_session_id",
    "size_in_bytes",
    "strategy_factory",
]
