"""Simulated servers: each its own Flask app and memory, sharing only keys and the store (lesson 00).

Killing a server drops its process memory; reviving it boots a fresh instance. Every boot
builds the server's strategy from a fresh ``ServerContext``: its name, the keys every server
shares, its own id source, and the shared store. The cluster knows nothing about the
balancer in front of it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from .accounts import Accounts
from .errors import ClusterError, UnknownServer
from .ids import IdSource, SecretIds
from .sessions import DEMO_SECRET_KEY, ServerContext, SessionStrategy, StrategySpec, strategy_spec
from .shop import DEMO_USERS, create_shop
from .store import SessionStore
from .tokens import TokenKeys

IdsForBoot = Callable[[str, int], IdSource]
"""Where a server's ids come from, given its name and boot number (1 for its first start)."""


def secret_ids(server: str, boot: int) -> IdSource:
    """Ids from ``secrets`` for every server and boot: the default outside a lab."""
    return SecretIds()


@dataclass(eq=False)
class Server:
    """One simulated server process: its app, its session strategy, whether it is up."""

    name: str
    app: Flask
    strategy: SessionStrategy
    alive: bool = True
    boots: int = 1

    def __repr__(self) -> str:
        state = "up" if self.alive else "down"
        return f"Server({self.name!r}, {state}, sessions_held={self.strategy.sessions_held()})"


class Cluster:
    """A pool of servers named ``s1``, ``s2``, ... running the shop with one session strategy.

    >>> cluster = Cluster(3, strategy="memory")
    >>> cluster.alive_names()
    ['s1', 's2', 's3']
    """

    def __init__(
        self,
        servers: int = 3,
        *,
        strategy: str | StrategySpec = "memory",
        accounts: Accounts | None = None,
        secret_key: str = DEMO_SECRET_KEY,
        token_keys: TokenKeys | None = None,
        store: SessionStore | None = None,
        ids: IdsForBoot = secret_ids,
    ) -> None:
        if servers < 0:
            raise ClusterError("a cluster needs zero or more servers")
        self.spec = strategy_spec(strategy)
        """The session strategy every server runs, with its options."""
        if self.spec.needs_store and store is None:
            raise ClusterError(f"the {self.spec.name!r} session strategy needs a session store: "
                               "pass store=SessionStore(...)")
        self.store = store
        """The session store the servers share, if their strategy uses one."""
        self.accounts = accounts if accounts is not None else Accounts.for_users(DEMO_USERS)
        """The user directory every server reads."""
        self.secret_key = secret_key
        self.token_keys = token_keys
        self._ids = ids
        self.servers: dict[str, Server] = {}
        self._numbered = 0
        for _ in range(servers):
            self._add()
        self._wire()

    @property
    def strategy_name(self) -> str:
        """The name of the session strategy every server runs."""
        return self.spec.name

    def _boot(self, name: str, boot: int) -> tuple[Flask, SessionStrategy]:
        context = ServerContext(name=name, secret_key=self.secret_key, ids=self._ids(name, boot),
                                token_keys=self.token_keys, store=self.store)
        strategy = self.spec.build(context)
        return create_shop(strategy, accounts=self.accounts), strategy

    def _add(self) -> Server:
        self._numbered += 1
        name = f"s{self._numbered}"
        app, strategy = self._boot(name, 1)
        server = self.servers[name] = Server(name, app, strategy)
        return server

    def _wire(self) -> None:
        alive = [s for s in self.servers.values() if s.alive]
        for server in alive:
            server.strategy.connect([p.strategy for p in alive if p is not server])

    def server(self, name: str) -> Server:
        """The server called ``name``."""
        try:
            return self.servers[name]
        except KeyError:
            raise UnknownServer(name, list(self.servers)) from None

    def alive_names(self) -> list[str]:
        """Names of the servers that are up, in the order they were added."""
        return [name for name, s in self.servers.items() if s.alive]

    def kill(self, name: str) -> None:
        """Crash server ``name``: it stops answering and its memory is gone."""
        server = self.server(name)
        server.alive = False
        server.app, server.strategy = self._boot(name, server.boots + 1)
        self._wire()

    def revive(self, name: str) -> None:
        """Start server ``name`` again, as a fresh process with empty memory."""
        server = self.server(name)
        if not server.alive:
            server.alive = True
            server.boots += 1
            self._wire()

    def restart(self, name: str) -> None:
        """Kill and revive ``name``: what a deploy does to one server."""
        self.kill(name)
        self.revive(name)

    def rolling_restart(self) -> None:
        """Restart every live server, one after another."""
        for name in self.alive_names():
            self.restart(name)

    def add_server(self) -> str:
        """Add one new server; returns its name."""
        server = self._add()
        self._wire()
        return server.name

    def remove_server(self, name: str) -> None:
        """Take ``name`` out of the cluster for good (scale in)."""
        self.server(name)
        del self.servers[name]
        self._wire()

    def scale(self, count: int) -> None:
        """Add new servers, or remove the newest, until ``count`` servers are up."""
        if count < 0:
            raise ClusterError("cannot scale to a negative number of servers")
        while len(self.alive_names()) < count:
            self.add_server()
        while len(self.alive_names()) > count:
            self.remove_server(self.alive_names()[-1])

    def memory(self) -> dict[str, int]:
        """Bytes of session data each server holds in its own memory."""
        return {name: s.strategy.bytes_held() for name, s in self.servers.items()}

    def sessions_held(self) -> dict[str, int]:
        """How many sessions each server holds in its own memory."""
        return {name: s.strategy.sessions_held() for name, s in self.servers.items()}

    def __repr__(self) -> str:
        servers = ", ".join(f"{n}{'' if s.alive else ' (down)'}" for n, s in self.servers.items())
        return f"Cluster(strategy={self.strategy_name!r}, servers=[{servers}])"
