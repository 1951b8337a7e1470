"""Small Flask apps the real-process tests run under gunicorn (``tests/test_real.py``).

``memory_app`` keeps a counter in process memory, like an in-memory session; ``redis_app``
keeps it in the Redis at ``REDIS_URL``, like a session store. Both answer with their server
name and pid, set the ``route`` cookie nginx's sticky routing reads, and echo request bodies.
"""
from __future__ import annotations

import hashlib
import itertools
import os
import time

import redis
from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from labsupport.real import RouteCookie


def _base(server: str) -> Flask:
    app = Flask(f"demo-{server}")

    @app.post("/echo")
    def echo() -> ResponseReturnValue:
        body = request.get_data()
        return jsonify(server=server, length=len(body), sha256=hashlib.sha256(body).hexdigest())

    @app.get("/redis-url")
    def redis_url() -> ResponseReturnValue:
        return jsonify(server=server, redis_url=os.environ.get("REDIS_URL"))

    return app


def memory_app(server: str) -> RouteCookie:
    """Counts requests in this process's memory: a new process starts again from 1."""
    app = _base(server)
    counter = itertools.count(1)

    @app.get("/")
    def count() -> ResponseReturnValue:
        return jsonify(server=server, pid=os.getpid(), count=next(counter))

    return RouteCookie(app, server)


def redis_app(server: str) -> RouteCookie:
    """Counts requests in the Redis at REDIS_URL: every server and every new process shares the count."""
    app = _base(server)
    store = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=1, socket_connect_timeout=1)

    @app.get("/")
    def count() -> ResponseReturnValue:
        return jsonify(server=server, pid=os.getpid(), count=store.incr("demo:count"))

    return RouteCookie(app, server)


def slow_app(server: str, seconds: float = 60.0) -> RouteCookie:
    """Takes ``seconds`` to build, so a short readiness timeout runs out."""
    time.sleep(seconds)
    return memory_app(server)


def broken_app(server: str) -> RouteCookie:
    """Fails to build: gunicorn's worker cannot boot."""
    raise RuntimeError(f"demo app for {server} refuses to start")
