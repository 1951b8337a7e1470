"""Sessions kept in one server's process memory: the stateful way (lesson 02)."""
from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from typing import ClassVar

from flask import Request, Response

from ..errors import SessionRejected
from .base import Session, SessionStrategy, size_in_bytes

SESSION_COOKIE = "sid"


def new_session_id() -> str:
    """An unguessable session id: 128 random bits from ``secrets``, with a readable prefix."""
    return "sid_" + secrets.token_urlsafe(16)


class InMemorySessions(SessionStrategy):
    """Each server keeps a dict ``session id -> session data``; the client holds only the id.

    Fine on one server. Behind a load balancer, a request that lands on another server
    finds no entry for its id, and a restarted server has forgotten everyone.
    """

    name: ClassVar[str] = "memory"
    stateful: ClassVar[bool] = True

    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, object]] = {}

    def load(self, request: Request) -> Session | None:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid is None:
            return None
        data = self.sessions.get(sid)
        if data is None:
            raise SessionRejected("session not found: this server holds no session with that id")
        return Session(user=str(data["user"]), cart=list(data["cart"]), id=sid)  # type: ignore[arg-type]

    def save(self, session: Session, response: Response) -> None:
        if session.id is None:
            session.id = new_session_id()
        self.sessions[session.id] = session.data()
        response.set_cookie(SESSION_COOKIE, session.id, httponly=True, samesite="Lax")

    def end(self, session: Session, response: Response) -> None:
        if session.id is not None:
            self.sessions.pop(session.id, None)
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="Lax")

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

    def __init__(self) -> None:
        super().__init__()
        self.peers: list[ReplicatedMemorySessions] = []
        self.replication_writes = 0
        self.transfers_received = 0

    def connect(self, peers: Sequence[SessionStrategy]) -> None:
        self.peers = [p for p in peers if isinstance(p, ReplicatedMemorySessions)]
        if not self.sessions:
            donor = next((p for p in self.peers if p.sessions), None)
            if donor is not None:
                self.sessions = json.loads(json.dumps(donor.sessions))
                self.transfers_received += 1

    def save(self, session: Session, response: Response) -> None:
        super().save(session, response)
        self._send(session.id, json.dumps(session.data()))  # type: ignore[arg-type]

    def end(self, session: Session, response: Response) -> None:
        super().end(session, response)
        if session.id is not None:
            self._send(session.id, None)

    def _send(self, sid: str, payload: str | None) -> None:
        for peer in self.peers:
            peer.receive(sid, payload)
            self.replication_writes += 1

    def receive(self, sid: str, payload: str | None) -> None:
        """Apply one replication message from a peer (``None`` deletes the session)."""
        if payload is None:
            self.sessions.pop(sid, None)
        else:
            self.sessions[sid] = json.loads(payload)
