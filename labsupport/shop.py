"""The shop: a small real Flask app with login, profile, cart and logout (lesson 00).

Every simulated server runs its own instance. Where the session lives is the strategy's
business; the shop only asks it to ``load``, ``save`` and ``end``. Every error is JSON with
a reason and a 4xx status; the ``X-Served-By`` header names the server that answered.
``POST /logout-everywhere`` ends every session of the user, where the strategy can (lesson 06);
``POST /refresh`` trades a refresh token for new tokens, where the strategy has them (lesson 05).
"""
from __future__ import annotations

import hmac
from datetime import timedelta

from flask import Flask, Request, Response, jsonify, request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.exceptions import HTTPException

from .errors import SessionRejected
from .sessions import Session, SessionStrategy

DEMO_SECRET_KEY = "course-demo-secret-key-not-for-production-0001"
"""The secret every server of a simulated cluster shares (32+ bytes, public: demo only)."""

MAX_ITEM_LENGTH = 64


def demo_accounts(count: int = 1000) -> dict[str, str]:
    """The shop's accounts: ``user000``... with password ``pass000``..., plus alice and bob."""
    accounts = {f"user{i:03d}": f"pass{i:03d}" for i in range(count)}
    accounts.update(alice="alice-password", bob="bob-password")
    return accounts


def error(status: int, reason: str) -> tuple[Response, int]:
    """A JSON error body: ``{"error": <status phrase>, "reason": <why>}``."""
    phrase = {400: "bad request", 401: "unauthorized", 404: "not found",
              405: "method not allowed", 503: "service unavailable"}.get(status, "error")
    return jsonify(error=phrase, reason=reason), status


def json_field(body: object, name: str) -> str:
    """A required, non-empty string field of a JSON object body (400 otherwise)."""
    if not isinstance(body, dict):
        raise _BadRequest("request body must be a JSON object")
    value = body.get(name)
    if value is None:
        raise _BadRequest(f"missing field {name!r}")
    if not isinstance(value, str) or not value:
        raise _BadRequest(f"field {name!r} must be a non-empty string")
    try:
        value.encode()
    except UnicodeEncodeError:  # JSON can carry a lone surrogate ("\ud800"); UTF-8 cannot
        raise _BadRequest(f"field {name!r} must be valid Unicode text") from None
    return value


def json_body() -> object:
    """The request's JSON body, or ``None`` when it is not JSON (then ``json_field`` says 400)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser can go; `silent` catches only ValueError
        return None


class _BadRequest(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NoCookieSession(SessionInterface):
    """Flask's session switched off: for strategies that keep the session elsewhere."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None


def create_shop(
    *,
    server_name: str,
    strategy: SessionStrategy,
    secret_key: str = DEMO_SECRET_KEY,
    accounts: dict[str, str] | None = None,
    session_lifetime: timedelta = timedelta(minutes=30),
) -> Flask:
    """Build one server's shop app. ``strategy`` must be this server's own instance."""
    app = Flask("labsupport.shop")
    app.config.update(
        SECRET_KEY=secret_key,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=session_lifetime,
        LAB_SERVER_NAME=server_name,
    )
    if not strategy.uses_flask_session:
        app.session_interface = NoCookieSession()
    accounts = demo_accounts() if accounts is None else dict(accounts)

    def reply(body: dict[str, object], *, save: Session | None = None, end: Session | None = None) -> Response:
        """A JSON answer; the strategy saves or ends the session on it and may add body fields (a token)."""
        response = app.response_class(mimetype="application/json")
        added = strategy.save(save, response) if save else strategy.end(end, response) if end else None
        response.set_data(app.json.dumps({**body, **(added or {}), "server": server_name}))
        return response

    def current_session() -> Session:
        session = strategy.load(request)
        if session is None:
            raise SessionRejected("not logged in: the request carries no session")
        return session

    @app.get("/")
    def hello() -> Response:
        return jsonify(message="hello from the shop", server=server_name)

    @app.post("/login")
    def login() -> Response:
        body = json_body()
        user = json_field(body, "user")
        password = json_field(body, "password")
        known = accounts.get(user)
        if known is None or not hmac.compare_digest(known.encode(), password.encode()):
            raise SessionRejected("unknown user or wrong password")
        return reply({"user": user}, save=Session(user=user))

    @app.get("/profile")
    def profile() -> Response:
        session = current_session()
        return jsonify(user=session.user, cart_size=len(session.cart), server=server_name)

    @app.get("/cart")
    def show_cart() -> Response:
        session = current_session()
        return jsonify(user=session.user, cart=session.cart, server=server_name)

    @app.post("/cart")
    def add_to_cart() -> Response:
        session = current_session()
        item = json_field(json_body(), "item")
        if len(item) > MAX_ITEM_LENGTH:
            raise _BadRequest(f"field 'item' must be at most {MAX_ITEM_LENGTH} characters")
        session.cart.append(item)
        return reply({"user": session.user, "cart": session.cart}, save=session)

    @app.post("/logout")
    def logout() -> Response:
        session = current_session()
        return reply({"logged_out": session.user}, end=session)

    @app.post("/refresh")
    def refresh() -> Response:
        response = app.response_class(mimetype="application/json")
        session, added = strategy.refresh(request, response)
        response.set_data(app.json.dumps({"user": session.user, **(added or {}), "server": server_name}))
        return response

    @app.post("/logout-everywhere")
    def logout_everywhere() -> Response:
        session = current_session()
        response = app.response_class(mimetype="application/json")
        added = strategy.end_everywhere(session, response)
        response.set_data(app.json.dumps({"logged_out_everywhere": session.user, **(added or {}),
                                          "server": server_name}))
        return response

    @app.errorhandler(SessionRejected)
    def rejected(e: SessionRejected) -> tuple[Response, int]:
        return error(e.status, e.reason)

    @app.errorhandler(_BadRequest)
    def bad_request(e: _BadRequest) -> tuple[Response, int]:
        return error(400, e.reason)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> tuple[Response, int]:
        response, status = error(e.code or 500, e.description or e.name)
        response.headers.extend((k, v) for k, v in e.get_headers() if k.lower() != "content-type")  # 405's Allow
        return response, status

    @app.after_request
    def name_the_server(response: Response) -> Response:
        response.headers["X-Served-By"] = server_name
        return response

    return app
