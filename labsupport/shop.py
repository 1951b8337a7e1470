"""The shop: a small real Flask app with login, profile, cart and logout (lesson 00).

Every simulated server runs its own instance, built around that server's own session
strategy. Where the session lives is the strategy's business; the shop only asks it to
``load``, ``save`` and ``end``, passing the app, the request and the response. Every error is
JSON with a reason and a 4xx status (503 while the session store is down); the
``X-Served-By`` header names the server that answered. ``POST /logout-everywhere`` ends every
session of the user, where the strategy can (lesson 06); ``POST /refresh`` trades a refresh
token for new tokens, where the strategy has them (lesson 05).
"""
from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from types import MappingProxyType

from flask import Flask, Request, Response, jsonify, request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.exceptions import HTTPException

from .accounts import Accounts
from .errors import SessionRejected, TokenRejected
from .sessions import Fields, Session, SessionStrategy

MAX_ITEM_LENGTH = 64
"""Longest cart item name, in characters."""

MAX_BODY_BYTES = 64 * 1024
"""Largest request body the shop reads (64 KiB); a bigger one is refused with 413 before it is parsed."""

DEMO_USERS = 1000
"""How many simulated users' accounts a shop has when it is given none (``user000`` ... ``user999``)."""


PHRASES = MappingProxyType({400: "bad request", 401: "unauthorized", 404: "not found", 405: "method not allowed",
                           413: "payload too large", 503: "service unavailable"})
"""The ``error`` word of the shop's JSON errors, by status (fixed here: Python renames some phrases)."""


def _standard_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return "error"


def error(status: int, reason: str, *, detail: str | None = None) -> tuple[Response, int]:
    """A JSON error body: ``{"error": <status phrase>, "reason": <why>}``, plus ``detail`` when there is one."""
    phrase = PHRASES.get(status) or _standard_phrase(status)
    body: dict[str, str] = {"error": phrase, "reason": reason}
    if detail:
        body["detail"] = detail
    return jsonify(body), status


class BadRequest(Exception):
    """A request the shop cannot use: answered with 400 and ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def json_field(body: object, name: str) -> str:
    """A required, non-empty string field of a JSON object body (400 otherwise)."""
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    value = body.get(name)
    if value is None:
        raise BadRequest(f"missing field {name!r}")
    if not isinstance(value, str) or not value:
        raise BadRequest(f"field {name!r} must be a non-empty string")
    try:
        value.encode()
    except UnicodeEncodeError:  # JSON can carry a lone surrogate ("\ud800"); UTF-8 cannot
        raise BadRequest(f"field {name!r} must be valid Unicode text") from None
    return value


def cart_item(body: object) -> str:
    """The ``item`` field of a cart update: a non-empty string of at most ``MAX_ITEM_LENGTH`` characters (400)."""
    item = json_field(body, "item")
    if len(item) > MAX_ITEM_LENGTH:
        raise BadRequest(f"field 'item' must be at most {MAX_ITEM_LENGTH} characters")
    return item


def answer_errors_in_json(app: Flask) -> None:
    """Cap request bodies at ``MAX_BODY_BYTES`` and answer every refusal Flask or the app raises in JSON:
    a ``BadRequest`` as 400 with its reason, any HTTP error (404, 405, 413, ...) with its status."""
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @app.errorhandler(BadRequest)
    def bad_request(e: BadRequest) -> tuple[Response, int]:
        return error(400, e.reason)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> tuple[Response, int]:
        status = e.code or 500
        reason = TOO_LARGE if status == 413 else (e.description or e.name)
        response, status = error(status, reason)
        response.headers.extend((k, v) for k, v in e.get_headers() if k.lower() != "content-type")  # 405's Allow
        return response, status


def json_body(request: Request) -> object:
    """The request's JSON body, or ``None`` when it is not JSON (then ``json_field`` says 400)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser can go; `silent` catches only ValueError
        return None


class NoCookieSession(SessionInterface):
    """Flask's implicit session switched off: the strategy alone decides where sessions live."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None


def create_shop(strategy: SessionStrategy, *, accounts: Accounts | None = None,
                session_lifetime: timedelta = timedelta(minutes=30)) -> Flask:
    """Build one server's shop app around ``strategy``, that server's own strategy instance.

    The server's name and secret key come from the context the strategy was built with;
    ``accounts`` is the user directory; the app keeps its own copy (default: ``DEMO_USERS``
    simulated users, alice and bob).
    """
    server_name = strategy.server.name
    app = Flask("labsupport.shop")
    app.config.update(
        SECRET_KEY=strategy.server.secret_key,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=session_lifetime,
    )
    answer_errors_in_json(app)
    app.session_interface = NoCookieSession()
    accounts = accounts.copy() if accounts is not None else Accounts.for_users(DEMO_USERS)

    def answer(body: dict[str, object], added: Fields | None, response: Response) -> Response:
        response.set_data(app.json.dumps({**body, **(added or {}), "server": server_name}))
        return response

    def new_response() -> Response:
        return app.response_class(mimetype="application/json")

    def current_session() -> Session:
        session = strategy.load(app, request)
        if session is None:
            raise SessionRejected("not logged in: the request carries no session")
        return session

    @app.get("/")
    def hello() -> Response:
        return jsonify(message="hello from the shop", server=server_name)

    @app.post("/login")
    def login() -> Response:
        body = json_body(request)
        user = json_field(body, "user")
        password = json_field(body, "password")
        if not accounts.check_password(user, password):
            raise SessionRejected("unknown user or wrong password")
        response = new_response()
        session = Session(user=user, roles=accounts.roles_of(user))
        return answer({"user": user}, strategy.save(app, session, request, response), response)

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
        session.cart.append(cart_item(json_body(request)))
        response = new_response()
        return answer({"user": session.user, "cart": session.cart},
                      strategy.save(app, session, request, response), response)

    @app.post("/logout")
    def logout() -> Response:
        session = current_session()
        response = new_response()
        return answer({"logged_out": session.user}, strategy.end(app, session, request, response), response)

    @app.post("/refresh")
    def refresh() -> Response:
        session = strategy.resume(app, request)
        session.roles = accounts.roles_of(session.user)  # read afresh: a refresh picks up a changed role
        response = new_response()
        return answer({"user": session.user}, strategy.save(app, session, request, response), response)

    @app.post("/logout-everywhere")
    def logout_everywhere() -> Response:
        session = current_session()
        response = new_response()
        return answer({"logged_out_everywhere": session.user},
                      strategy.end_everywhere(app, session, request, response), response)

    @app.errorhandler(SessionRejected)
    def rejected(e: SessionRejected) -> tuple[Response, int]:
        return error(e.status, e.reason, detail=e.detail if isinstance(e, TokenRejected) else None)

    @app.after_request
    def name_the_server(response: Response) -> Response:
        response.headers["X-Served-By"] = server_name
        return response

    return app


TOO_LARGE = f"request body too large: the shop reads at most {MAX_BODY_BYTES // 1024} KiB"

__all__ = ["DEMO_USERS", "MAX_BODY_BYTES", "MAX_ITEM_LENGTH", "BadRequest", "NoCookieSession", "answer_errors_in_json",
           "cart_item", "create_shop", "error", "json_body", "json_field"]
