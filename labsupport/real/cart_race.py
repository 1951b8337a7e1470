"""Two browser tabs updating one cart at once: the shop with three ways to add an item (lesson 08).

gunicorn runs ``create_app`` like ``labsupport.serve:create_app``: the shop on ``store`` sessions
in the Redis at ``REDIS_URL``, plus ``POST /race/<way>`` (``{"item": ..., "round": n}``):

- ``read-modify-write``: the shop's own ``POST /cart``: load the session, append, save it whole;
- ``watch``: the same, optimistically: ``WATCH`` the key, read, ``MULTI``/``SET``/``EXEC``; when
  another write got in between, ``EXEC`` refuses and the update is tried again on fresh data;
- ``hash-field``: the item's quantity in a Redis hash, ``HINCRBY``: one atomic command.

Between its read and its write each request waits at a barrier (in Redis, so it spans
processes) until every tab of that round has read. Real races interleave by chance, rarely but
surely under load; the barrier makes the worst interleaving happen every round, so the lost
updates can be counted exactly.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import ClassVar

import redis
from flask import Flask, Request, Response, jsonify, request

from ..accounts import Accounts
from ..errors import SessionRejected
from ..ids import SecretIds
from ..sessions import ServerContext
from ..sessions.memory import SESSION_COOKIE
from ..sessions.store import SESSION_ID_SHAPE, StoreSessions
from ..shop import DEMO_USERS, BadRequest, create_shop, json_body, json_field
from ..store import SessionStore, as_text, fail_closed
from .middleware import RouteCookie

RACE_PREFIX = "race"
"""The key prefix of the race app's store (every process of one deployment shares it)."""
WAYS = ("read-modify-write", "watch", "hash-field")
TABS = 2
BARRIER_TIMEOUT = 5.0
"""Seconds a request waits at the barrier for the other tab before it goes on alone."""
MAX_ATTEMPTS = 10
"""How often an optimistic (``watch``) update is tried before it gives up with 409."""


class TabBarrier:
    """A barrier in Redis: ``wait(name)`` returns once ``TABS`` requests have called it with ``name``.

    Returns True when all arrived, False after ``BARRIER_TIMEOUT`` seconds (then it goes on alone).
    """

    POLL: ClassVar[float] = 0.002

    def __init__(self, client: redis.Redis, store: SessionStore) -> None:
        self.client = client
        self.store = store

    def wait(self, name: str) -> bool:
        key = self.store.key("barrier", name)
        with fail_closed():
            with self.client.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, 60)
                pipe.execute()
            deadline = time.monotonic() + BARRIER_TIMEOUT
            while int(self.client.get(key) or 0) < TABS:
                if time.monotonic() > deadline:
                    return False
                time.sleep(self.POLL)
        return True


# shown in lesson 08
def add_by_read_modify_write(strategy: StoreSessions, app: Flask, request: Request, response: Response,
                             item: str, after_read: Callable[[], object]) -> list[str]:
    """The shop's ``POST /cart``: read the whole session, change it in this process, write it whole back."""
    session = strategy.load(app, request)  # GETEX <session key>
    if session is None:
        raise SessionRejected("not logged in: the request carries no session")
    after_read()
    session.cart.append(item)
    strategy.save(app, session, request, response)  # SET <session key> <the whole session> XX
    return session.cart


# shown in lesson 08
def add_with_watch(client: redis.Redis, key: str, item: str, after_read: Callable[[], object]) -> int:
    """Optimistic: WATCH, read, then MULTI/SET/EXEC, which fails if the key changed since; retry on fresh data.

    Returns how many attempts were refused.
    """
    with client.pipeline() as pipe:
        for attempt in range(MAX_ATTEMPTS):
            pipe.watch(key)
            raw = pipe.get(key)
            if raw is None:
                raise SessionRejected("session not found: it expired, was logged out, or never existed")
            if attempt == 0:
                after_read()
            data = json.loads(as_text(raw))
            data["cart"].append(item)
            pipe.multi()
            pipe.set(key, json.dumps(data, separators=(",", ":")), keepttl=True)
            try:
                pipe.execute()
            except redis.WatchError:
                continue  # another write got in between: read again
            return attempt
    raise SessionRejected(f"cart update refused {MAX_ATTEMPTS} times: too much contention", status=409)


# shown in lesson 08
def add_to_hash_field(client: redis.Redis, key: str, item: str, after_read: Callable[[], object], *,
                      ttl: int) -> int:
    """Atomic: Redis itself adds 1 to the item's quantity in a hash; nothing is read first, nothing written whole."""
    after_read()
    with client.pipeline(transaction=True) as pipe:
        pipe.hincrby(key, item, 1)
        pipe.expire(key, ttl)  # the cart lives as long as its session
        quantity, _ = pipe.execute()
    return int(quantity)


def create_app(server: str = "s1") -> Flask:
    """One server's shop (``store`` sessions) with the three ``POST /race/<way>`` endpoints, for gunicorn."""
    store = SessionStore.from_env(prefix=RACE_PREFIX, isolate=False)
    strategy = StoreSessions(ServerContext(name=server, ids=SecretIds(), store=store))
    app = create_shop(strategy, accounts=Accounts.for_users(DEMO_USERS))
    client = store.connect()
    barrier = TabBarrier(client, store)

    def session_id() -> str:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid is None or not SESSION_ID_SHAPE.fullmatch(sid):
            raise SessionRejected("not logged in: the request carries no session")
        return sid

    @app.post("/race/<way>")
    def race(way: str) -> Response:
        if way not in WAYS:
            raise BadRequest(f"unknown way {way!r}; the ways are {', '.join(WAYS)}")
        body = json_body(request)
        item = json_field(body, "item")
        turn = body.get("round") if isinstance(body, dict) else None
        if isinstance(turn, bool) or not isinstance(turn, int):
            raise BadRequest("field 'round' must be a whole number (both tabs of a round send the same)")
        sid = session_id()
        met: list[bool] = []

        def after_read() -> None:
            met.append(barrier.wait(f"{sid}:{way}:{turn}"))

        response = app.response_class(mimetype="application/json")
        answer: dict[str, object] = {"way": way, "server": server}
        if way == "read-modify-write":
            answer["cart"] = add_by_read_modify_write(strategy, app, request, response, item, after_read)
        elif way == "watch":
            with fail_closed():
                answer["refused"] = add_with_watch(client, strategy.session_key(sid), item, after_read)
        else:
            strategy.load(app, request)  # only a logged-in user has a cart
            with fail_closed():
                answer["quantity"] = add_to_hash_field(client, store.key("cart", sid), item, after_read,
                                                       ttl=strategy.ttl)
        answer["barrier_met"] = all(met)
        response.set_data(app.json.dumps(answer))
        return response

    @app.get("/race/hash-field")
    def quantities() -> Response:
        with fail_closed():
            found = client.hgetall(store.key("cart", session_id()))
        return jsonify(quantities={k: int(v) for k, v in found.items()}, server=server)

    app.wsgi_app = RouteCookie(app.wsgi_app, server)  # type: ignore[method-assign]  # Flask's documented way to add WSGI middleware
    return app


__all__ = ["RACE_PREFIX", "TABS", "WAYS", "TabBarrier", "add_by_read_modify_write", "add_to_hash_field",
           "add_with_watch", "create_app"]
