"""Flask's own signed-cookie session: the client carries the whole session (lessons 01, 02, 03).

Flask signs the cookie with the app's secret key (itsdangerous, HMAC). Every server that
shares the key can read it; none has to remember anything. This strategy drives Flask's own
``SecureCookieSessionInterface`` explicitly, with the server's ``app``, instead of through
Flask's request globals.
"""
from __future__ import annotations

from typing import ClassVar

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from ..errors import SessionRejected
from .base import ServerContext, Session, SessionStrategy


class SignedCookieSessions(SessionStrategy):
    """The session lives in Flask's signed ``session`` cookie; the server keeps nothing."""

    name: ClassVar[str] = "signed-cookie"

    def __init__(self, server: ServerContext) -> None:
        super().__init__(server)
        self.cookie = SecureCookieSessionInterface()
        """Flask's signed-cookie machinery: ``cookie.get_signing_serializer(app)`` reads a cookie by hand."""

    def load(self, app: Flask, request: Request) -> Session | None:
        data = self.cookie.open_session(app, request)
        if data is not None and "user" in data:
            return Session(user=str(data["user"]), cart=[str(item) for item in data.get("cart", [])])
        if self.cookie.get_cookie_name(app) in request.cookies:
            # Flask opens an empty session when the signature or the age check fails.
            raise SessionRejected("session cookie rejected: bad signature or expired")
        return None

    def save(self, app: Flask, session: Session, request: Request, response: Response) -> None:
        data = SecureCookieSession({"user": session.user, "cart": list(session.cart)})
        data.permanent = True
        self.cookie.save_session(app, data, response)

    def end(self, app: Flask, session: Session, request: Request, response: Response) -> None:
        emptied = SecureCookieSession()
        emptied.modified = True  # an emptied, modified session makes Flask delete the cookie
        self.cookie.save_session(app, emptied, response)
