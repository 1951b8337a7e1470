"""The shop as real processes: gunicorn with four workers on a real redis-server (no simulator).

A worker killed with SIGKILL in the middle of a concurrent workload must lose no session (the
master forks a new worker, which finds every session in Redis; requests in flight at the kill are
counted apart), and forty logins spread over four
worker processes must give forty distinct token ids. Skipped where gunicorn or redis-server
is missing; ``python tests/test_real_shop.py`` prints the figures.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from labsupport import real
from labsupport.tokens import peek

WORKERS = 4
USERS = 24

pytestmark = pytest.mark.skipif(not all(real.available()[p] for p in ("gunicorn", "redis-server")),
                                reason=real.install_hint(["gunicorn", "redis-server"]))


def worker_pids(master: int) -> list[int]:
    """The live worker processes a gunicorn master has forked."""
    children = Path(f"/proc/{master}/task/{master}/children")
    pids = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [p for p in pids if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


@contextmanager
def gunicorn_shop(strategy: str, redis_url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The shop under gunicorn, ``WORKERS`` workers on a Unix socket; yields (socket path, master process)."""
    with tempfile.TemporaryDirectory(prefix="shop-") as folder:
        socket_path = f"{folder}/shop.sock"
        command = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind", f"unix:{socket_path}",
                   "--graceful-timeout", "2", "--no-control-socket",
                   f"labsupport.serve:create_app(strategy={strategy!r}, server='s1')"]
        log = open(f"{folder}/gunicorn.log", "wb")
        master = subprocess.Popen(command, env={**os.environ, "REDIS_URL": redis_url}, stdout=log, stderr=log,
                                  start_new_session=True)
        try:
            deadline = time.monotonic() + 30
            while len(worker_pids(master.pid)) < WORKERS or not _answers(socket_path):
                if time.monotonic() > deadline or master.poll() is not None:
                    raise RuntimeError(f"gunicorn did not start: {Path(folder, 'gunicorn.log').read_text()[-2000:]}")
                time.sleep(0.1)
            yield socket_path, master
        finally:
            os.killpg(master.pid, signal.SIGTERM)
            try:
                master.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(master.pid, signal.SIGKILL)
                master.wait()
            log.close()


def _answers(socket_path: str) -> bool:
    try:
        return real.unix_request(socket_path, "/", timeout=1).status == 200
    except OSError:
        return False


def call(socket_path: str, method: str, path: str, *, body: object = None, cookie: str | None = None,
         token: str | None = None) -> tuple[int, dict[str, object], str | None]:
    """One request straight to gunicorn: (status, JSON body, the sid cookie it set, if any)."""
    headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = f"sid={cookie}"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    reply = real.unix_request(socket_path, path, method=method, headers=headers,
                              body=None if body is None else json.dumps(body).encode(), timeout=5)
    return reply.status, json.loads(reply.body or b"{}"), reply.set_cookies().get("sid")


@pytest.fixture
def redis_url() -> Iterator[str]:
    with real.Deployment(redis=True, redis_tcp=True) as deployment:
        assert deployment.redis is not None
        yield deployment.redis.url


def worker_crash_run(socket_path: str, master: subprocess.Popen[bytes], *, rounds: int = 8) -> dict[str, int]:
    """Every user logs in, then all fill their carts at once from several threads; a worker is SIGKILLed
    when half the requests are done. Afterwards each user's cart must hold exactly the items the shop
    said yes to. Requests that were in flight at the kill (no answer) are counted apart."""
    sids = {}
    for i in range(USERS):
        status, _, sid = call(socket_path, "POST", "/login", body={"user": f"user{i:03d}", "password": f"pass{i:03d}"})
        assert status == 200 and sid
        sids[i] = sid
    carts: dict[int, list[str]] = {i: [] for i in sids}
    unknown: dict[int, set[str]] = {i: set() for i in sids}  # sent, never answered: stored or not, who knows
    done = threading.Semaphore(0)
    failures = []

    def shop_for(i: int) -> None:
        for round_no in range(rounds):
            item = f"item{round_no}"
            try:
                status, _, _ = call(socket_path, "POST", "/cart", body={"item": item}, cookie=sids[i])
            except OSError:  # the request the killed worker was serving: no answer at all
                failures.append(i)
                unknown[i].add(item)
            else:
                if status == 200:
                    carts[i].append(item)
                else:
                    failures.append(i)
            done.release()

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(shop_for, i) for i in sids]
        for _ in range(USERS * rounds // 2):
            done.acquire()
        victim = worker_pids(master.pid)[0]
        os.kill(victim, signal.SIGKILL)
        for future in futures:
            future.result()
    deadline = time.monotonic() + 20
    while len(worker_pids(master.pid)) < WORKERS and time.monotonic() < deadline:
        time.sleep(0.1)
    respawned = worker_pids(master.pid)
    kept = 0
    for i, sid in sids.items():
        status, body, _ = call(socket_path, "GET", "/cart", cookie=sid)
        stored = body.get("cart") if status == 200 else None
        kept += isinstance(stored, list) and [x for x in stored if x not in unknown[i]] == carts[i]
    return {"users logged in before the kill": USERS, "still logged in with exactly their cart after it": kept,
            "requests without an answer (in flight at the kill) or refused": len(failures),
            "workers after the kill": len(respawned), "killed worker replaced": int(victim not in respawned)}


def test_a_killed_worker_loses_no_session(redis_url: str) -> None:
    with gunicorn_shop("store", redis_url) as (socket_path, master):
        figures = worker_crash_run(socket_path, master)
    assert figures["still logged in with exactly their cart after it"] == USERS, figures
    assert figures["workers after the kill"] == WORKERS and figures["killed worker replaced"] == 1, figures


def distinct_jtis(socket_path: str, logins: int = 40) -> tuple[int, int]:
    """(logins, distinct jti values) for ``logins`` logins spread over the workers."""
    jtis = []
    for i in range(logins):
        status, body, _ = call(socket_path, "POST", "/login", body={"user": f"user{i:03d}", "password": f"pass{i:03d}"})
        assert status == 200
        jtis.append(peek(str(body["access_token"]))["payload"]["jti"])
    return len(jtis), len(set(jtis))


def test_forty_logins_over_four_workers_give_forty_distinct_jtis(redis_url: str) -> None:
    with gunicorn_shop("jwt-revocable", redis_url) as (socket_path, _master):
        assert distinct_jtis(socket_path) == (40, 40)


def test_a_restarted_deployment_finds_every_session_where_it_was(redis_url: str) -> None:
    with gunicorn_shop("store", redis_url) as (socket_path, _master):
        _, _, sid = call(socket_path, "POST", "/login", body={"user": "alice", "password": "alice-password"})
        call(socket_path, "POST", "/cart", body={"item": "tea"}, cookie=sid)
    with gunicorn_shop("store", redis_url) as (socket_path, _master):  # every worker builds its store anew
        status, body, _ = call(socket_path, "GET", "/cart", cookie=sid)
    assert (status, body["cart"]) == (200, ["tea"])


if __name__ == "__main__":
    with real.Deployment(redis=True, redis_tcp=True) as deployment:
        url = deployment.redis.url if deployment.redis else ""
        with gunicorn_shop("store", url) as (path, process):
            print(json.dumps(worker_crash_run(path, process), indent=2))
        with gunicorn_shop("jwt-revocable", url) as (path, _process):
            logins, distinct = distinct_jtis(path)
            print(f"{logins} logins over {WORKERS} workers: {distinct} distinct jti values")
