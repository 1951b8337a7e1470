"""Lesson 08's helpers: users and journeys over real HTTP, the load generator, the races, stored findings.

Tests that start processes are skipped, with the install command as the reason, where a program is
missing; the rest run everywhere. Deployments here use a private base folder, checked empty of
processes at the end.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import fakeredis
import pytest
from flask import Flask
from werkzeug.test import Client

import labsupport as lab
from labsupport import real
from labsupport.real import cart_race, crowd, experiments, load, races
from labsupport.real.findings import STORED_NOTE, Findings
from labsupport.real.stored_results import RESULTS
from labsupport.tables import Table

MISSING = [name for name, path in real.available().items() if path is None]
needs_programs = pytest.mark.skipif(bool(MISSING), reason=real.install_hint(MISSING) if MISSING else "")
SHOP = experiments.SHOP


@pytest.fixture(scope="module")
def base_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="l8-"))
    yield path
    left = real.procfs.mentioning(str(path))
    real.cleanup_leftovers(path)
    shutil.rmtree(path, ignore_errors=True)
    assert left == [], f"processes outlived this module's deployments: {left}"


# --- without processes ------------------------------------------------------------------------------

def test_the_route_cookie_middleware_reads_a_cookie_header_that_is_not_utf8() -> None:
    app = Flask("route")
    app.add_url_rule("/", "index", lambda: "hi")
    client = Client(real.RouteCookie(app, "s1"), use_cookies=False)  # the header as sent, not the client's jar
    response = client.get("/", headers={"Cookie": "sid=\xff\xfe; route=s1"})  # what gunicorn makes of bytes ff fe
    assert response.status_code == 200 and "Set-Cookie" not in response.headers  # route=s1 was read
    assert client.get("/", headers={"Cookie": "sid=\xff\xfe"}).headers["Set-Cookie"].startswith("route=s1;")


def test_real_events_translate_to_the_simulators_and_unknown_ones_are_refused() -> None:
    assert crowd.simulated_events({2: "kill s1", 3: ["kill-worker s2"]}) == {2: ["kill s1"], 3: ["restart s2"]}
    with pytest.raises(lab.errors.UnknownChoice):
        crowd.simulated_events({1: "revive s1"})


@pytest.mark.parametrize("options", [{"users": 0}, {"requests_per_user": True}, {"concurrency": 65},
                                     {"users": 1000, "requests_per_user": 21}, {"time_limit": 0}])
def test_the_load_generator_refuses_runs_that_are_not_bounded(options: dict[str, object]) -> None:
    with pytest.raises(real.BadSetup):
        load.run_load("http://127.0.0.1:9", **options)  # type: ignore[arg-type]


def test_percentiles() -> None:
    assert load.percentiles([1.0, 2.0, 3.0, 4.0, 5.0]) == {"p50 (ms)": 3.0, "p95 (ms)": 4.8}
    assert load.percentiles([7.0]) == {"p50 (ms)": 7.0, "p95 (ms)": 7.0}


def test_findings_survive_the_round_trip_through_stored_data_and_say_they_are_stored() -> None:
    run = lab.Lab(servers=2, strategy="memory", users=3, seed=1).run_journeys(steps=2)
    live = Findings("demo", {"main": Table([{"a": 1}], title="t"), "other": Table([{"b": 2}])}, journeys=run)
    stored = Findings.from_data("demo", live.to_data())
    assert not stored.live and repr(stored) == STORED_NOTE + "\n" + repr(live)
    assert repr(stored["other"]) == repr(live["other"]) and stored.run() == run
    assert STORED_NOTE in stored._repr_html_()
    with pytest.raises(KeyError, match="has the tables main, other"):
        live["nope"]


def test_every_experiment_has_stored_findings() -> None:
    names = {"first look", "round-robin", "kills memory", "kills jwt", "kills store", "worker crash", "redis freeze",
             "redis restarts", "latency", "cart race", "refresh race"}
    assert set(RESULTS) == names
    for name in names:
        assert not experiments.stored(name).live


def test_without_programs_every_experiment_returns_its_stored_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(experiments, "available", lambda: {"redis-server": None, "gunicorn": "g", "nginx": "n"})
    assert experiments.programs_sentence().startswith("redis-server is not installed: sudo apt-get install -y "
                                                      "redis-server. Until then")
    for run in (experiments.first_look, experiments.round_robin, experiments.worker_crash, experiments.redis_freeze,
                experiments.redis_restarts, experiments.latency, experiments.cart_race, experiments.refresh_race):
        assert not run().live
    assert experiments.kills("jwt").run().share_kept == 1.0


class OtherTab:
    """``after_read`` for one tab: the other tab's whole update happens right there, between read and write."""

    def __init__(self, action: object) -> None:
        self.action = action
        self.done = False

    def __call__(self) -> None:
        if not self.done:
            self.done = True
            self.action()  # type: ignore[operator]


