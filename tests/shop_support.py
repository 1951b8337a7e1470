"""Build one shop app (or one strategy) the way a cluster does, for tests that talk to a single server."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask

from labsupport.accounts import Accounts
from labsupport.ids import IdSource, SecretIds
from labsupport.sessions import ServerContext, SessionStrategy, StrategySpec, strategy_spec
from labsupport.shop import create_shop
from labsupport.store import SessionStore
from labsupport.tokens import TokenKeys


def context(name: str = "s1", *, store: SessionStore | None = None, ids: IdSource | None = None,
            secret_key: str | None = None, token_keys: TokenKeys | None = None) -> ServerContext:
    """A server context with the course's defaults."""
    options: dict[str, Any] = {"name": name, "store": store, "ids": ids or SecretIds(), "token_keys": token_keys}
    if secret_key is not None:
        options["secret_key"] = secret_key
    return ServerContext(**options)


def make_strategy(strategy: str | StrategySpec | type[SessionStrategy], name: str = "s1", *,
                  store: SessionStore | None = None, ids: IdSource | None = None, secret_key: str | None = None,
                  token_keys: TokenKeys | None = None, **options: Any) -> SessionStrategy:
    """One server's strategy instance, built from a name, a spec or a class (with ``options``)."""
    spec = strategy.configured(**options) if isinstance(strategy, type) else strategy_spec(strategy)
    if options and not isinstance(strategy, type):
        spec = StrategySpec(spec.strategy, {**spec.options, **options})
    return spec.build(context(name, store=store, ids=ids, secret_key=secret_key, token_keys=token_keys))


def make_shop(strategy: str | StrategySpec | type[SessionStrategy] | SessionStrategy, name: str = "s1", *,
              accounts: Accounts | None = None, session_lifetime: timedelta = timedelta(minutes=30),
              **options: Any) -> Flask:
    """One shop app around a strategy (an instance, or built here from a name, spec or class)."""
    instance = strategy if isinstance(strategy, SessionStrategy) else make_strategy(strategy, name, **options)
    return create_shop(instance, accounts=accounts, session_lifetime=session_lifetime)
