"""The gateway: it checks passwords, signs Ed25519 tokens with a ``kid``, and publishes its public keys (lesson 07).

It is the only place that holds a private key. Services verify its tokens with the public keys
it serves at ``/.well-known/jwks.json`` and never call it per request: ``calls`` counts every
request it answers, by path, to prove it.
"""
from __future__ import annotations

import time
from collections import Counter
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, Response, jsonify, request
from werkzeug.test import Client

from ..accounts import Accounts
from ..errors import LabError
from ..ids import IdSource
from ..shop import answer_errors_in_json, error, json_body, json_field
from ..tokens import TokenKeys
from .jwks import JWKS_PATH, public_jwk

GATEWAY_ISSUER = "https://gateway.shop.example"
"""The ``iss`` of the gateway's tokens."""

SERVICES_AUDIENCE = "shop-services"
"""The ``aud`` of the gateway's tokens: every service insists on it."""

TOKEN_LIFETIME = 600
"""Seconds a gateway token lives (10 minutes)."""


class Gateway:
    """Logs users in and signs their tokens; publishes the public half of every key it has not retired.

    ``add_key(seed)`` starts a rotation: the new key is published and signs from now on; the old
    one stays published so its tokens keep working until they expire. ``retire_key(kid)`` then
    removes it from the document.
    """

    def __init__(self, *, accounts: Accounts, ids: IdSource, key_seed: int = 70,
                 lifetime: int = TOKEN_LIFETIME) -> None:
        self.accounts = accounts.copy()
        self.ids = ids
        self.lifetime = lifetime
        self.published: dict[str, TokenKeys] = {}
        """Keys whose public half the JWKS document lists, by kid."""
        self.retired: dict[str, TokenKeys] = {}
        self.signing_kid = ""
        self.calls: Counter[str] = Counter()
        """Requests the gateway answered, by path."""
        self.up = True
        self.add_key(key_seed)
        self.app = self._create_app()

    def add_key(self, seed: int) -> str:
        """Publish a new Ed25519 key (from ``seed``) and sign with it from now on; returns its kid."""
        kid = f"key-{len(self.published) + len(self.retired) + 1}"
        self.published[kid] = TokenKeys.eddsa(seed)
        self.signing_kid = kid
        return kid

    def retire_key(self, kid: str) -> None:
        """Stop publishing ``kid``: services drop it when their copy of the keys next refreshes."""
        if kid == self.signing_kid:
            raise LabError(f"{kid!r} still signs new tokens: add a new key before retiring this one")
        if kid not in self.published:
            raise LabError(f"{kid!r} is not published; published: {', '.join(self.published)}")
        self.retired[kid] = self.published.pop(kid)

    def jwks(self) -> dict[str, Any]:
        """The JWKS document: the public half of every published key."""
        return {"keys": [public_jwk(keys.verifying_key, kid) for kid, keys in self.published.items()
                         if not isinstance(keys.verifying_key, str)]}

    # shown in lesson 07
    def issue(self, user: str, roles: list[str]) -> str:
        """A token for ``user``, signed with the current private key; its header names the key (``kid``)."""
        now = int(time.time())
        claims = {"iss": GATEWAY_ISSUER, "sub": user, "aud": SERVICES_AUDIENCE, "iat": now,
                  "exp": now + self.lifetime, "jti": self.ids(), "roles": roles}
        private_key = self.published[self.signing_kid].signing_key
        if not isinstance(private_key, Ed25519PrivateKey):
            raise LabError(f"{self.signing_kid!r} holds no Ed25519 private key")
        return jwt.encode(claims, private_key, algorithm="EdDSA", headers={"kid": self.signing_kid})

    def fetch_jwks(self) -> dict[str, Any]:
        """What a service gets when it asks the gateway for its keys: ``GET /.well-known/jwks.json`` through WSGI."""
        response = Client(self.app).get(JWKS_PATH)
        if response.status_code != 200:
            raise LabError(f"the gateway answered {response.status_code} for its keys")
        body = response.get_json()
        if not isinstance(body, dict):
            raise LabError("the gateway's key document is not a JSON object")
        return body

    def _create_app(self) -> Flask:
        app = Flask("labsupport.microservices.gateway")

        @app.before_request
        def count_and_check() -> tuple[Response, int] | None:
            self.calls[request.path] += 1
            return None if self.up else error(503, "the gateway is down")

        @app.post("/login")
        def login() -> Response | tuple[Response, int]:
            body = json_body(request)
            user, password = json_field(body, "user"), json_field(body, "password")
            if not self.accounts.check_password(user, password):
                return error(401, "unknown user or wrong password")
            return jsonify(access_token=self.issue(user, self.accounts.roles_of(user)), token_type="Bearer",
                           expires_in=self.lifetime)

        @app.get(JWKS_PATH)
        def jwks() -> Response:
            return jsonify(self.jwks())

        answer_errors_in_json(app)
        return app

    def __repr__(self) -> str:
        return (f"Gateway(signing with {self.signing_kid}, publishes {list(self.published)}, "
                f"calls={dict(sorted(self.calls.items()))})")


__all__ = ["GATEWAY_ISSUER", "SERVICES_AUDIENCE", "TOKEN_LIFETIME", "Gateway"]
