"""Services that verify the gateway's tokens locally, each with its own instances behind its own balancer (lesson 07).

An instance is a Flask app with its own copy of the gateway's public keys (``JWKSCache``) and
nothing else about sessions: the token carries the user. A ``Service`` is a pool of instances
that scales and fails on its own, fronted by the course's ``LoadBalancer``.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from flask import Flask, Request, Response, jsonify, request

from ..balancer import LoadBalancer
from ..errors import ClusterError, SessionRejected, TokenRejected, UnknownServer
from ..shop import answer_errors_in_json, cart_item, error, json_body
from ..store import SessionStore, as_text, fail_closed
from ..tokens import REQUIRED_CLAIMS, bearer_token, rejection
from .gateway import GATEWAY_ISSUER, SERVICES_AUDIENCE
from .jwks import CACHE_MAX_AGE, JWKSCache

SERVICES = ("catalog", "cart", "profile")
"""The services of lesson 07's shop."""

PATHS: Mapping[str, str] = {"catalog": "/items", "cart": "/cart", "profile": "/profile"}
"""The page each service answers."""

CATALOG = ("coffee", "tea", "cake")


class TokenVerifier:
    """Checks a gateway token with PyJWT and a public key from the instance's own cache (lesson 07)."""

    def __init__(self, cache: JWKSCache, *, issuer: str = GATEWAY_ISSUER, audience: str = SERVICES_AUDIENCE) -> None:
        self.cache = cache
        self.issuer = issuer
        self.audience = audience

    # shown in lesson 07
    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims: the header names the key, the cache supplies it, PyJWT checks everything else."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            if not isinstance(kid, str):
                raise TokenRejected("token names no key: its header has no kid", code="no-kid", claim="kid")
            public_key = self.cache.key(kid)
            return jwt.decode(token, public_key, algorithms=["EdDSA"], audience=self.audience, issuer=self.issuer,
                              options={"require": [*REQUIRED_CLAIMS, "roles"]})
        except jwt.PyJWTError as e:
            raise rejection(e, algorithm="EdDSA") from e

    def claims_of(self, request: Request) -> dict[str, Any]:
        """The verified claims of the request's ``Authorization: Bearer`` token (401 without one)."""
        token = bearer_token(request.headers.get("Authorization"))
        if token is None:
            raise SessionRejected("not logged in: send the gateway's token as 'Authorization: Bearer <token>'")
        return self.verify(token)

    def __repr__(self) -> str:
        return f"TokenVerifier(EdDSA, iss={self.issuer!r}, aud={self.audience!r}, {self.cache!r})"


def create_service_app(service: str, instance: str, verifier: TokenVerifier, *,
                       carts: SessionStore | None = None) -> Flask:
    """One instance of ``service``: every route verifies the token first; the cart service keeps carts in
    its own database (``carts``), the others keep nothing."""
    if service not in SERVICES:
        raise ClusterError(f"no service {service!r}; the services are {', '.join(SERVICES)}")
    app = Flask(f"labsupport.microservices.{service}")
    redis = carts.connect() if carts is not None else None

    if service == "catalog":
        @app.get("/items")
        def items() -> Response:
            return jsonify(user=verifier.claims_of(request)["sub"], items=list(CATALOG))

    elif service == "profile":
        @app.get("/profile")
        def profile() -> Response:
            claims = verifier.claims_of(request)
            return jsonify(user=claims["sub"], roles=claims["roles"])

    else:
        if carts is None or redis is None:
            raise ClusterError("the cart service needs its own database: pass carts=SessionStore(...)")
        store, client = carts, redis

        @app.get("/cart")
        def show_cart() -> Response:
            user = verifier.claims_of(request)["sub"]
            with fail_closed("the cart database is unavailable"):
                return jsonify(user=user, cart=[as_text(i) for i in client.lrange(store.key("cart", user), 0, -1)])

        @app.post("/cart")
        def add_to_cart() -> Response:
            user = verifier.claims_of(request)["sub"]
            item = cart_item(json_body(request))
            with fail_closed("the cart database is unavailable"):
                client.rpush(store.key("cart", user), item)
                return jsonify(user=user, cart=[as_text(i) for i in client.lrange(store.key("cart", user), 0, -1)])

    @app.errorhandler(SessionRejected)
    def rejected(e: SessionRejected) -> tuple[Response, int]:
        return error(e.status, e.reason, detail=getattr(e, "code", None))

    answer_errors_in_json(app)

    @app.after_request
    def name_the_instance(response: Response) -> Response:
        response.headers["X-Served-By"] = instance
        return response

    return app


@dataclass(eq=False)
class Instance:
    """One running copy of a service: its app, its own key cache, whether it is up."""

    name: str
    app: Flask
    cache: JWKSCache
    alive: bool = True

    def __repr__(self) -> str:
        return f"Instance({self.name!r}, {'up' if self.alive else 'down'}, {self.cache!r})"


class Service:
    """One service's instances (``catalog-1``, ``catalog-2``, ...) behind a round-robin ``LoadBalancer``.

    ``fetch_jwks`` is how an instance asks the gateway for its keys; each new instance starts
    with an empty cache of its own.
    """

    def __init__(self, name: str, *, instances: int = 2, fetch_jwks: Callable[[], Mapping[str, Any]],
                 carts: SessionStore | None = None, cache_max_age: float = CACHE_MAX_AGE) -> None:
        if instances < 0:
            raise ClusterError("a service needs zero or more instances")
        self.name = name
        self.fetch_jwks = fetch_jwks
        self.carts = carts
        self.cache_max_age = cache_max_age
        self.servers: dict[str, Instance] = {}
        self._numbered = 0
        for _ in range(instances):
            self.add_instance()
        self.balancer = LoadBalancer(self, "round-robin")

    def add_instance(self) -> str:
        """Start one more instance (an empty key cache, nothing else to copy); returns its name."""
        self._numbered += 1
        name = f"{self.name}-{self._numbered}"
        cache = JWKSCache(self.fetch_jwks, max_age=self.cache_max_age)
        app = create_service_app(self.name, name, TokenVerifier(cache), carts=self.carts)
        self.servers[name] = Instance(name, app, cache)
        return name

    def instance(self, name: str) -> Instance:
        """The instance called ``name``."""
        try:
            return self.servers[name]
        except KeyError:
            raise UnknownServer(name, list(self.servers)) from None

    def alive_names(self) -> list[str]:
        """Names of the instances that are up, in the order they started."""
        return [name for name, i in self.servers.items() if i.alive]

    def kill(self, name: str) -> None:
        """Stop instance ``name``."""
        self.instance(name).alive = False

    def kill_all(self) -> None:
        """Stop every instance: the whole service is down."""
        for name in self.alive_names():
            self.kill(name)

    def scale(self, count: int) -> None:
        """Start instances, or stop the newest, until ``count`` are up."""
        if count < 0:
            raise ClusterError("cannot scale to a negative number of instances")
        while len(self.alive_names()) < count:
            self.add_instance()
        while len(self.alive_names()) > count:
            self.kill(self.alive_names()[-1])

    def jwks_fetches(self) -> int:
        """Times this service's instances asked the gateway for its keys."""
        return sum(i.cache.fetches for i in self.servers.values())

    def __repr__(self) -> str:
        return f"Service({self.name!r}, up={self.alive_names()})"


__all__ = ["CATALOG", "PATHS", "SERVICES", "Instance", "Service", "TokenVerifier", "create_service_app"]
