"""Sessions kept in one server's process memory: the stateful way (lesson 02)."""
from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import ClassVar

from flask import Flask, Request, Response

from ..errors import SessionRejected
from ..ids import SESSION_ID_PREFIX
from .base import ServerContext, Session, SessionStrategy, size_in_bytes

SESSION_COOKIE = "sid"

SessionData = dict[str, str | list[str]]
"""One session as a server keeps it: ``{"user": ..., "cart": [...]}``."""


class InMemorySessions(SessionStrategy):
    """Each server keeps a dict ``session id -> session data``; the client holds only the id.

    Fine on one server. Behind a load balancer, a request that lands on another server
    finds no entry for its id, and a restarted server has forgotten everyone.
    """

    name: ClassVar[str] = "memory"
    stateful: ClassVar[bool] = True

    def __init__(self, server: ServerContext) -> None:
        super().__init__(server)
        self.sessions: dict[str, SessionData] = {}

    # shown in lesson 02
    def load(self, app: Flask, request: Request) -> Session | None:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid is None:
            return None
        data = self.sessions.get(sid)
        if data is None:
            raise SessionRejected("session not found: this server holds no session with that id")
        return Session(user=str(data["user"]), cart=list(data["cart"]), id=sid)

    # shown in lesson 02
    def save(self, app: Flask, session: Session, request: Request, response: Response) -> None:
        if session.id is None:  # a login: a fresh id, and the one the browser had dies
            self.forget(request.cookies.get(SESSION_COOKIE))
            session.id = self.server.ids(SESSION_ID_PREFIX)
        self.keep(session.id, {"user": session.user, "cart": list(session.cart)})
        response.set_cookie(SESSION_COOKIE, session.id, httponly=True, samesite="Lax")

    def end(self, app: Flask, session: Session, request: Request, response: Response) -> None:
        self.forget(session.id)
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="Lax")

    def keep(self, sid: str, data: SessionData) -> None:
        """Store one session under ``sid`` in this server's memory."""
        self.sessions[sid] = data

    def forget(self, sid: str | None) -> None:
        """Drop the session ``sid`` from this server's memory, if it is there."""
        if sid is not None:
            self.sessions.pop(sid, None)

    def sessions_held(self) -> int:
        return len(self.sessions)

    def bytes_held(self) -> int:
        return sum(len(sid) + size_in_bytes(data) for sid, data in self.sessions.items())


class ReplicatedMemorySessions(InMemorySessions):
    """In-memory sessions copied to every other live server on each write (lesson 02).

    Any server can now answer any user, at the price of one replication message per peer
    for every session write, and every server holding every session. A server that joins
    first copies the whole table from a peer (a state transfer).
    """

    name: ClassVar[str] = "replicated"

    def __init__(self, server: ServerContext) -> None:
        super().__init__(server)
        self.peers: list[ReplicatedMemorySessions] = []
        self.replication_writes = 0
        self.transfers_received = 0

    def connect(self, peers: Sequence[SessionStrategy]) -> None:
        self.peers = [p for p in peers if isinstance(p, ReplicatedMemorySessions)]
        if not self.sessions:
            donor = next((p for p in self.peers if p.sessions), None)
            if donor is not None:
                self.sessions = copy.deepcopy(donor.sessions)
                self.transfers_received += 1

    def keep(self, sid: str, data: SessionData) -> None:
        super().keep(sid, data)
        self._send(sid, data)

    def forget(self, sid: str | None) -> None:
        if sid is not None and sid in self.sessions:
            super().forget(sid)
            self._send(sid, None)

    def _send(self, sid: str, data: SessionData | None) -> None:
        for peer in self.peers:
            peer.receive(sid, copy.deepcopy(data))
            self.replication_writes += 1

    def receive(self, sid: str, data: SessionData | None) -> None:
        """Apply one replication message from a peer (``None`` deletes the session)."""
        if data is None:
            self.sessions.pop(sid, None)
        else:
            self.sessions[sid] = data
