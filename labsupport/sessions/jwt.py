"""JWT sessions: the whole session travels in signed tokens the client sends back (lessons 03, 05).

``JWTSessions`` is the stateless way: a server checks a token with PyJWT and nothing else, so
any server can answer any request and none holds anything. ``RevocableJWTSessions`` adds what
the seed's Pro Tip asks for, in the lab's session store:

- a **denylist** of revoked token ids: ``deny:<jti>``, each kept only for the token's remaining
  lifetime (``SET ... EX``), so the list empties itself as tokens expire;
- a per-user **token version**: ``token-version:<user>``; "log out everywhere" bumps it, and
  every token carrying an older ``ver`` is refused;
- a **token family** per login: ``token-family:<sid>`` names the one refresh token that may be
  used next. Every refresh rotates it; a refresh token that is not the current one is a replay
  (reuse detection), and the whole family is revoked.

Every request then costs one store round trip (one ``MGET``), and while the store is down
the check fails closed: 503, never "let it in". Tokens carry the cart too, because the session
lives in the token: every change to the session re-issues both tokens.

Token ids are ``<server>-<n>``: deterministic under a seeded lab (no ``uuid4``), so stored
notebook outputs reproduce. ``iat``/``exp`` come from the clock PyJWT reads (``SimClock``).
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from flask import Request, Response, current_app

from ..errors import SessionRejected, StoreUnavailable, TokenRejected
from ..store import StoreDown
from ..tokens import AUDIENCE, ISSUER, MAX_TOKEN_LENGTH, REQUIRED_CLAIMS, TokenKeys, Tokens, bearer_token, \
    remaining_lifetime
from .base import Session, SessionStrategy

if TYPE_CHECKING:
    from redis import Redis

    from ..store import SessionStore

ACCESS_LIFETIME = 300
"""Seconds an access token lives by default (5 minutes)."""
REFRESH_LIFETIME = 3600
"""Seconds a refresh token lives by default (1 hour)."""

ACCESS_COOKIE = "access_token"
REFRESH_COOKIE = "refresh_token"
REFRESH_PATH = "/refresh"
"""The cookie variant sends the refresh cookie only to this path."""

CARRIERS = ("bearer", "cookie")
"""How the client sends the access token: an ``Authorization: Bearer`` header, or a cookie."""

BASE_ROLES: tuple[str, ...] = ("customer",)
DEFAULT_ROLES: Mapping[str, tuple[str, ...]] = MappingProxyType({"alice": ("customer", "admin")})
"""The shop's role directory: alice is an admin; everyone else is a customer."""

SESSION_CLAIMS = ("token_use", "sid", "roles", "cart")
"""Claims the shop adds to the registered ones, and requires back."""


@dataclass
class TokenSession(Session):
    """A session read from a verified token: ``id`` is the login's ``sid``; ``claims`` are the token's."""

    roles: list[str] = field(default_factory=list)
    claims: dict[str, Any] = field(default_factory=dict)


