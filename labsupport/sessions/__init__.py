"""Session strategies, one module each, behind the interface in ``base`` (lesson 02)."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from ..errors import LabError, UnknownChoice
from .base import Session, SessionStrategy, size_in_bytes
from .memory import InMemorySessions, ReplicatedMemorySessions, new_session_id
from .jwt import JWTCookieSessions, JWTSessions, RevocableJWTSessions, TokenSession
from .signed_cookie import SignedCookieSessions
from .store import StoreSessions

if TYPE_CHECKING:
    from ..store import SessionStore

StrategyFactory = Callable[[], SessionStrategy]

STRATEGIES: dict[str, type[SessionStrategy]] = {
    InMemorySessions.name: InMemorySessions,
    ReplicatedMemorySessions.name: ReplicatedMemorySessions,
    SignedCookieSessions.name: SignedCookieSessions,
    StoreSessions.name: StoreSessions,
    JWTSessions.name: JWTSessions,
    JWTCookieSessions.name: JWTCookieSessions,
    RevocableJWTSessions.name: RevocableJWTSessions,
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
    if isinstance(strategy, str):
        return strategy_class(strategy).needs_store
    return bool(getattr(strategy, "needs_store", False))  # a class, or a factory from `.configured(...)`


def strategy_factory(strategy: str | StrategyFactory, *, store: SessionStore | None = None) -> StrategyFactory:
    """Turn a strategy name (or a factory) into a factory that makes one per server.

    A strategy that needs the session store gets ``store``; each instance opens its own client.
    """
    factory = strategy if callable(strategy) else strategy_class(strategy)
    if not needs_store(factory):
        return factory
    if store is None:
        raise LabError(f"the {getattr(factory, 'name', strategy)!r} strategy needs a session store: "
                       "pass store=SessionStore()")
    return partial(factory, store=store)


__all__ = [
    "STRATEGIES",
    "InMemorySessions",
    "JWTCookieSessions",
    "JWTSessions",
    "ReplicatedMemorySessions",
    "RevocableJWTSessions",
    "Session",
    "SessionStrategy",
    "SignedCookieSessions",
    "StoreSessions",
    "StrategyFactory",
    "TokenSession",
    "needs_store",
    "new_session_id",
    "size_in_bytes",
    "strategy_class",
    "strategy_factory",
]
