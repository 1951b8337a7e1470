"""Flask's own signed-cookie session: the client carries the whole session (lesson 02, 03).

Flask signs the cookie with the app's secret key (itsdangerous, HMAC). Every server that
shares the key can read it; none has to remember anything.
"""
from __future__ import annotations

from typing import ClassVar

from flask import Request, Response, current_app
from flask import session as flask_session

from ..errors import SessionRejected
from .base import Session, SessionStrategy


class SignedCookieSessions(SessionStrategy):
    """The session lives in Flask's signed ``session`` cookie; the server keeps nothing."""

    name: ClassVar[str] = "signed-cookie"
    uses_flask_session: ClassVar[bool] = True

    def load(self, request: Request) -> Session | None:
        if "user" in flask_session:
            return Session(user=str(flask_session["user"]), cart=list(flask_session.get("cart", [])))
        if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
            # Flask silently opens an empty session when the signature or age check fails.
            raise SessionRejected("session cookie rejected: bad signature or expired")
        return None

    def save(self, session: Session, response: Response) -> None:
        flask_session.permanent = True
        flask_session["user"] = session.user
        flask_session["cart"] = list(session.cart)

    def end(self, session: Session, response: Response) -> None:
        flask_session.clear()
