"""Session strategies, one module each, behind the interface in ``base`` (lesson 02)."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from ..errors import LabError, UnknownChoice
from .base import Session, SessionStrategy, size_in_bytes
from .memory import InMemorySessions, ReplicatedMemorySessions, new_session_id
from .signed_cookie import SignedCookieSessions

if TYPE_CHECKING:
    from ..store import SessionStore

StrategyFactory = Callable[[], SessionStrategy]

STRATEGIES: dict[str, type[SessionStrategy]] = {
    InMemorySessions.name: InMemorySessions,
    ReplicatedMemorySessions.name: ReplicatedMemorySessions,
    SignedCookieSessions.name: SignedCookieSessions,
}
"""The strategies a cluster can be built with, by name."""


def strategy_class(strategy: str) -> type[SessionStrategy]:
    """The strategy class registered under ``strategy``."""
    try:
        return STRATEGIES[strategy]
    except KeyError:
        raise UnknownChoice("session strategy", strategy, sorted(STRATEGIES)) from None


def needs_store(strategy: str | StrategyFactory) -> bool:
    """True when the named strategy keeps something in the shared session store."""
    return isinstance(strategy, str) and strategy_class(strategy).needs_store


def strategy_factory(strategy: str | StrategyFactory, *, store: SessionStore | None = None) -> StrategyFactory:
    """Turn a strategy name (or a factory) into a factory that makes one per server.

    A strategy that needs the session store gets ``store``; each instance opens its own client.
    """
    if callable(strategy):
        return strategy
    cls = strategy_class(strategy)
    if not cls.needs_store:
        return cls
    if store is None:
        raise LabError(f"the {strategy!r} strategy needs a session store: pass store=SessionStore()")
    return partial(cls, store=store)  # type: ignore[call-arg]


__all__ = [
    "STRATEGIES",
    "InMemorySessions",
    "ReplicatedMemorySessions",
    "Session",
    "SessionStrategy",
    "SignedCookieSessions",
    "StrategyFactory",
    "needs_store",
    "new_session_id",
    "size_in_bytes",
    "strategy_class",
    "strategy_factory",
]
