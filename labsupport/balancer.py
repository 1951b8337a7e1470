"""The load balancer: a WSGI app that picks one live server per request (lesson 00, 02).

Policies are small objects with one method, ``choose``. Hash-based policies use hashlib,
never the built-in ``hash()``, whose salt changes every run. The balancer fronts any
``ServerPool``: a ``Cluster`` of shops, or the instances of one service (lesson 07).
"""
from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from werkzeug.http import dump_cookie
from werkzeug.wrappers import Request

from .errors import UnknownChoice

STICKY_COOKIE = "lb"

WSGIApp = Callable[..., Iterable[bytes]]


class PoolMember(Protocol):
    """One server of a pool, as the balancer sees it: the WSGI app that answers its requests."""

    @property
    def app(self) -> WSGIApp: ...


class ServerPool(Protocol):
    """What a balancer fronts: servers by name, and which of them are up (a ``Cluster``, a service's instances)."""

    @property
    def servers(self) -> Mapping[str, PoolMember]: ...

    def alive_names(self) -> list[str]:
        """Names of the servers that are up, in a stable order."""
        ...


@dataclass(frozen=True)
class ClientInfo:
    """What a policy may look at: the client's address and the server its cookie pins."""

    address: str
    pinned: str | None = None


class Policy(ABC):
    """How the balancer picks a server. ``servers`` are the live names, in cluster order."""

    name: ClassVar[str]
    pins: ClassVar[bool] = False
    """True when the balancer should pin the client with a cookie."""

    @abstractmethod
    def choose(self, client: ClientInfo, servers: Sequence[str]) -> str:
        """Name of the server that gets this request."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RoundRobin(Policy):
    """Each request goes to the next server in turn."""

    name = "round-robin"

    def __init__(self) -> None:
        self._turn = itertools.count()

    def choose(self, client: ClientInfo, servers: Sequence[str]) -> str:
        return servers[next(self._turn) % len(servers)]


class RandomChoice(Policy):
    """Each request goes to a server drawn at random from a seeded generator."""

    name = "random"

    def __init__(self, *, seed: int | str = 0) -> None:
        self.seed = seed
        self._rng = random.Random(seed)

    def choose(self, client: ClientInfo, servers: Sequence[str]) -> str:
        return servers[self._rng.randrange(len(servers))]

    def __repr__(self) -> str:
        return f"RandomChoice(seed={self.seed})"


class Sticky(Policy):
    """Sticky sessions: a client whose cookie pins a live server goes there; others as ``first``."""

    name = "sticky"
    pins = True

    def __init__(self, first: Policy | None = None) -> None:
        self.first = first if first is not None else RoundRobin()

    def choose(self, client: ClientInfo, servers: Sequence[str]) -> str:
        if client.pinned is not None and client.pinned in servers:
            return client.pinned
        return self.first.choose(client, servers)

    def __repr__(self) -> str:
        return f"Sticky(first={self.first!r})"


def stable_hash(text: str) -> int:
    """A 64-bit hash of ``text`` that is the same in every process (sha256-based)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


class HashModulo(Policy):
    """``hash(client address) mod N``: the same client lands on the same server while N holds."""

    name = "hash-modulo"

    def choose(self, client: ClientInfo, servers: Sequence[str]) -> str:
        return servers[stable_hash(client.address) % len(servers)]


class ConsistentHash(Policy):
    """A hash ring with ``replicas`` points per server: changing N moves only ~1/N of clients."""

    name = "consistent-hash"

    def __init__(self, *, replicas: int = 100) -> None:
        self.replicas = replicas
        self._rings: dict[frozenset[str], tuple[list[int], list[str]]] = {}
        """One ring per server set, built once: comparing two sets must not rebuild on every call."""

    def _ring(self, servers: Sequence[str]) -> tuple[list[int], list[str]]:
        key = frozenset(servers)
        if key not in self._rings:
            ring = sorted((stable_hash(f"{name}#{i}"), name) for name in key for i in range(self.replicas))
            self._rings[key] = ([point for point, _ in ring], [owner for _, owner in ring])
        return self._rings[key]

    def choose(self, client: ClientInfo, servers: Sequence[str]) -> str:
        points, owners = self._ring(servers)
        at = bisect.bisect(points, stable_hash(client.address)) % len(points)
        return owners[at]

    def __repr__(self) -> str:
        return f"ConsistentHash(replicas={self.replicas})"


POLICIES: dict[str, Callable[..., Policy]] = {
    RoundRobin.name: RoundRobin,
    RandomChoice.name: RandomChoice,
    Sticky.name: Sticky,
    HashModulo.name: HashModulo,
    ConsistentHash.name: ConsistentHash,
}
"""The balancing policies by name."""


def make_policy(policy: str | Policy, *, seed: int | str = 0) -> Policy:
    """A policy object from its name (``random`` is seeded with ``seed``) or as given."""
    if isinstance(policy, Policy):
        return policy
    if policy == RandomChoice.name:
        return RandomChoice(seed=seed)
    try:
        return POLICIES[policy]()
    except KeyError:
        raise UnknownChoice("balancing policy", policy, list(POLICIES)) from None


def remapped_share(policy: Policy, clients: Iterable[str], before: Sequence[str], after: Sequence[str]) -> float:
    """Share of ``clients`` (addresses) that a policy sends elsewhere when servers change."""
    addresses = list(clients)
    moved = sum(
        policy.choose(ClientInfo(a), before) != policy.choose(ClientInfo(a), after) for a in addresses
    )
    return moved / len(addresses)


class LoadBalancer:
    """A WSGI app in front of a pool of servers (a ``Cluster``): one request in, one live server's answer out."""

    def __init__(self, cluster: ServerPool, policy: str | Policy = "round-robin", *, seed: int | str = 0) -> None:
        self.cluster = cluster
        self.policy = make_policy(policy, seed=seed)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        servers = self.cluster.alive_names()
        if not servers:
            body = json.dumps({"error": "service unavailable", "reason": "no server is up"}).encode()
            start_response("503 SERVICE UNAVAILABLE",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        pinned = None
        if self.policy.pins and "HTTP_COOKIE" in environ:
            # the cookies as Flask reads them: werkzeug.http.parse_cookie(environ) raises on a header that is not UTF-8
            pinned = Request(environ, shallow=True).cookies.get(STICKY_COOKIE)
        chosen = self.policy.choose(ClientInfo(environ.get("REMOTE_ADDR", ""), pinned), servers)
        app = self.cluster.servers[chosen].app
        if not self.policy.pins or chosen == pinned:
            return app(environ, start_response)
        cookie = dump_cookie(STICKY_COOKIE, chosen, httponly=True, samesite="Lax")

        def pin_then_start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            return start_response(status, [*headers, ("Set-Cookie", cookie)], *exc_info)

        return app(environ, pin_then_start)

    def __repr__(self) -> str:
        return f"LoadBalancer(policy={self.policy!r}, servers={self.cluster.alive_names()})"