class JWTSessions(SessionStrategy):
    """Stateless JWT sessions: verify the signature and claims with PyJWT, look nothing up.

    Login hands out an access token (sent on every request) and a refresh token (traded at
    ``POST /refresh`` for a new pair). With ``carrier="bearer"`` both come back in the JSON
    body; with ``carrier="cookie"`` they come back as HttpOnly cookies instead.
    """

    name: ClassVar[str] = "jwt"
    carrier: str = "bearer"
    session_claims: ClassVar[tuple[str, ...]] = SESSION_CLAIMS

    def __init__(
        self,
        *,
        keys: TokenKeys | None = None,
        access_lifetime: float = ACCESS_LIFETIME,
        refresh_lifetime: float = REFRESH_LIFETIME,
        leeway: float = 0,
        issuer: str = ISSUER,
        audience: str = AUDIENCE,
        roles: Mapping[str, Sequence[str]] | None = None,
        carrier: str | None = None,
    ) -> None:
        self.tokens = Tokens(keys if keys is not None else TokenKeys.hs256(), issuer=issuer, audience=audience,
                             leeway=leeway, required=(*REQUIRED_CLAIMS, *self.session_claims))
        self.access_lifetime = int(access_lifetime)
        self.refresh_lifetime = int(refresh_lifetime)
        if self.access_lifetime < 1 or self.refresh_lifetime < self.access_lifetime:
            raise ValueError("lifetimes must satisfy 1 <= access_lifetime <= refresh_lifetime")
        self.roles = DEFAULT_ROLES if roles is None else MappingProxyType({u: tuple(r) for u, r in roles.items()})
        self.carrier = carrier or type(self).carrier
        if self.carrier not in CARRIERS:
            raise ValueError(f"carrier must be one of {CARRIERS}, not {self.carrier!r}")
        self.tokens_issued = 0
        """Tokens this server signed."""
        self.tokens_verified = 0
        """Tokens this server accepted."""
        self.tokens_rejected = 0
        """Tokens this server refused (any reason)."""

    @classmethod
    def configured(cls, **options: Any) -> partial[JWTSessions]:
        """A factory for ``Lab(strategy=...)`` with these options, e.g. ``access_lifetime=60``.

        It carries the class's ``name`` and ``needs_store``, so a lab still builds (and passes
        in) its session store when the strategy needs one.
        """
        factory = partial(cls, **options)
        factory.name = cls.name  # type: ignore[attr-defined]
        factory.needs_store = cls.needs_store  # type: ignore[attr-defined]
        return factory

    # --- what the shop calls ------------------------------------------------------------

    def load(self, request: Request) -> TokenSession | None:
        if self.carrier == "cookie":
            token = request.cookies.get(ACCESS_COOKIE)
        else:
            token = bearer_token(request.headers.get("Authorization"))
        if token is None:
            return None
        return self.session_from(self.verify(token, use="access"))

    def save(self, session: Session, response: Response) -> dict[str, object]:
        access, refresh = self.issue_pair(session)
        return self._hand_over(access, refresh, response)

    def end(self, session: Session, response: Response) -> dict[str, object] | None:
        """Logging out of a stateless JWT forgets nothing on the server: the token stays valid until it expires."""
        self._drop_cookies(response)
        return None

    def refresh(self, request: Request, response: Response) -> tuple[TokenSession, dict[str, object]]:
        """Verify the refresh token and hand out a new pair (roles are read afresh from the directory)."""
        claims = self.verify(self._presented_refresh_token(request), use="refresh")
        session = self.session_from(claims)
        session.roles = self.roles_for(session.user)
        return session, self.save(session, response)

    # --- tokens -------------------------------------------------------------------------

    def verify(self, token: object, *, use: str = "access") -> dict[str, Any]:
        """The claims of an ``access`` (or ``refresh``) token this shop issued and still accepts.

        PyJWT checks signature, algorithm, required claims, ``exp``, ``iss`` and ``aud``; then
        the shop checks its own claims and (``RevocableJWTSessions``) the store.
        """
        try:
            claims = self.tokens.verify(token)
            self._check_shop_claims(claims, use)
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
        (first, second), extra = self._prepare(session)
        if session.id is None:
            session.id = f"sid-{first}"
        roles = session.roles if isinstance(session, TokenSession) else self.roles_for(session.user)
        common = {"sid": session.id, "roles": list(roles), "cart": list(session.cart), **extra}
        access = self.tokens.issue(session.user, lifetime=self.access_lifetime, jti=first,
                                   claims={"token_use": "access", **common})
        refresh = self.tokens.issue(session.user, lifetime=self.refresh_lifetime, jti=second,
                                    claims={"token_use": "refresh", **common})
        self.tokens_issued += 2
        self._remember_pair(session, first, second)
        return access, refresh

    def session_from(self, claims: Mapping[str, Any]) -> TokenSession:
        """The session a verified token carries."""
        return TokenSession(user=claims["sub"], cart=list(claims["cart"]), id=claims["sid"],
                            roles=list(claims["roles"]), claims=dict(claims))

    def roles_for(self, user: str) -> list[str]:
        """The user's roles in the directory now (a token carries the roles of the moment it was issued)."""
        return list(self.roles.get(user, BASE_ROLES))

    # --- hooks for RevocableJWTSessions --------------------------------------------------

    def _prepare(self, session: Session) -> tuple[list[str], dict[str, Any]]:
        """Two fresh token ids (``<server>-<n>``, this server's own count) and any extra claims."""
        server = current_app.config.get("LAB_SERVER_NAME", "app")
        return [f"{server}-{self.tokens_issued + 1}", f"{server}-{self.tokens_issued + 2}"], {}

    def _remember_pair(self, session: Session, access_jti: str, refresh_jti: str) -> None:
        return None

    # --- plumbing -----------------------------------------------------------------------

    def _check_shop_claims(self, claims: Mapping[str, Any], use: str) -> None:
        if claims.get("token_use") != use:
            raise TokenRejected(f"wrong kind of token: this is a {_short(claims.get('token_use'))} token, "
                                f"{'an' if use == 'access' else 'a'} {use} token is needed here",
                                code="wrong-token-use", claim="token_use")
        for claim in ("roles", "cart"):
            value = claims.get(claim)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise TokenRejected(f"bad {claim} claim: it must be a list of strings", code="bad-claim", claim=claim)
        if not isinstance(claims.get("sid"), str):
            raise TokenRejected("bad sid claim: it must be a string", code="bad-claim", claim="sid")

    def _hand_over(self, access: str, refresh: str, response: Response) -> dict[str, object]:
        if self.carrier == "bearer":
            return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
                    "expires_in": self.access_lifetime}
        response.set_cookie(ACCESS_COOKIE, access, max_age=self.access_lifetime, path="/",
                            secure=True, httponly=True, samesite="Lax")
        response.set_cookie(REFRESH_COOKIE, refresh, max_age=self.refresh_lifetime, path=REFRESH_PATH,
                            secure=True, httponly=True, samesite="Strict")
        return {"expires_in": self.access_lifetime}

    def _drop_cookies(self, response: Response) -> None:
        if self.carrier == "cookie":
            response.delete_cookie(ACCESS_COOKIE, path="/", secure=True, httponly=True, samesite="Lax")
            response.delete_cookie(REFRESH_COOKIE, path=REFRESH_PATH, secure=True, httponly=True, samesite="Strict")

    def _presented_refresh_token(self, request: Request) -> str:
        if self.carrier == "cookie":
            token = request.cookies.get(REFRESH_COOKIE)
        else:
            try:
                body = request.get_json(silent=True)
            except RecursionError:  # nested deeper than the parser goes; `silent` catches only ValueError
                body = None
            token = body.get("refresh_token") if isinstance(body, dict) else None
        if token is None:
            where = "cookie" if self.carrier == "cookie" else 'JSON body {"refresh_token": "..."}'
            raise TokenRejected(f"no refresh token: send it in the {where}", code="no-token")
        return token

    def sessions_held(self) -> int:
        return 0

    def bytes_held(self) -> int:
        return 0

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.tokens.algorithm}, {self.carrier}, access {self.access_lifetime} s, "
                f"refresh {self.refresh_lifetime} s)")


