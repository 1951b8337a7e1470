"""JWT sessions that can be revoked: what the article's Pro Tip asks for, in the lab's session store (lesson 05).

- a **denylist** of revoked token ids: ``deny:<jti>``, each kept only for the token's remaining
  lifetime (``SET ... EX``), so the list empties itself as tokens expire;
- a per-user **token version**: ``token-version:<user>``; "log out everywhere" bumps it, and
  every token carrying an older ``ver`` is refused;
- a **token family** per login: ``token-family:<sid>`` names the one refresh token that may be
  used next. Every refresh rotates it; a refresh token that is not the current one is a replay
  (reuse detection), and the whole family is revoked;
- a **spent mark** per refresh token: ``token-spent:<jti>``, set with ``SET ... NX`` in the same
  round trip that reads the family record. Of two requests racing with one refresh token (two
  browser tabs, or a thief and the owner), exactly one spends it, on a real Redis shared by many
  processes as on the embedded one (lesson 08). A request that finds the token spent less than
  ``refresh_grace`` seconds ago lost a legitimate race: 409, and the family lives on; later, it is
  a replay. A refresh token never used but no longer the family's (a cart update of the same login
  was given a newer pair meanwhile) is superseded, not replayed: 409, and the family lives on.

Every verification then costs one store round trip (one ``MGET``, in a ``MULTI`` with the spend for
a refresh token), and while the store is down the check fails closed: 503, never "let it in".
"""
from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, NoReturn, TypeVar

from flask import Flask, Request, Response

from ..errors import TokenRejected
from ..store import as_text, fail_closed
from ..tokens import remaining_lifetime
from .base import Fields, ServerContext, Session
from .jwt_stateless import SESSION_CLAIMS, JWTSessions, TokenSession

T = TypeVar("T")
Stored = str | bytes | None
"""A value read from the store (the clients decode to ``str``), or ``None`` for a missing key."""

MAX_REFRESH_GRACE = 60
"""The longest grace window allowed, in seconds: a longer one is a second valid refresh token in all but name."""

UNAVAILABLE = ("session store unavailable: cannot check whether the token was revoked, so it is refused "
               "(fail closed)")


