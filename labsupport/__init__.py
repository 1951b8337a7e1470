"""labsupport: the simulator behind the stateless-sessions course. Use it as ``import labsupport as lab``.

Importing it is light: each name below loads its module the first time it is used, so
``lab.check_environment()`` works with only the standard library and can name a missing package.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

MODULES = (
    "accounts", "attacks", "balancer", "cafe", "cafe_widgets", "clients", "clock", "cluster", "environment", "errors",
    "exercises", "experiments", "ids", "keys", "microservices", "plots", "real", "revocation_experiments", "scenario",
    "serve", "sessions", "settings", "shop", "store", "store_experiments", "tables", "tokens", "tradeoffs", "widgets",
)
"""The submodules, reachable as ``lab.<name>`` (loaded on first use)."""

NAMES = {
    "accounts": ("Accounts",),
    "balancer": ("POLICIES", "ClientInfo", "ConsistentHash", "HashModulo", "LoadBalancer", "Policy", "RandomChoice",
                 "RoundRobin", "ServerPool", "Sticky", "make_policy", "remapped_share", "stable_hash"),
    "clients": ("RequestRecord", "SimUser"),
    "clock": ("EPOCH", "SimClock"),
    "cluster": ("Cluster", "Server"),
    "environment": ("check_environment",),
    "errors": ("ClusterError", "LabError", "ScenarioError", "SessionRejected", "StoreUnavailable", "TokenRejected",
               "UnknownChoice", "UnknownServer"),
    "exercises": ("check", "hint"),
    "scenario": ("EVENTS", "JourneyRun", "Lab"),
    "sessions": ("DEMO_SECRET_KEY", "STRATEGIES", "InMemorySessions", "JWTCookieSessions", "JWTSessions",
                 "ReplicatedMemorySessions", "RevocableJWTSessions", "ServerContext", "Session", "SessionStrategy",
                 "SignedCookieSessions", "StoreSessions", "StrategySpec"),
    "shop": ("create_shop",),
    "store": ("SessionStore",),
    "tables": ("Table",),
}
"""The names re-exported at the top, by the module that defines them."""

_HOME = {name: module for module, names in NAMES.items() for name in names}

__all__ = sorted([*MODULES, *_HOME])


def __getattr__(name: str) -> Any:
    """Load a submodule, or the module that defines a re-exported name, on first use."""
    if name in MODULES:
        return importlib.import_module(f".{name}", __name__)
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # what type checkers and editors see; nothing is imported at run time
    from . import (accounts, attacks, balancer, cafe, cafe_widgets, clients, clock, cluster, environment, errors,
                   exercises, experiments, ids, keys, microservices, plots, real, revocation_experiments, scenario,
                   serve, sessions, settings, shop, store, store_experiments, tables, tokens, tradeoffs, widgets)
    from .accounts import Accounts
    from .balancer import (POLICIES, ClientInfo, ConsistentHash, HashModulo, LoadBalancer, Policy, RandomChoice,
                           RoundRobin, ServerPool, Sticky, make_policy, remapped_share, stable_hash)
    from .clients import RequestRecord, SimUser
    from .clock import EPOCH, SimClock
    from .cluster import Cluster, Server
    from .environment import check_environment
    from .errors import (ClusterError, LabError, ScenarioError, SessionRejected, StoreUnavailable, TokenRejected,
                         UnknownChoice, UnknownServer)
    from .exercises import check, hint
    from .scenario import EVENTS, JourneyRun, Lab
    from .sessions import (DEMO_SECRET_KEY, STRATEGIES, InMemorySessions, JWTCookieSessions, JWTSessions,
                           ReplicatedMemorySessions, RevocableJWTSessions, ServerContext, Session, SessionStrategy,
                           SignedCookieSessions, StoreSessions, StrategySpec)
    from .shop import create_shop
    from .store import SessionStore
    from .tables import Table
