"""labsupport: the simulator behind the stateless-sessions course. Use it as ``import labsupport as lab``."""
from __future__ import annotations

from . import attacks, cafe, environment, exercises, experiments, keys, plots, store_experiments, tokens, widgets
from . import revocation_experiments
from .balancer import (
    POLICIES,
    ClientInfo,
    ConsistentHash,
    HashModulo,
    LoadBalancer,
    Policy,
    RandomChoice,
    RoundRobin,
    Sticky,
    make_policy,
    remapped_share,
    stable_hash,
)
from .clients import RequestRecord, SimUser
from .clock import EPOCH, SimClock
from .environment import check_environment
from .cluster import Cluster, Server
from .exercises import check, hint
from .errors import (
    ClusterError,
    LabError,
    SessionRejected,
    StoreUnavailable,
    TokenRejected,
    UnknownChoice,
    UnknownServer,
)
from .scenario import EVENTS, JourneyRun, Lab
from .sessions import (
    STRATEGIES,
    InMemorySessions,
    JWTCookieSessions,
    JWTSessions,
    ReplicatedMemorySessions,
    RevocableJWTSessions,
    Session,
    SessionStrategy,
    SignedCookieSessions,
    StoreSessions,
)
from .store import SessionStore
from .shop import DEMO_SECRET_KEY, create_shop, demo_accounts
from .tables import Table

__all__ = [
    "DEMO_SECRET_KEY", "EPOCH", "EVENTS", "POLICIES", "STRATEGIES",
    "ClientInfo", "Cluster", "ClusterError", "ConsistentHash", "HashModulo", "InMemorySessions",
    "JWTCookieSessions", "JWTSessions", "JourneyRun", "Lab", "LabError", "LoadBalancer", "Policy", "RandomChoice", "ReplicatedMemorySessions",
    "RequestRecord", "RevocableJWTSessions", "RoundRobin", "Server", "Session", "SessionRejected", "SessionStrategy",
    "SessionStore", "SignedCookieSessions", "StoreSessions", "SimClock", "StoreUnavailable", "SimUser", "Sticky", "Table", "TokenRejected", "UnknownChoice", "UnknownServer",
    "attacks", "cafe", "check", "check_environment", "create_shop", "demo_accounts", "environment", "exercises", "hint",
    "experiments", "keys", "make_policy", "plots", "remapped_share", "revocation_experiments", "stable_hash", "store_experiments", "tokens", "widgets",
]