def test_watch_retries_after_a_write_between_its_read_and_its_write() -> None:
    client = fakeredis.FakeRedis(decode_responses=True)
    client.set("s", json.dumps({"user": "u", "cart": []}))
    other = OtherTab(lambda: cart_race.add_with_watch(client, "s", "cake", lambda: None))
    assert cart_race.add_with_watch(client, "s", "tea", other) == 1  # refused once, then done on fresh data
    assert json.loads(client.get("s"))["cart"] == ["cake", "tea"]


def test_a_hash_field_keeps_both_updates() -> None:
    client = fakeredis.FakeRedis(decode_responses=True)
    other = OtherTab(lambda: cart_race.add_to_hash_field(client, "c", "tea", lambda: None, ttl=60))
    assert cart_race.add_to_hash_field(client, "c", "tea", other, ttl=60) == 2
    assert 0 < client.ttl("c") <= 60


# --- with processes -----------------------------------------------------------------------------------

@needs_programs
def test_real_round_robin_journeys_meet_the_same_servers_as_the_simulated_ones(base_dir: Path) -> None:
    with real.Deployment(app=SHOP, app_options={"strategy": "memory"}, servers=3, base_dir=base_dir) as deployment:
        found = crowd.run_journeys(deployment, users=30, steps=3, seed=5, strategy="memory", policy="round-robin")
    simulated = lab.Lab(servers=3, strategy="memory", policy="round-robin", users=30, seed=5).run_journeys(3)
    assert found.records == simulated.records
    assert 0 < found.share_kept < 0.5


@needs_programs
def test_the_race_app_loses_one_update_per_round_only_with_read_modify_write(base_dir: Path) -> None:
    with real.Deployment(app=experiments.RACE_APP, servers=2, redis=True, base_dir=base_dir) as deployment:
        found = {way: races.cart_race(deployment.url, way=way, rounds=4, user_index=i)
                 for i, way in enumerate(cart_race.WAYS)}
    assert {way: row["updates lost"] for way, row in found.items()} == {
        "read-modify-write": 4, "watch": 0, "hash-field": 0}
    assert all(row["barrier met"] == 4 and row["answered 200"] == 8 for row in found.values())
    assert found["watch"]["refused, retried"] == 4


@needs_programs
@pytest.mark.parametrize("grace", [1.0, 0.0])
def test_concurrent_refreshes_under_gunicorn_have_one_winner(base_dir: Path, grace: float) -> None:
    options = {"strategy": "jwt-revocable", "refresh_grace": grace}
    with real.Deployment(app=SHOP, app_options=options, servers=2, redis=True, base_dir=base_dir) as deployment:
        found = races.refresh_race(deployment.url, grace=grace, pairs=4)
    outcome = (found["409 lost the race"], found["401 reuse alarm"], found["sessions alive after the race"])
    if grace:
        assert outcome == (4, 0, 4) and found["replays raising the alarm"] == 4
    else:
        assert outcome == (0, 4, 0)
    assert found["sessions alive after the replay"] == 0


@needs_programs
def test_a_load_run_stops_at_its_time_limit(base_dir: Path) -> None:
    with real.Deployment(app=SHOP, app_options={"strategy": "jwt"}, servers=1, base_dir=base_dir) as deployment:
        started = time.monotonic()
        found = load.run_load(deployment.url, users=4, requests_per_user=5000, concurrency=2, time_limit=0.5)
        took = time.monotonic() - started
    assert found.not_sent > 0 and len(found.requests) + found.not_sent == 20_000
    assert set(found.statuses()) == {200} and took < 5


@needs_programs
def test_an_experiment_leaves_no_process_behind() -> None:
    folder = str(real.default_base_dir())
    before = {p.pid for p in real.procfs.mentioning(folder)}
    look = experiments.first_look()
    assert look.live and look["after"][0]["still running after the with block"] == 0
    assert [p for p in real.procfs.mentioning(folder) if p.pid not in before] == []
