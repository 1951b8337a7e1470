"""The one small interface every session strategy implements (lesson 02).

A strategy decides where a logged-in user's session lives between requests: in this
server's memory, in a signed cookie the client carries, in a token, or in a shared store.
The shop calls only these methods, so strategies plug in without touching it.

It is built like Flask's own ``SessionInterface``: everything a method needs is passed in
(the server's Flask ``app``, the ``request``, the ``response``), and what a strategy knows
about its server (its name, its keys, where its ids come from, the shared store) it is given
once, when it is built, as a ``ServerContext``. Nothing here reads Flask's request globals.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from flask import Flask, Request, Response

from ..errors import LabError, SessionRejected
from ..ids import IdSource, SecretIds

if TYPE_CHECKING:
    from ..store import SessionStore
    from ..tokens import TokenKeys

Fields = Mapping[str, object]
"""Fields a strategy adds to the JSON body of an answer (a token, a count)."""

DEMO_SECRET_KEY = "course-demo-secret-key-not-for-production-0001"
"""The secret every server of a simulated cluster shares (32+ bytes, public: demo only)."""


@dataclass
class Session:
    """What the shop knows about a logged-in user.

    ``id`` is the server-side handle (a session id) for strategies that keep one, and
    ``None`` until the strategy first saves the session. ``roles`` are what the accounts said
    at login; only token strategies carry them between requests (lesson 03).
    """

    user: str
    cart: list[str] = field(default_factory=list)
    id: str | None = None
    roles: list[str] = field(default_factory=list)

    def data(self) -> dict[str, object]:
        """The session's content as plain JSON-ready data."""
        return {"user": self.user, "cart": list(self.cart)}


def size_in_bytes(data: Mapping[str, object]) -> int:
    """Bytes of ``data`` serialised as compact JSON: how much a store or cookie must hold."""
    return len(json.dumps(data, separators=(",", ":")).encode())


@dataclass(frozen=True)
class ServerContext:
    """What a strategy knows about the server it runs on, given when it is built.

    ``ids`` makes session and token ids: ``secrets`` by default, a seeded stream inside a lab.
    ``token_keys`` sign and verify JWTs (``None``: the course's HS256 demo secret). ``store``
    is the shared session store, for the strategies that need one.
    """

    name: str
    secret_key: str = DEMO_SECRET_KEY
    ids: IdSource = field(default_factory=SecretIds)
    token_keys: TokenKeys | None = None
    store: SessionStore | None = None


class SessionStrategy(ABC):
    """Where one server keeps (or does not keep) a user's session between requests.

    Two required methods, ``load`` and ``save``; the rest are hooks with sensible defaults.
    Each server builds its own instance, so nothing mutable is shared by accident.
    """

    name: ClassVar[str]
    stateful: ClassVar[bool] = False
    """True when the server itself must remember the session (it dies with the server)."""
    needs_store: ClassVar[bool] = False
    """True when the strategy keeps something in the shared ``SessionStore``."""

    def __init__(self, server: ServerContext) -> None:
        if self.needs_store and server.store is None:
            raise LabError(f"the {self.name!r} session strategy needs a session store: "
                           "build its server with store=SessionStore(...)")
        self.server = server

    @classmethod
    def configured(cls, **options: Any) -> StrategySpec:
        """This strategy with options, e.g. ``JWTSessions.configured(access_lifetime=60)``, for ``Lab(strategy=...)``."""
        return StrategySpec(cls, MappingProxyType(options))

    @abstractmethod
    def load(self, app: Flask, request: Request) -> Session | None:
        """The request's session; ``None`` if it carries none.

        Raises ``SessionRejected`` when it carries a credential that cannot be used.
        """

    @abstractmethod
    def save(self, app: Flask, session: Session, request: Request, response: Response) -> Fields | None:
        """Keep ``session`` and tell the client what to send next time.

        A strategy tells the client through ``response`` (a cookie) or by returning fields
        for the JSON body (a token). A session whose ``id`` is ``None`` is new (a login): the
        strategy starts it afresh, and any session id the request presented dies.
        """

    def end(self, app: Flask, session: Session, request: Request, response: Response) -> Fields | None:
        """Log the session out; may return fields for the JSON body. The default does nothing."""
        return None

    def end_everywhere(self, app: Flask, session: Session, request: Request, response: Response) -> Fields | None:
        """Log out every session of ``session.user``, on every device (``POST /logout-everywhere``).

        Only a strategy that can find all of a user's sessions can do this (a shared store
        with a per-user index, lesson 06; a token version, lesson 05). The default refuses
        with 400: the strategy cannot.
        """
        raise SessionRejected(f"the {self.name!r} session strategy cannot log a user out everywhere", status=400)

    def resume(self, app: Flask, request: Request) -> Session:
        """The session a refresh token in ``request`` stands for (``POST /refresh``, lesson 05).

        The shop then reads the user's roles afresh and ``save``s it, which hands out new
        tokens. The default refuses with 400: the strategy has no refresh tokens.
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


@dataclass(frozen=True)
class StrategySpec:
    """A session strategy and its options: what a cluster builds one instance of per server."""

    strategy: type[SessionStrategy]
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def name(self) -> str:
        """The strategy's name, e.g. ``"memory"``."""
        return self.strategy.name

    @property
    def needs_store(self) -> bool:
        """True when the strategy keeps something in the shared session store."""
        return self.strategy.needs_store

    def build(self, server: ServerContext) -> SessionStrategy:
        """One server's own instance of the strategy."""
        return self.strategy(server, **self.options)

    def __repr__(self) -> str:
        options = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"StrategySpec({self.name!r}{options})"


__all__ = ["DEMO_SECRET_KEY", "Fields", "ServerContext", "Session", "SessionStrategy", "StrategySpec",
           "size_in_bytes"]
