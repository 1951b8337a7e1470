"""The shop as a real server process, for gunicorn (lesson 08).

    gunicorn 'labsupport.serve:create_app(strategy="store", server="s1")'

Outside the simulator everything random comes from ``secrets``, the store is the Redis at
``REDIS_URL`` (or an embedded one, private to this process), and nothing is cleared when a
process starts: a worker that crashes and is respawned finds every session where it was.
"""
from __future__ import annotations

from typing import Any

from flask import Flask

from .accounts import Accounts
from .ids import SecretIds
from .real.middleware import RouteCookie
from .sessions import ServerContext, StrategySpec, strategy_spec
from .shop import DEMO_USERS, create_shop
from .store import SessionStore

STORE_PREFIX = "shop"
"""The key prefix every process of one deployment shares (no random part: they must find each other's keys)."""


def create_app(strategy: str = "memory", server: str = "s1", **options: Any) -> Flask:
    """One server's shop app: ``strategy`` by name, with ``options`` for it (e.g. ``ttl=60``).

    It sets a ``route=<server>`` cookie (``RouteCookie``) so that nginx can route sticky clients.
    """
    base = strategy_spec(strategy)
    spec = StrategySpec(base.strategy, {**base.options, **options})
    store = SessionStore.from_env(prefix=STORE_PREFIX, isolate=False) if spec.needs_store else None
    context = ServerContext(name=server, ids=SecretIds(), store=store)
    app = create_shop(spec.build(context), accounts=Accounts.for_users(DEMO_USERS))
    app.wsgi_app = RouteCookie(app.wsgi_app, server)  # type: ignore[method-assign]  # Flask's documented way to add WSGI middleware
    return app


__all__ = ["STORE_PREFIX", "create_app"]
