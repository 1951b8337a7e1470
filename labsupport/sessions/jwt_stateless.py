"""Stateless JWT sessions: the whole session travels in signed tokens the client sends back (lesson 03).

A server checks a token with PyJWT and nothing else, so any server can answer any request
and none holds anything. Login hands out an access token (sent on every request) and a
refresh token (traded at ``POST /refresh`` for a new pair). Tokens carry the cart too,
because the session lives in the token: every change to the session re-issues both tokens.

Token ids (``jti``) and the login's ``sid`` come from the server's id source: 128 random
bits, from ``secrets`` outside a lab, from the lab's seeded stream inside one. ``iat`` and
``exp`` come from the clock PyJWT reads (``SimClock`` inside a scenario).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from flask import Flask, Request, Response

from ..errors import SessionRejected, TokenRejected
from ..ids import SESSION_ID_PREFIX
from ..tokens import AUDIENCE, ISSUER, REQUIRED_CLAIMS, TokenKeys, Tokens
from .base import Fields, ServerContext, Session, SessionStrategy
from .carriers import CARRIERS, Carrier

ACCESS_LIFETIME = 300
"""Seconds an access token lives by default (5 minutes)."""
REFRESH_LIFETIME = 3600
"""Seconds a refresh token lives by default (1 hour)."""

SESSION_CLAIMS = ("token_use", "sid", "roles", "cart")
"""Claims the shop adds to the registered ones, and requires back."""


@dataclass
class TokenSession(Session):
    """A session read from a verified token: ``id`` is the login's ``sid``; ``claims`` are the token's."""

    claims: dict[str, Any] = field(default_factory=dict)


class JWTSessions(SessionStrategy):
    """Stateless JWT sessions: verify the signature and claims with PyJWT, look nothing up.

    ``carrier`` is ``"bearer"`` (tokens in the JSON body, the access token back in an
    ``Authorization`` header) or ``"cookie"`` (HttpOnly cookies).
    """

    name: ClassVar[str] = "jwt"
    default_carrier: ClassVar[str] = "bearer"
    session_claims: ClassVar[tuple[str, ...]] = SESSION_CLAIMS

    def __init__(self, server: ServerContext, *, access_lifetime: float = ACCESS_LIFETIME,
                 refresh_lifetime: float = REFRESH_LIFETIME, leeway: float = 0, issuer: str = ISSUER,
                 audience: str = AUDIENCE, carrier: str | None = None) -> None:
        super().__init__(server)
        keys = server.token_keys if server.token_keys is not None else TokenKeys.hs256()
        self.tokens = Tokens(keys, issuer=issuer, audience=audience, leeway=leeway,
                             required=(*REQUIRED_CLAIMS, *self.session_claims))
        self.access_lifetime = int(access_lifetime)
        self.refresh_lifetime = int(refresh_lifetime)
        if self.access_lifetime < 1 or self.refresh_lifetime < self.access_lifetime:
            raise ValueError("lifetimes must satisfy 1 <= access_lifetime <= refresh_lifetime")
        chosen = carrier or self.default_carrier
        if chosen not in CARRIERS:
            raise ValueError(f"carrier must be one of {tuple(CARRIERS)}, not {chosen!r}")
        self.carrier: Carrier = CARRIERS[chosen]
        self.tokens_issued = 0
        """Tokens this server signed."""
        self.tokens_verified = 0
        """Tokens this server accepted."""
        self.tokens_rejected = 0
        """Tokens this server refused (any reason)."""

    # --- what the shop calls ------------------------------------------------------------

    def load(self, app: Flask, request: Request) -> TokenSession | None:
        token = self.carrier.access_token(request)
        if token is None:
            return None
        return self.session_from(self.verify(token, use="access"))

    def save(self, app: Flask, session: Session, request: Request, response: Response) -> Fields:
        access, refresh = self.issue_pair(session)
        return self.carrier.hand_over(access, refresh, response, access_lifetime=self.access_lifetime,
                                      refresh_lifetime=self.refresh_lifetime)

    # shown in lesson 05
    def end(self, app: Flask, session: Session, request: Request, response: Response) -> Fields | None:
        """Logging out of a stateless JWT forgets nothing on the server: the token stays valid until it expires."""
        self.carrier.drop(response)
        return None

    def resume(self, app: Flask, request: Request) -> TokenSession:
        """The session a valid refresh token stands for; the shop then issues a new pair."""
        return self.session_from(self.verify(self.carrier.refresh_token(request), use="refresh"))

    # --- tokens -------------------------------------------------------------------------

    def verify(self, token: object, *, use: str = "access") -> dict[str, Any]:
        """The claims of an ``access`` (or ``refresh``) token this shop issued and still accepts.

        PyJWT checks signature, algorithm, required claims, ``exp``, ``iss`` and ``aud``; then
        the shop checks its own claims and (``RevocableJWTSessions``) the store.
        """
        try:
            claims = self.tokens.verify(token)
            check_shop_claims(claims, use)
            self.check_revocation(claims)
        except SessionRejected:
            self.tokens_rejected += 1
            raise
        self.tokens_verified += 1
        return claims

    def check_revocation(self, claims: Mapping[str, Any]) -> None:
        """Whether a verified token has been revoked since: stateless JWTs cannot know, so never."""

    def issue_pair(self, session: Session) -> tuple[str, str]:
        """A new access token and refresh token for ``session``; a session without ``id`` is a new login."""
        access_jti, refresh_jti = self.server.ids(), self.server.ids()
        if session.id is None:
            session.id = self.server.ids(SESSION_ID_PREFIX)
        common = {"sid": session.id, "roles": list(session.roles), "cart": list(session.cart),
                  **self.extra_claims(session)}
        access = self.tokens.issue(session.user, lifetime=self.access_lifetime, jti=access_jti,
                                   claims={"token_use": "access", **common})
        refresh = self.tokens.issue(session.user, lifetime=self.refresh_lifetime, jti=refresh_jti,
                                    claims={"token_use": "refresh", **common})
        self.tokens_issued += 2
        self.remember_pair(session, access_jti, refresh_jti)
        return access, refresh

    def session_from(self, claims: Mapping[str, Any]) -> TokenSession:
        """The session a verified token carries."""
        return TokenSession(user=claims["sub"], cart=list(claims["cart"]), id=claims["sid"],
                            roles=list(claims["roles"]), claims=dict(claims))

    # --- hooks for RevocableJWTSessions --------------------------------------------------

    def extra_claims(self, session: Session) -> dict[str, Any]:
        """Claims to add to both tokens of a new pair; stateless tokens need none."""
        return {}

    def remember_pair(self, session: Session, access_jti: str, refresh_jti: str) -> None:
        """Record a newly issued pair; a stateless server records nothing."""

    @property
    def longest_lifetime(self) -> int:
        """Seconds the longest-lived token this server issues stays acceptable (leeway included)."""
        return self.refresh_lifetime + math.ceil(self.tokens.leeway)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.tokens.algorithm}, {self.carrier.name}, "
                f"access {self.access_lifetime} s, refresh {self.refresh_lifetime} s)")


class JWTCookieSessions(JWTSessions):
    """Stateless JWT sessions carried in HttpOnly, Secure, SameSite cookies instead of a header."""

    name: ClassVar[str] = "jwt-cookie"
    default_carrier: ClassVar[str] = "cookie"


def check_shop_claims(claims: Mapping[str, Any], use: str) -> None:
    """The shop's own claims, after PyJWT checked the registered ones: the right kind of token, well-formed."""
    if claims.get("token_use") != use:
        raise TokenRejected(f"wrong kind of token: this is not {'an' if use == 'access' else 'a'} {use} token",
                            code="wrong-token-use", claim="token_use")
    for claim in ("roles", "cart"):
        value = claims.get(claim)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TokenRejected(f"bad {claim} claim: it must be a list of strings", code="bad-claim", claim=claim)
    if not isinstance(claims.get("sid"), str):
        raise TokenRejected("bad sid claim: it must be a string", code="bad-claim", claim="sid")


__all__ = ["ACCESS_LIFETIME", "REFRESH_LIFETIME", "SESSION_CLAIMS", "JWTCookieSessions", "JWTSessions",
           "TokenSession", "check_shop_claims"]
