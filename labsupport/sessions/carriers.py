"""How a client carries its tokens: an ``Authorization: Bearer`` header, or cookies (lessons 03, 05).

A carrier is a small object with four jobs: find the access token in a request, find the
refresh token in a ``POST /refresh``, hand a new pair to the client, and drop it at logout.
"""
from __future__ import annotations

from typing import ClassVar

from flask import Request, Response

from ..errors import TokenRejected
from ..tokens import bearer_token
from .base import Fields

ACCESS_COOKIE = "access_token"
REFRESH_COOKIE = "refresh_token"
REFRESH_PATH = "/refresh"
"""The cookie carrier sends the refresh cookie only to this path."""


class BearerCarrier:
    """Tokens in the JSON body at login; the access token back in ``Authorization: Bearer``."""

    name: ClassVar[str] = "bearer"

    def access_token(self, request: Request) -> str | None:
        """The access token the request carries; ``None`` when it carries no Authorization header."""
        return bearer_token(request.headers.get("Authorization"))

    def refresh_token(self, request: Request) -> str:
        """The refresh token of a ``POST /refresh``: ``{"refresh_token": "..."}`` in the JSON body."""
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # nested deeper than the parser goes; `silent` catches only ValueError
            body = None
        token = body.get("refresh_token") if isinstance(body, dict) else None
        if token is None:
            raise TokenRejected('no refresh token: send it in the JSON body {"refresh_token": "..."}', code="no-token")
        if not isinstance(token, str):
            raise TokenRejected("malformed refresh token: expected text", code="malformed")
        return token

    def hand_over(self, access: str, refresh: str, response: Response, *, access_lifetime: int,
                  refresh_lifetime: int) -> Fields:
        """Both tokens go into the JSON body."""
        return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
                "expires_in": access_lifetime}

    def drop(self, response: Response) -> None:
        """Nothing to drop: the client app forgets its tokens itself."""

    def __repr__(self) -> str:
        return "BearerCarrier()"


class CookieCarrier:
    """Tokens in HttpOnly, Secure, SameSite cookies: page scripts cannot read them (lesson 03)."""

    name: ClassVar[str] = "cookie"

    def access_token(self, request: Request) -> str | None:
        """The access token cookie, if the request carries one."""
        return request.cookies.get(ACCESS_COOKIE)

    def refresh_token(self, request: Request) -> str:
        """The refresh token cookie (sent only to ``/refresh``)."""
        token = request.cookies.get(REFRESH_COOKIE)
        if token is None:
            raise TokenRejected("no refresh token: send it in the refresh_token cookie", code="no-token")
        return token

    def hand_over(self, access: str, refresh: str, response: Response, *, access_lifetime: int,
                  refresh_lifetime: int) -> Fields:
        """Two cookies; the body only says how long the access token lives."""
        response.set_cookie(ACCESS_COOKIE, access, max_age=access_lifetime, path="/",
                            secure=True, httponly=True, samesite="Lax")
        response.set_cookie(REFRESH_COOKIE, refresh, max_age=refresh_lifetime, path=REFRESH_PATH,
                            secure=True, httponly=True, samesite="Strict")
        return {"expires_in": access_lifetime}

    def drop(self, response: Response) -> None:
        """Tell the browser to delete both cookies."""
        response.delete_cookie(ACCESS_COOKIE, path="/", secure=True, httponly=True, samesite="Lax")
        response.delete_cookie(REFRESH_COOKIE, path=REFRESH_PATH, secure=True, httponly=True, samesite="Strict")

    def __repr__(self) -> str:
        return "CookieCarrier()"


Carrier = BearerCarrier | CookieCarrier

CARRIERS: dict[str, Carrier] = {BearerCarrier.name: BearerCarrier(), CookieCarrier.name: CookieCarrier()}
"""The carriers by name."""

__all__ = ["ACCESS_COOKIE", "CARRIERS", "REFRESH_COOKIE", "REFRESH_PATH", "BearerCarrier", "Carrier",
           "CookieCarrier"]
