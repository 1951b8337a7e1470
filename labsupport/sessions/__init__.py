"""Session strategies, one module each, behind the interface in ``base`` (lesson 02)."""
from __future__ import annotations

from ..errors import UnknownChoice
from ..ids import new_session_id
from .base import DEMO_SECRET_KEY, Fields, ServerContext, Session, SessionStrategy, StrategySpec, size_in_bytes
from .carriers import CARRIERS, BearerCarrier, CookieCarrier
from .jwt_revocable import RevocableJWTSessions
from .jwt_stateless import JWTCookieSessions, JWTSessions, TokenSession
from .memory import InMemorySessions, ReplicatedMemorySessions
from .signed_cookie import SignedCookieSessions
from .store import StoreSessions

STRATEGIES: dict[str, StrategySpec] = {
    cls.name: cls.configured()
    for cls in (InMemorySessions, ReplicatedMemorySessions, SignedCookieSessions, StoreSessions, JWTSessions,
                JWTCookieSessions, RevocableJWTSessions)
}
"""The strategies a cluster can be built with, by name, each with its default options."""


def strategy_spec(strategy: str | StrategySpec) -> StrategySpec:
    """The spec for a strategy name (or the spec as given)."""
    if isinstance(strategy, StrategySpec):
        return strategy
    try:
        return STRATEGIES[strategy]
    except KeyError:
        raise UnknownChoice("session strategy", strategy, sorted(STRATEGIES)) from None


__all__ = [
    "CARRIERS", "DEMO_SECRET_KEY", "STRATEGIES", "BearerCarrier", "CookieCarrier", "Fields", "InMemorySessions",
    "JWTCookieSessions", "JWTSessions", "ReplicatedMemorySessions", "RevocableJWTSessions", "ServerContext",
    "Session", "SessionStrategy", "SignedCookieSessions", "StoreSessions", "StrategySpec", "TokenSession",
    "new_session_id", "size_in_bytes", "strategy_spec",
]
