"""Lesson 08's experiments: the course's apps as real processes, each run returning ``Findings``.

Every experiment starts its own deployment (redis-server, gunicorn servers, nginx on 127.0.0.1)
inside a ``with`` block, so a failing cell, a kernel restart or an interrupted run leaves nothing
running, and returns plain tables. Where a program is missing, it returns the findings stored
from a run on a machine that had them (``stored_results.py``) and starts nothing:
``check_programs()`` says which program is missing and how to install it.

    python -m labsupport.real.experiments record    # run them all, rewrite stored_results.py
"""
from __future__ import annotations

import pprint
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

from ..scenario import JourneyRun, Lab
from ..sessions import strategy_spec
from ..store_experiments import MODELLED_RTT_MS, RTT_BY_PLACEMENT_MS
from ..tables import Table
from . import faults, procfs, races
from .binaries import NAMES, available, install_hint
from .crowd import align_round_robin, run_journeys, simulated_events
from .deployment import Deployment
from .errors import MissingBinaries, RealProcessError
from .findings import Findings
from .load import percentiles, run_load
from .redis_server import RedisServer

SHOP = "labsupport.serve:create_app"
"""The shop as gunicorn runs it (``labsupport/serve.py``)."""
RACE_APP = "labsupport.real.cart_race:create_app"
"""The shop with the three ways to add to a cart (``labsupport/real/cart_race.py``)."""
KILLS: Mapping[int, str] = {2: "kill s1", 3: "kill-worker s2"}
"""What happens to the sticky servers between rounds: s1 crashes before round 2, s2's worker before round 3."""
LATENCY_STRATEGIES = ("memory", "jwt", "jwt-revocable", "store")
STORE_ROUND_TRIPS = {"memory": 0, "jwt": 0, "jwt-revocable": 1, "store": 1}
"""Store round trips of one page view (``GET /profile``), as lessons 05 and 06 count them: the
denylist check is one ``MGET``, the store session one ``GETEX``; memory and JWT need none."""
REFRESH_GRACE = 2.0
"""The grace window of the refresh race, in seconds."""
STORED_RESULTS = Path(__file__).with_name("stored_results.py")


def missing_programs() -> list[str]:
    """The programs of lesson 08 this machine lacks (``[]`` when all are there)."""
    return [name for name, path in available().items() if path is None]


def programs_sentence() -> str:
    """One sentence: everything is installed, or what is missing and the command that installs it."""
    missing = missing_programs()
    if not missing:
        return f"{', '.join(NAMES[:-1])} and {NAMES[-1]} are installed: the cells below start them for real."
    return (f"{install_hint(missing)}. Until then, each cell below shows the results stored from a run on a "
            "machine that has them, and starts nothing.")


def check_programs() -> None:
    """Print ``programs_sentence()``: the lesson's first cell."""
    print(programs_sentence())


def stored(experiment: str) -> Findings:
    """The findings stored for ``experiment``."""
    from .stored_results import RESULTS

    return Findings.from_data(experiment, RESULTS[experiment])


def _stored_instead(experiment: str) -> Findings | None:
    return stored(experiment) if missing_programs() else None


def _store_needed(strategy: str) -> bool:
    return strategy_spec(strategy).needs_store


# --- a first look -----------------------------------------------------------------------------------

ROLES = {"redis": "redis-server", "nginx": "nginx: master + 1 worker"}


def first_look(*, servers: int = 3, requests: int = 6) -> Findings:
    """Gunicorn servers behind nginx: the processes, who answers each request, and what is left after ``with``."""
    if (found := _stored_instead("first look")) is not None:
        return found
    with Deployment(app=SHOP, app_options={"strategy": "memory"}, servers=servers) as deployment:
        groups = deployment.pids()
        processes = [{"process group": name, "processes": len(pids),
                      "what": ROLES.get(name, "gunicorn: master + 1 worker (with threads)")}
                     for name, pids in groups.items()]
        align_round_robin(deployment)
        served = [{"request": n + 1, "answered by": deployment.request("/").json()["server"]} for n in range(requests)]
    started = [pid for pids in groups.values() for pid in pids]
    left = [{"processes started": len(started),
             "still running after the with block": sum(procfs.read(pid) is not None for pid in started)}]
    return Findings("first look", {"processes": Table(processes, title=f"{servers} gunicorn servers behind nginx"),
                                   "requests": Table(served, title="GET / through nginx, one after another"),
                                   "after": Table(left)})