class JWTCookieSessions(JWTSessions):
    """Stateless JWT sessions carried in HttpOnly, Secure, SameSite cookies instead of a header."""

    name: ClassVar[str] = "jwt-cookie"
    carrier: str = "cookie"


class RevocableJWTSessions(JWTSessions):
    """JWT sessions that can be revoked: a denylist, token versions and refresh rotation in the store.

    Each server opens its own client with ``store.connect()``. Every verification costs one
    round trip (``store_round_trips`` counts them); while the store is down it fails closed (503).

    The version key has no TTL: one small integer per user who ever logged out everywhere, like
    a column in a user table. Rotation reads the family record and then writes it: a real
    deployment makes that one atomic step (a Lua script, or WATCH/MULTI) so two concurrent
    refreshes cannot both win; the simulator serves one request at a time.
    """

    name: ClassVar[str] = "jwt-revocable"
    needs_store: ClassVar[bool] = True
    session_claims: ClassVar[tuple[str, ...]] = (*SESSION_CLAIMS, "ver")

    def __init__(self, *, store: SessionStore, **options: Any) -> None:
        super().__init__(**options)
        self.store = store
        self.redis: Redis = store.connect()
        self.store_round_trips = 0
        """Round trips this server made to the store (one per verified token, two per issued pair)."""
        self.reuse_detected = 0
        """Replayed refresh tokens this server caught."""

    # --- the keys -----------------------------------------------------------------------

    def deny_key(self, jti: str) -> str:
        """``deny:<jti>``: present while that token is revoked and not yet expired."""
        return self.store.key("deny", jti)

    def version_key(self, user: str) -> str:
        """``token-version:<user>``: tokens with an older ``ver`` claim are refused."""
        return self.store.key("token-version", user)

    def family_key(self, sid: str) -> str:
        """``token-family:<sid>``: the login's current refresh and access token ids."""
        return self.store.key("token-family", sid)

    # --- revocation ---------------------------------------------------------------------

    def check_revocation(self, claims: Mapping[str, Any]) -> None:
        """One round trip: is the token denied, older than the user's version, or its family gone?"""
        if not isinstance(claims.get("ver"), int) or isinstance(claims.get("ver"), bool):
            raise TokenRejected("bad ver claim: it must be an integer", code="bad-claim", claim="ver")
        denied, version, family = self._call(self.redis.mget, self.deny_key(claims["jti"]),
                                             self.version_key(claims["sub"]), self.family_key(claims["sid"]))
        if denied is not None:
            raise TokenRejected(f"token revoked: its jti {claims['jti']!r} is on the denylist ({denied})",
                                code="revoked", claim="jti")
        if claims["ver"] < int(version or 0):
            raise TokenRejected("token revoked: the user logged out everywhere after it was issued",
                                code="logged-out-everywhere", claim="ver")
        if family is None:
            raise TokenRejected("session ended: this login was logged out or its refresh token was replayed",
                                code="session-ended", claim="sid")
        if claims["token_use"] == "refresh" and json.loads(family)["refresh"] != claims["jti"]:
            self.reuse_detected += 1
            self._call(self.redis.delete, self.family_key(claims["sid"]))
            raise TokenRejected("refresh token reuse detected: it was already used, so the whole token family "
                                "(every token of this login) is revoked", code="reuse-detected", claim="jti")

    def revoke(self, claims: Mapping[str, Any], *, why: str = "revoked") -> str:
        """Put one token on the denylist until it expires anyway (leeway included); returns the key written."""
        key = self.deny_key(claims["jti"])
        self._call(self.redis.set, key, why, ex=remaining_lifetime(claims, leeway=self.tokens.leeway))
        return key

    def end(self, session: Session, response: Response) -> dict[str, object]:
        """Deny the access token that asked, and end its family (the refresh token dies with it)."""
        self._drop_cookies(response)
        claims = session.claims if isinstance(session, TokenSession) else {}
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self.deny_key(claims["jti"]), "logout", ex=remaining_lifetime(claims, leeway=self.tokens.leeway))
        pipe.delete(self.family_key(claims["sid"]))
        self._call(pipe.execute)
        return {"revoked": claims["jti"]}

    def end_everywhere(self, session: Session, response: Response) -> dict[str, object]:
        """Bump the user's token version: every token issued before now is refused, on every device."""
        self._drop_cookies(response)
        version = self._call(self.redis.incr, self.version_key(session.user))
        return {"token_version": int(version)}

    def denylist(self) -> list[str]:
        """The token ids on the denylist now (expired entries have already gone)."""
        prefix = self.deny_key("")
        return [key[len(prefix):] for key in self.store.keys("deny:*")]

    # --- issuing ------------------------------------------------------------------------

    def _prepare(self, session: Session) -> tuple[list[str], dict[str, Any]]:
        """One round trip: two ids from the store's counter (unique across servers and restarts),
        and, for a new login, the user's token version."""
        server = current_app.config.get("LAB_SERVER_NAME", "app")
        known = session.claims.get("ver") if isinstance(session, TokenSession) else None
        pipe = self.redis.pipeline(transaction=False)
        pipe.incrby(self.store.key("jti-seq"), 2)
        if known is None:
            pipe.get(self.version_key(session.user))
        last, *version = self._call(pipe.execute)
        ver = known if known is not None else int(version[0] or 0)
        return [f"{server}-{int(last) - 1}", f"{server}-{int(last)}"], {"ver": ver}

    def _remember_pair(self, session: Session, access_jti: str, refresh_jti: str) -> None:
        record = json.dumps({"user": session.user, "access": access_jti, "refresh": refresh_jti})
        self._call(self.redis.set, self.family_key(str(session.id)), record, ex=self.refresh_lifetime)

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        """One round trip to the store; a store that cannot be reached fails closed (503)."""
        self.store_round_trips += 1
        try:
            return method(*args, **kwargs)
        except StoreDown as e:
            raise StoreUnavailable("session store unavailable: cannot check whether the token was revoked, "
                                   "so it is refused (fail closed)") from e


def _short(value: object, limit: int = 30) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = [
    "ACCESS_COOKIE", "ACCESS_LIFETIME", "BASE_ROLES", "CARRIERS", "DEFAULT_ROLES", "MAX_TOKEN_LENGTH",
    "REFRESH_COOKIE", "REFRESH_LIFETIME", "REFRESH_PATH", "SESSION_CLAIMS", "JWTCookieSessions", "JWTSessions",
    "RevocableJWTSessions", "TokenSession",
]
