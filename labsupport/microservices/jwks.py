"""Public keys as a JWKS document, and a service's cache of them on the lab's clock (lesson 07).

PyJWT reads the document (``jwt.PyJWKSet``); what this module adds is *when* to read it. PyJWT's
own ``PyJWKClient`` fetches over HTTP and times its cache with ``time.monotonic``, which
simulated time does not move; ``JWKSCache`` fetches through whatever function it is given (the
gateway's WSGI app, here) and times its cache with ``time.time()``, which ``SimClock`` moves, so
a key rotation plays out in simulated minutes.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

from ..errors import LabError, TokenRejected

JWKS_PATH = "/.well-known/jwks.json"
"""Where the gateway publishes its public keys (the conventional path)."""

CACHE_MAX_AGE = 300
"""Seconds a service trusts its copy of the keys before it fetches them again."""

MIN_REFETCH = 30
"""Seconds a service waits after a fetch before a token with an unknown ``kid`` may trigger another."""


def public_jwk(key: Ed25519PublicKey, kid: str) -> dict[str, Any]:
    """One public key as a JWK (RFC 8037: ``kty`` OKP, ``crv`` Ed25519), with its ``kid``, ``alg`` and ``use``."""
    jwk = OKPAlgorithm.to_jwk(key, as_dict=True)
    return {**jwk, "kid": kid, "alg": "EdDSA", "use": "sig"}


class JWKSCache:
    """One service instance's copy of the gateway's public keys (lesson 07).

    ``fetch`` returns the JWKS document. The copy is refreshed when it is ``max_age`` seconds
    old, and earlier when a token names a ``kid`` the copy lacks (the gateway may have just
    rotated), but not more than once per ``min_refetch`` seconds, so tokens with made-up kids
    cannot make a service hammer the gateway. A failed refresh keeps the keys it had.
    """

    def __init__(self, fetch: Callable[[], Mapping[str, Any]], *, max_age: float = CACHE_MAX_AGE,
                 min_refetch: float = MIN_REFETCH) -> None:
        self.fetch = fetch
        self.max_age = max_age
        self.min_refetch = min_refetch
        self.keyset: jwt.PyJWKSet | None = None
        self.fetched_at = 0.0
        self.fetches = 0
        """Times this cache asked the gateway for its keys."""
        self.failed_fetches = 0

    # shown in lesson 07
    def key(self, kid: str) -> jwt.PyJWK:
        """The public key named ``kid``, from the cached copy: the gateway is asked only when the copy is old
        or lacks ``kid``."""
        now = time.time()
        if self.keyset is None or now - self.fetched_at >= self.max_age:
            self.refresh(now)
        if kid not in self.kids() and now - self.fetched_at >= self.min_refetch:
            self.refresh(now)  # a key we have not seen: the gateway may have added it since
        if self.keyset is not None and kid in self.kids():
            return self.keyset[kid]
        raise TokenRejected(f"unknown key id {kid!r}: the gateway does not publish it (retired, or never its own)",
                            code="unknown-kid", claim="kid")

    def refresh(self, now: float) -> None:
        """Fetch the document again; on failure keep the keys already held (and try again after ``max_age``)."""
        self.fetches += 1
        self.fetched_at = now
        try:
            self.keyset = jwt.PyJWKSet.from_dict(dict(self.fetch()))
        except (LabError, jwt.PyJWTError):
            self.failed_fetches += 1
            if self.keyset is None:
                raise TokenRejected("cannot check the token: the gateway's keys could not be fetched", code="no-keys",
                                    status=503) from None

    def kids(self) -> list[str]:
        """The key ids in the cached copy."""
        return [str(key.key_id) for key in self.keyset] if self.keyset is not None else []

    def __repr__(self) -> str:
        return f"JWKSCache(kids={self.kids()}, fetches={self.fetches})"


__all__ = ["CACHE_MAX_AGE", "JWKS_PATH", "MIN_REFETCH", "JWKSCache", "public_jwk"]