# --- in-memory sessions behind nginx ---------------------------------------------------------------

def round_robin(*, servers: int = 3, steps: Sequence[int] = (2, 3, 4), users: int = 90, seed: int = 8) -> Findings:
    """Journeys on in-memory sessions behind nginx's round robin, beside ``Lab`` and (1/N)^(k-1)."""
    if (found := _stored_instead("round-robin")) is not None:
        return found
    rows = []
    with Deployment(app=SHOP, app_options={"strategy": "memory"}, servers=servers) as deployment:
        for k in steps:
            real = run_journeys(deployment, users=users, steps=k, seed=seed, strategy="memory", policy="round-robin")
            simulated = Lab(servers=servers, strategy="memory", policy="round-robin", users=users,
                            seed=seed).run_journeys(k)
            rows.append({"steps k": k, "real: share kept": round(real.share_kept, 3),
                         "simulator": round(simulated.share_kept, 3),
                         "theory (1/N)^(k-1)": round((1 / servers) ** (k - 1), 3)})
    title = f"in-memory sessions, {servers} gunicorn servers behind nginx round robin, {users} users per k"
    return Findings("round-robin", {"shares": Table(rows, title=title)})


EVENT_WORDS = {"kill": "kill -9 {name}'s process group", "kill-worker": "kill -9 {name}'s worker only"}


def _first_loss(run: JourneyRun) -> dict[str, int]:
    """Each user who lost the session, and the round it happened in."""
    lost: dict[str, int] = {}
    for record in run.records:
        if not record.kept and record.user not in lost:
            lost[record.user] = record.step
    return lost


def kills(strategy: str = "memory", *, users: int = 60, steps: int = 5, seed: int = 8) -> Findings:
    """Sticky journeys while s1 crashes (round 2) and s2's worker is killed and respawned (round 3).

    Real, and simulated beside it (``Lab`` with ``kill s1`` and ``restart s2``).
    """
    if (found := _stored_instead(f"kills {strategy}")) is not None:
        return found
    with Deployment(app=SHOP, app_options={"strategy": strategy}, servers=3, routing="sticky",
                    redis=_store_needed(strategy)) as deployment:
        real = run_journeys(deployment, users=users, steps=steps, seed=seed, strategy=strategy, policy="sticky",
                            events=KILLS)
    simulated = Lab(servers=3, strategy=strategy, policy="sticky", users=users, seed=seed).run_journeys(
        steps, events=simulated_events(KILLS))
    real_lost, simulated_lost = _first_loss(real), _first_loss(simulated)
    rows = []
    for round_no in range(1, steps):
        verb, _, name = KILLS.get(round_no, "").partition(" ")
        rows.append({"round": round_no,
                     "just before it": EVENT_WORDS[verb].format(name=name) if verb else
                     "nothing (sticky routing alone)" if round_no < min(KILLS) else "nothing more",
                     "real: users logged out": sum(step == round_no for step in real_lost.values()),
                     "simulator": sum(step == round_no for step in simulated_lost.values())})
    rows.append({"round": "", "just before it": "journeys kept to the end",
                 "real: users logged out": len(real.kept_users), "simulator": len(simulated.kept_users)})
    title = f"{strategy} sessions, 3 sticky servers, {users} users x {steps} steps"
    summary = Table([{"run": "real", **real.summary().rows[0]}, {"run": "simulator", **simulated.summary().rows[0]}])
    return Findings(f"kills {strategy}", {"kills": Table(rows, title=title), "summary": summary}, journeys=real)


# --- the store under faults --------------------------------------------------------------------------

