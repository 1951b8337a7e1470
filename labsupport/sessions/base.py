"""The one small interface every session strategy implements (lesson 02).

A strategy decides where a logged-in user's session lives between requests: in this
server's memory, in a signed cookie the client carries, in a token, or in a shared store.
The shop app calls only these methods, so strategies plug in without touching it.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from flask import Request, Response

from ..errors import SessionRejected


@dataclass
class Session:
    """What the shop knows about a logged-in user.

    ``id`` is the server-side handle (a session id) for strategies that keep one, and
    ``None`` until the strategy first saves the session.
    """

    user: str
    cart: list[str] = field(default_factory=list)
    id: str | None = None

    def data(self) -> dict[str, object]:
        """The session's content as plain JSON-ready data."""
        return {"user": self.user, "cart": list(self.cart)}


def size_in_bytes(data: dict[str, object]) -> int:
    """Bytes of ``data`` serialised as compact JSON: how much a store or cookie must hold."""
    return len(json.dumps(data, separators=(",", ":")).encode())


class SessionStrategy(ABC):
    """Where one server keeps (or does not keep) a user's session between requests.

    Two required methods, ``load`` and ``save``; the rest are hooks with sensible defaults.
    Each simulated server gets its own instance, so nothing mutable is shared by accident.
    """

    name: ClassVar[str]
    stateful: ClassVar[bool] = False
    """True when the server itself must remember the session (it dies with the server)."""
    needs_store: ClassVar[bool] = False
    """True when the strategy is built with the lab's ``SessionStore`` (``cls(store=...)``)."""
    uses_flask_session: ClassVar[bool] = False
    """True when the strategy keeps the session in Flask's own signed ``session`` cookie."""

    @abstractmethod
    def load(self, request: Request) -> Session | None:
        """The request's session; ``None`` if it carries none.

        Raises ``SessionRejected`` when it carries a credential that cannot be used.
        """

    @abstractmethod
    def save(self, session: Session, response: Response) -> Mapping[str, str] | None:
        """Keep ``session`` and tell the client what to send next time.

        A strategy tells the client through ``response`` (a cookie) or by returning fields
        for the JSON body (a token). A session whose ``id`` is ``None`` is new (login): the
        strategy starts it afresh.
        """

    def end(self, session: Session, response: Response) -> Mapping[str, str] | None:
        """Log the session out; may return fields for the JSON body. The default does nothing."""
        return None

    def end_everywhere(self, session: Session, response: Response) -> Mapping[str, object] | None:
        """Log out every session of ``session.user``, on every device (``POST /logout-everywhere``).

        Only a strategy that can find all of a user's sessions can do this (a shared store
        with a per-user index, lesson 06; a token denylist, lesson 05); it may return fields
        for the JSON body. The default refuses with 400: the strategy cannot.
        """
        raise SessionRejected(f"the {self.name!r} session strategy cannot log a user out everywhere", status=400)

    def refresh(self, request: Request, response: Response) -> tuple[Session, Mapping[str, str] | None]:
        """Trade the request's refresh token for new tokens (``POST /refresh``, lesson 05).

        Returns the session and the JSON body fields to send. The default refuses: 400.
        """
        raise SessionRejected("this session strategy has no refresh tokens", status=400)

    def connect(self, peers: Sequence[SessionStrategy]) -> None:
        """Told the strategies of the other live servers after every cluster change."""

    def sessions_held(self) -> int:
        """How many sessions this server holds in its own memory."""
        return 0

    def bytes_held(self) -> int:
        """Bytes of session data this server holds in its own memory (JSON-encoded)."""
        return 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(sessions_held={self.sessions_held()})"
