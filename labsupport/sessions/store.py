"""Sessions in an external store (Redis), shared by every server: the article's approach b (lesson 06).

The client holds only an unguessable session id in a cookie; the session itself is JSON in
Redis under ``<prefix>:session:<id>``, written with ``SET ... EX ttl``. Any server can answer
any request, because every server asks the same store. What this module adds beyond the
article's ``getSessionData``/``setSessionData``:

- sliding expiry: every use renews the key's time to live (``GETEX ... EX ttl``), so an idle
  session dies ``ttl`` seconds after its *last* use, an active one lives on;
- the id is rotated at login (a new id every time; an id the browser already carried is
  deleted), so an id an attacker planted before the login is worthless after it (fixation);
- logout deletes the key: revocation is instant, on every server at once;
- a per-user index (a Redis set ``<prefix>:user:<name>`` of that user's ids) makes
  "log out everywhere" one lookup and one delete;
- a store that cannot be reached fails closed: ``StoreUnavailable``, which the shop answers
  with 503 "session store unavailable" at once (the client is built to fail fast). Nothing
  is written half-way, so when the store is back every session is still there.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import partial
from typing import ClassVar

from flask import Flask, Request, Response

from ..errors import SessionRejected
from ..ids import SESSION_ID_PREFIX
from ..store import as_text, fail_closed
from .base import Fields, ServerContext, Session, SessionStrategy
from .memory import SESSION_COOKIE

DEFAULT_TTL = 30 * 60
"""Idle timeout in seconds: a session unused this long is gone (renewed on every use)."""

MAX_ID_DRAWS = 8
"""A login draws a new id until one is unused; with 128-bit ids the first always is."""

SESSION_ID_SHAPE = re.compile(r"sid_[A-Za-z0-9_-]{1,64}")
"""What a session id can look like; anything else is refused without asking the store."""


class StoreSessions(SessionStrategy):
    """Each server keeps nothing; the session lives in the shared store under its id.

    ``ttl`` is the idle timeout in seconds; ``secure`` adds the cookie's Secure flag (off by
    default: the simulator and lesson 08 speak plain http on localhost); ``new_id`` makes
    session ids (default: the server's id source; lesson 06 swaps in a deliberately short one
    to show why length matters).
    """

    name: ClassVar[str] = "store"
    needs_store: ClassVar[bool] = True

    def __init__(self, server: ServerContext, *, ttl: int = DEFAULT_TTL, secure: bool = False,
                 new_id: Callable[[], str] | None = None) -> None:
        super().__init__(server)
        if server.store is None:  # checked by SessionStrategy too; this tells the type checker
            raise TypeError("StoreSessions needs a store")
        if ttl < 1:
            raise ValueError("ttl must be at least 1 second")
        self.store = server.store
        self.redis = self.store.connect()
        """This server's own client of the shared store."""
        self.ttl = ttl
        self.secure = secure
        self.new_id = new_id if new_id is not None else partial(server.ids, SESSION_ID_PREFIX)

    def session_key(self, sid: str) -> str:
        """Where the session with id ``sid`` lives: ``<prefix>:session:<sid>``."""
        return self.store.key("session", sid)

    def user_key(self, user: str) -> str:
        """The set of ``user``'s session ids: ``<prefix>:user:<user>``."""
        return self.store.key("user", user)

    # shown in lesson 06
    def load(self, app: Flask, request: Request) -> Session | None:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid is None:
            return None
        if not SESSION_ID_SHAPE.fullmatch(sid):
            raise SessionRejected("session id malformed: not one this shop issues")
        with fail_closed():
            raw = self.redis.getex(self.session_key(sid), ex=self.ttl)  # read and renew: sliding expiry
        if raw is None:
            raise SessionRejected("session not found: it expired, was logged out, or never existed")
        return self._decode(as_text(raw), sid)

    # shown in lesson 06
    def save(self, app: Flask, session: Session, request: Request, response: Response) -> None:
        data = json.dumps(session.data(), separators=(",", ":"))
        if session.id is not None:
            with fail_closed():
                # xx: only if it still exists, so a write never resurrects a session logged out meanwhile
                written = self.redis.set(self.session_key(session.id), data, ex=self.ttl, xx=True)
            if not written:
                raise SessionRejected("session not found: it ended while this request was running")
            return
        presented = request.cookies.get(SESSION_COOKIE)
        with fail_closed():
            sid = self._claim_new_id(presented, data)
            with self.redis.pipeline(transaction=True) as pipe:
                pipe.sadd(self.user_key(session.user), sid)
                if presented and presented != sid and SESSION_ID_SHAPE.fullmatch(presented):
                    pipe.delete(self.session_key(presented))  # the browser's old id dies here
                pipe.execute()
            self._prune_index(session.user)
        session.id = sid
        response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Lax", secure=self.secure)

    def _claim_new_id(self, presented: str | None, data: str) -> str:
        """Store a new login's data under a fresh id; ``nx`` so an id already in use is never overwritten."""
        for _ in range(MAX_ID_DRAWS):
            sid = self.session_id_for_login(presented)
            if self.redis.set(self.session_key(sid), data, ex=self.ttl, nx=True):
                return sid
        raise SessionRejected(f"could not draw an unused session id in {MAX_ID_DRAWS} tries", status=503)

    def session_id_for_login(self, presented: str | None) -> str:
        """The id a new login gets: always a fresh one, whatever id the browser ``presented``."""
        return self.new_id()

    def end(self, app: Flask, session: Session, request: Request, response: Response) -> None:
        if session.id is not None:
            with fail_closed():
                with self.redis.pipeline(transaction=True) as pipe:
                    pipe.delete(self.session_key(session.id))
                    pipe.srem(self.user_key(session.user), session.id)
                    pipe.execute()
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="Lax", secure=self.secure)

    # shown in lesson 06
    def end_everywhere(self, app: Flask, session: Session, request: Request, response: Response) -> Fields:
        """Delete every session in ``session.user``'s index (this one included)."""
        index = self.user_key(session.user)
        ended = 0
        with fail_closed():
            sids = sorted({as_text(s) for s in self.redis.smembers(index)} | ({session.id} if session.id else set()))
            if sids:
                with self.redis.pipeline(transaction=True) as pipe:
                    pipe.delete(*map(self.session_key, sids))
                    pipe.srem(index, *sids)
                    ended, _ = pipe.execute()
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="Lax", secure=self.secure)
        return {"sessions_ended": ended}

    def sessions_of(self, user: str) -> list[str]:
        """The ids of ``user``'s live sessions, sorted (asks the store)."""
        with fail_closed():
            sids = sorted(as_text(s) for s in self.redis.smembers(self.user_key(user)))
            return [sid for sid, alive in zip(sids, self._alive(sids)) if alive]

    def _alive(self, sids: list[str]) -> list[bool]:
        """For each id, whether its session key still exists (one round trip)."""
        if not sids:
            return []
        with self.redis.pipeline(transaction=False) as pipe:
            for sid in sids:
                pipe.exists(self.session_key(sid))
            return [bool(n) for n in pipe.execute()]

    def _prune_index(self, user: str) -> None:
        """Drop ids of sessions that expired from ``user``'s index (run at login, so it stays small).

        The index has no time to live of its own: sliding expiry can keep a session alive for
        longer than any fixed TTL, and log out everywhere must still find it.
        """
        index = self.user_key(user)
        sids = sorted(as_text(s) for s in self.redis.smembers(index))
        dead = [sid for sid, alive in zip(sids, self._alive(sids)) if not alive]
        if dead:
            self.redis.srem(index, *dead)

    @staticmethod
    def _decode(raw: str, sid: str) -> Session:
        try:
            data = json.loads(raw)
            user, cart = data["user"], data["cart"]
            if not isinstance(user, str) or not isinstance(cart, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise SessionRejected("session data unreadable: refusing it") from None
        return Session(user=user, cart=[str(item) for item in cart], id=sid)

    def __repr__(self) -> str:
        return f"StoreSessions(ttl={self.ttl}, secure={self.secure})"