def worker_crash(*, users: int = 24, rounds: int = 8) -> Findings:
    """Store sessions: a gunicorn worker SIGKILLed while users fill their carts from six threads."""
    if (found := _stored_instead("worker crash")) is not None:
        return found
    with Deployment(app=SHOP, app_options={"strategy": "store"}, servers=3, redis=True) as deployment:
        crash = faults.worker_crash_under_load(deployment, users=users, rounds=rounds)
    return Findings("worker crash", {
        "summary": Table([crash.summary()], title="store sessions: s2's worker killed (kill -9) mid-workload"),
        "details": Table([crash.details()], title="live: what was in flight at the kill")})


def redis_freeze(*, seconds: float = 3.0, users: int = 30) -> Findings:
    """Store sessions: redis-server frozen with SIGSTOP for ``seconds`` while users ask for their carts."""
    if (found := _stored_instead("redis freeze")) is not None:
        return found
    with Deployment(app=SHOP, app_options={"strategy": "store"}, servers=3, redis=True) as deployment:
        pause = faults.redis_pause(deployment, seconds=seconds, users=users)
    return Findings("redis freeze", {
        "summary": Table([pause.summary()], title=f"store sessions: redis-server stopped (SIGSTOP) for {seconds:g} s"),
        "details": Table([pause.details()], title="live: timings of this run")})


def redis_restarts(*, users: int = 30) -> Findings:
    """Store sessions through a Redis restart: without persistence, with an append-only file, and a kill -9."""
    if (found := _stored_instead("redis restarts")) is not None:
        return found
    rows = []
    for appendonly in (False, True):
        config = "appendonly yes, appendfsync everysec" if appendonly else "save '' (nothing on disk)"
        with Deployment(app=SHOP, app_options={"strategy": "store"}, servers=1, redis=True,
                        appendonly=appendonly) as deployment:
            server = deployment.redis
            if server is None:
                raise RealProcessError("the deployment started without redis-server")
            faults_to_do: list[tuple[str, Callable[[], object]]] = [
                ("graceful restart (SIGTERM, then start)", server.restart)]
            if appendonly:
                def crash_and_start(crashed: RedisServer = server) -> None:
                    crashed.kill()
                    crashed.start()

                faults_to_do.append(("crash (kill -9, then start)", crash_and_start))
            for number, (fault, action) in enumerate(faults_to_do):
                kept = faults.sessions_through(deployment, action, users=users, first=100 * number)
                rows.append({"redis config": config, "fault": fault, "users logged in before": users,
                             "still logged in after": kept, "sessions lost": users - kept})
    return Findings("redis restarts", {"restarts": Table(rows, title="store sessions through a Redis restart")})


# --- what each request pays -----------------------------------------------------------------------

def _redis_round_trip_ms(deployment: Deployment, *, repeat: int = 500) -> float:
    server = deployment.redis
    if server is None:
        raise RealProcessError("the deployment started without redis-server")
    with server.client() as client:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.ping()
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def latency(*, users: int = 8, requests_per_user: int = 30) -> Findings:
    """LIVE: p50/p95 of ``GET /profile`` over loopback through nginx, per strategy, beside the simulator's model."""
    if (found := _stored_instead("latency")) is not None:
        return found
    rows, answered = [], []
    ping_ms = None
    for strategy in LATENCY_STRATEGIES:
        with Deployment(app=SHOP, app_options={"strategy": strategy}, servers=2, routing="sticky",
                        redis=_store_needed(strategy)) as deployment:
            load = run_load(deployment.url, users=users, requests_per_user=requests_per_user, concurrency=1)
            if strategy == "store":
                ping_ms = _redis_round_trip_ms(deployment)
        trips = STORE_ROUND_TRIPS[strategy]
        rows.append({"strategy": strategy, "store round trips": trips,
                     "simulator: modelled network (ms)": trips * MODELLED_RTT_MS,
                     **percentiles(load.latencies_ms())})
        answered.append({"strategy": strategy, "requests": len(load.requests),
                         "answered 200": load.statuses().get(200, 0), "not sent (time limit)": load.not_sent})
    round_trip = Table([
        {"one round trip to the store": "modelled: same data centre (lessons 05, 06)", "ms": MODELLED_RTT_MS},
        {"one round trip to the store": "modelled: same host (loopback)",
         "ms": RTT_BY_PLACEMENT_MS["same host (loopback)"]},
        {"one round trip to the store": "measured here: redis PING over a Unix socket (median)",
         "ms": round(ping_ms or float("nan"), 3)}])
    title = f"live: GET /profile, {users} users x {requests_per_user} requests, one at a time, through nginx"
    return Findings("latency", {"latency": Table(rows, title=title),
                                "answered": Table(answered, title="every request of the latency runs"),
                                "round trip": round_trip})