class RevocableJWTSessions(JWTSessions):
    """JWT sessions that can be revoked: a denylist, token versions and refresh rotation in the store.

    Each server opens its own client of the shared store. Every verification costs one
    round trip (``store_round_trips`` counts them); while the store is down it fails closed (503).

    The version key has no TTL: one small integer per user who ever logged out everywhere, like
    a column in a user table. Rotation is safe under concurrency: a refresh token is spent with
    ``SET ... NX`` (one winner), and only a login creates a family record; every later write
    needs it to exist still (``SET ... XX``), so no write revives a family revoked meanwhile.

    ``refresh_grace`` is how many seconds a spent refresh token is answered 409 ("a concurrent
    request already refreshed") instead of being treated as a replay: 0 (the default, and
    lesson 05's) treats every second use as a replay; lesson 08's real processes use a short window.
    """

    name: ClassVar[str] = "jwt-revocable"
    needs_store: ClassVar[bool] = True
    session_claims: ClassVar[tuple[str, ...]] = (*SESSION_CLAIMS, "ver")

    def __init__(self, server: ServerContext, *, refresh_grace: float = 0, **options: Any) -> None:
        super().__init__(server, **options)
        if isinstance(refresh_grace, bool) or not isinstance(refresh_grace, (int, float)) \
                or not 0 <= refresh_grace <= MAX_REFRESH_GRACE:
            raise ValueError(f"refresh_grace must be seconds from 0 to {MAX_REFRESH_GRACE}, not {refresh_grace!r}")
        self.refresh_grace = float(refresh_grace)
        if server.store is None:  # checked by SessionStrategy too; this tells the type checker
            raise TypeError("RevocableJWTSessions needs a store")
        self.store = server.store
        self.redis = self.store.connect()
        """This server's own client of the shared store."""
        self.store_round_trips = 0
        """Round trips this server made to the store (one per verified token, one or two per issued pair)."""
        self.reuse_detected = 0
        """Replayed refresh tokens this server caught."""
        self.races_tolerated = 0
        """Refreshes this server answered 409: they lost a race within the grace window (no alarm)."""

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

    def spent_key(self, jti: str) -> str:
        """``token-spent:<jti>``: when that refresh token was first used (present until it expires)."""
        return self.store.key("token-spent", jti)

    # --- revocation ---------------------------------------------------------------------

    # shown in lesson 05
    def check_revocation(self, claims: Mapping[str, Any]) -> None:
        """One round trip: is the token denied, older than the user's version, or its family gone?"""
        if not isinstance(claims.get("ver"), int) or isinstance(claims.get("ver"), bool):
            raise TokenRejected("bad ver claim: it must be an integer", code="bad-claim", claim="ver")
        denied, version, family, spent_at = self._call(self.read_state, claims)
        if denied is not None:
            raise TokenRejected(f"token revoked: its jti {claims['jti']!r} is on the denylist ({as_text(denied)})",
                                code="revoked", claim="jti")
        if claims["ver"] < int(version or 0):
            raise TokenRejected("token revoked: the user logged out everywhere after it was issued",
                                code="logged-out-everywhere", claim="ver")
        if family is None:
            raise TokenRejected("session ended: this login was logged out or its refresh token was replayed",
                                code="session-ended", claim="sid")
        if claims["token_use"] == "refresh" and spent_at is not None:
            self.refuse_spent_refresh(claims, spent_at)
        if claims["token_use"] == "refresh" and json.loads(as_text(family))["refresh"] != claims["jti"]:
            raise TokenRejected("refresh token superseded: a concurrent request of this login (a cart update) was "
                                "given newer tokens; use those", code="refresh-superseded", claim="jti", status=409)

    # shown in lesson 08
    def read_state(self, claims: Mapping[str, Any]) -> tuple[Stored, Stored, Stored, Stored]:
        """The token's denylist entry, its user's token version and its family record, in one round trip.

        A refresh token is also spent in that round trip: ``SET token-spent:<jti> <now> NX`` inside
        the same ``MULTI``, so of two requests racing with one token exactly one spends it. The last
        value is ``None`` for that one, and for the other the time the token was first spent.
        """
        keys = (self.deny_key(claims["jti"]), self.version_key(claims["sub"]), self.family_key(claims["sid"]))
        if claims["token_use"] != "refresh":
            denied, version, family = self.redis.mget(*keys)
            return denied, version, family, None
        spent = self.spent_key(claims["jti"])
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.mget(*keys)
            pipe.set(spent, repr(time.time()), nx=True, ex=self.deny_ttl(claims))
            pipe.get(spent)
            (denied, version, family), first_use, spent_at = pipe.execute()
        return denied, version, family, None if first_use else spent_at

    # shown in lesson 08
    def refuse_spent_refresh(self, claims: Mapping[str, Any], spent_at: Stored) -> NoReturn:
        """A refresh token used before: within the grace window a lost race (409), else a replay (the family ends)."""
        age = time.time() - float(spent_at) if spent_at is not None else math.inf
        if age < self.refresh_grace:
            self.races_tolerated += 1
            raise TokenRejected(f"refresh already done: a concurrent request used this refresh token {age:.1f} s "
                                "ago; use the tokens it received", code="refresh-race", claim="jti", status=409)
        self.reuse_detected += 1
        self._call(self.redis.delete, self.family_key(claims["sid"]))
        raise TokenRejected("refresh token reuse detected: it was already used, so the whole token family "
                            "(every token of this login) is revoked", code="reuse-detected", claim="jti")

    def deny_ttl(self, claims: Mapping[str, Any]) -> int:
        """Seconds a denylist entry for this token must live: until a verifier with our leeway refuses it
        anyway, and never longer than the longest-lived token this server issues."""
        return min(remaining_lifetime(claims, leeway=self.tokens.leeway), self.longest_lifetime)

    def revoke(self, claims: Mapping[str, Any], *, why: str = "revoked") -> str:
        """Put one token on the denylist until it expires anyway; returns the key written (after the prefix)."""
        self._call(self.redis.set, self.deny_key(claims["jti"]), why, ex=self.deny_ttl(claims))
        return f"deny:{claims['jti']}"

    def end(self, app: Flask, session: Session, request: Request, response: Response) -> Fields:
        """Deny the access token that asked, and end its family (the refresh token dies with it)."""
        self.carrier.drop(response)
        claims = session.claims if isinstance(session, TokenSession) else {}
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self.deny_key(claims["jti"]), "logout", ex=self.deny_ttl(claims))
        pipe.delete(self.family_key(claims["sid"]))
        self._call(pipe.execute)
        return {"revoked": claims["jti"]}

    def end_everywhere(self, app: Flask, session: Session, request: Request, response: Response) -> Fields:
        """Bump the user's token version: every token issued before now is refused, on every device."""
        self.carrier.drop(response)
        version = self._call(self.redis.incr, self.version_key(session.user))
        return {"token_version": int(version)}

    def denylist(self) -> list[str]:
        """The token ids on the denylist now (expired entries have already gone)."""
        return [key.removeprefix("deny:") for key in self.store.keys("deny:*")]

    # --- issuing ------------------------------------------------------------------------

    def extra_claims(self, session: Session) -> dict[str, Any]:
        """The token version: the one the session's token already carries, or (a new login) one round trip."""
        known = session.claims.get("ver") if isinstance(session, TokenSession) else None
        if known is None:
            known = int(self._call(self.redis.get, self.version_key(session.user)) or 0)
        return {"ver": known}

    def remember_pair(self, session: Session, access_jti: str, refresh_jti: str) -> None:
        """One round trip: the family record now names this pair (rotation).

        Only a login starts a family; a later pair (a refresh, a cart update) is written only while
        the family still exists (``XX``), so a family revoked by a concurrent request stays revoked.
        """
        record = json.dumps({"user": session.user, "access": access_jti, "refresh": refresh_jti})
        renewing = isinstance(session, TokenSession)
        if not self._call(self.redis.set, self.family_key(str(session.id)), record, ex=self.refresh_lifetime,
                          xx=renewing):
            raise TokenRejected("session ended: this login was logged out or its refresh token was replayed "
                                "while this request ran", code="session-ended", claim="sid")

    def _call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One round trip to the store; a store that cannot be reached fails closed (503)."""
        self.store_round_trips += 1
        with fail_closed(UNAVAILABLE):
            return method(*args, **kwargs)


__all__ = ["RevocableJWTSessions"]