# --- two tabs at once -------------------------------------------------------------------------------

def cart_race(*, rounds: int = 20) -> Findings:
    """Two tabs of one user add to the cart at once, ``rounds`` times, in each of three ways."""
    if (found := _stored_instead("cart race")) is not None:
        return found
    rows = []
    with Deployment(app=RACE_APP, servers=2, redis=True) as deployment:
        for index, way in enumerate(("read-modify-write", "watch", "hash-field")):
            rows.append(races.cart_race(deployment.url, way=way, rounds=rounds, user_index=index))
    return Findings("cart race", {"race": Table(rows, title=f"two tabs, {rounds} rounds, store sessions in Redis")})


def refresh_race(*, pairs: int = 10, grace: float = REFRESH_GRACE) -> Findings:
    """``pairs`` refresh races on ``jwt-revocable`` with a grace window and without, then a replay after it."""
    if (found := _stored_instead("refresh race")) is not None:
        return found
    rows = []
    for window in (grace, 0.0):
        with Deployment(app=SHOP, app_options={"strategy": "jwt-revocable", "refresh_grace": window}, servers=2,
                        redis=True) as deployment:
            rows.append(races.refresh_race(deployment.url, grace=window, pairs=pairs))
    return Findings("refresh race", {"race": Table(rows, title="two tabs refresh with one refresh token at once")})


# --- recording the stored results ----------------------------------------------------------------

def record_all() -> dict[str, Findings]:
    """Run every experiment with its defaults (the programs must be installed)."""
    missing = missing_programs()
    if missing:
        raise MissingBinaries(missing, install_hint(missing))
    runs: dict[str, Callable[[], Findings]] = {
        "first look": first_look, "round-robin": round_robin, "kills memory": partial(kills, "memory"),
        "kills jwt": partial(kills, "jwt"), "kills store": partial(kills, "store"), "worker crash": worker_crash,
        "redis freeze": redis_freeze, "redis restarts": redis_restarts, "latency": latency, "cart race": cart_race,
        "refresh race": refresh_race}
    return {name: run() for name, run in runs.items()}


def write_stored(findings: Mapping[str, Findings], path: Path = STORED_RESULTS) -> None:
    """Rewrite ``stored_results.py`` from live ``findings``."""
    data = {name: found.to_data() for name, found in findings.items()}
    path.write_text(
        '"""Lesson 08\'s findings as recorded on a machine with redis-server, gunicorn and nginx: what the lesson\n'
        "shows where they are missing. Generated by ``python -m labsupport.real.experiments record``; do not edit.\n"
        '"""\n'
        "from typing import Any\n\n"
        f"RESULTS: dict[str, Any] = {pprint.pformat(data, width=116, sort_dicts=False)}\n")


def main(arguments: list[str]) -> int:
    if arguments != ["record"]:
        print("usage: python -m labsupport.real.experiments record", file=sys.stderr)
        return 2
    found = record_all()
    write_stored(found)
    for finding in found.values():
        print(finding, end="\n\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))


__all__ = ["KILLS", "LATENCY_STRATEGIES", "REFRESH_GRACE", "cart_race", "check_programs", "first_look", "kills",
           "latency", "missing_programs", "programs_sentence", "redis_freeze", "redis_restarts", "refresh_race",
           "round_robin", "stored", "worker_crash", "write_stored"]
