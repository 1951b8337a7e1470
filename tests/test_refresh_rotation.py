"""Refresh rotation under concurrency (``jwt-revocable``): one spend per refresh token, a grace window, no revival.

Runs on the embedded store in simulated time; lesson 08's real-process version is in
tests/test_real_lesson08.py.
"""
from __future__ import annotations

import json
import threading

import pytest
from werkzeug.test import Client

import labsupport as lab
from labsupport import RevocableJWTSessions, SessionStore, SimClock
from labsupport.errors import TokenRejected
from labsupport.sessions import ServerContext
from labsupport.sessions.jwt_stateless import TokenSession
from labsupport.tokens import peek

ALICE = {"user": "alice", "password": "alice-password"}


def shop(grace: float = 0.0, servers: int = 2) -> lab.Lab:
    strategy = RevocableJWTSessions.configured(refresh_grace=grace)
    return lab.Lab(servers=servers, strategy=strategy, users=0, store=SessionStore(prefix="rotation"))


def log_in(app: lab.Lab) -> tuple[Client, dict]:
    client = Client(app.balancer)
    body = client.post("/login", json=ALICE).json
    assert isinstance(body, dict) and "refresh_token" in body
    return client, body


def refresh(client: Client, token: str) -> tuple[int, dict]:
    response = client.post("/refresh", json={"refresh_token": token})
    return response.status_code, json.loads(response.get_data())


def strategies(app: lab.Lab) -> list[RevocableJWTSessions]:
    found = [server.strategy for server in app.cluster.servers.values()]
    assert all(isinstance(s, RevocableJWTSessions) for s in found)
    return found  # type: ignore[return-value]


def test_within_the_grace_window_a_second_use_is_a_lost_race_and_the_login_lives_on() -> None:
    app = shop(grace=2.0)
    with SimClock() as clock:
        client, body = log_in(app)
        winner = refresh(client, body["refresh_token"])
        clock.advance(1.5)
        status, loser = refresh(client, body["refresh_token"])
        assert (winner[0], status) == (200, 409)
        assert loser["error"] == "conflict" and loser["reason"].startswith("refresh already done")
        fresh = {"Authorization": f"Bearer {winner[1]['access_token']}"}
        assert client.get("/profile", headers=fresh).status_code == 200
        assert refresh(client, winner[1]["refresh_token"])[0] == 200  # the winner's token is the current one
    assert sum(s.races_tolerated for s in strategies(app)) == 1
    assert sum(s.reuse_detected for s in strategies(app)) == 0


def test_after_the_grace_window_a_second_use_is_a_replay_and_ends_the_login() -> None:
    app = shop(grace=2.0)
    with SimClock() as clock:
        client, body = log_in(app)
        _, fresh = refresh(client, body["refresh_token"])
        clock.advance(2.0)  # the window is [0, 2) seconds after the first use
        status, replay = refresh(client, body["refresh_token"])
        assert status == 401 and replay["reason"].startswith("refresh token reuse detected")
        assert client.get("/profile", headers={"Authorization": f"Bearer {fresh['access_token']}"}).status_code == 401
        assert app.shared_store.keys("token-family:*") == []
    assert sum(s.reuse_detected for s in strategies(app)) == 1


def test_without_a_window_even_a_simultaneous_second_use_is_a_replay() -> None:
    app = shop(grace=0.0)
    with SimClock():
        client, body = log_in(app)
        assert refresh(client, body["refresh_token"])[0] == 200
        status, replay = refresh(client, body["refresh_token"])  # the same instant
    assert status == 401 and replay["reason"].startswith("refresh token reuse detected")


def test_of_many_concurrent_refreshes_with_one_token_exactly_one_wins() -> None:
    app = shop(grace=5.0, servers=3)
    with SimClock():
        _, body = log_in(app)
        start = threading.Barrier(8)
        statuses: list[int] = []

        def race() -> None:
            client = Client(app.balancer)
            start.wait()
            statuses.append(client.post("/refresh", json={"refresh_token": body["refresh_token"]}).status_code)

        threads = [threading.Thread(target=race) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        claims = peek(body["refresh_token"])["payload"]
        family = json.loads(app.shared_store.connect().get(app.shared_store.key("token-family", claims["sid"])))
    assert sorted(statuses) == [200] + [409] * 7
    assert family["refresh"] != claims["jti"]  # rotated once, by the winner


def test_a_refresh_still_costs_two_store_round_trips() -> None:
    app = shop(grace=2.0, servers=1)
    (strategy,) = strategies(app)
    with SimClock():
        client, body = log_in(app)
        before = strategy.store_round_trips
        assert refresh(client, body["refresh_token"])[0] == 200
    assert strategy.store_round_trips - before == 2  # MULTI (read + spend), then the family record


def test_a_write_after_the_family_was_revoked_does_not_revive_it() -> None:
    store = SessionStore(prefix="revival")
    strategy = RevocableJWTSessions(ServerContext(name="s1", store=store))
    with SimClock():
        claims = {"sub": "alice", "sid": "sid_gone", "jti": "j1", "ver": 0, "token_use": "access"}
        session = TokenSession(user="alice", id="sid_gone", claims=claims)
        with pytest.raises(TokenRejected) as caught:
            strategy.remember_pair(session, "access-2", "refresh-2")
    assert caught.value.code == "session-ended"
    assert store.keys() == []


@pytest.mark.parametrize("grace", [-1, 61, True, "2", float("nan")])
def test_a_grace_window_must_be_a_number_of_seconds_from_0_to_60(grace: object) -> None:
    context = ServerContext(name="s1", store=SessionStore(prefix="grace"))
    with pytest.raises(ValueError):
        RevocableJWTSessions(context, refresh_grace=grace)  # type: ignore[arg-type]


@pytest.mark.parametrize("grace", [0.0, 2.0])
def test_a_refresh_token_superseded_by_a_cart_update_is_refused_without_ending_the_login(grace: float) -> None:
    app = shop(grace=grace)
    with SimClock() as clock:
        client, body = log_in(app)
        status, renewed = refresh(client, body["refresh_token"])  # tab 2 refreshes
        assert status == 200
        old_access = {"Authorization": f"Bearer {body['access_token']}"}
        cart = client.post("/cart", json={"item": "tea"}, headers=old_access)  # tab 1, its access token still valid
        assert cart.status_code == 200
        clock.advance(5)
        status, refused = refresh(client, renewed["refresh_token"])  # tab 2's token: never used, but superseded
        assert status == 409 and refused["reason"].startswith("refresh token superseded")
        newest = json.loads(cart.get_data())
        assert client.get("/profile", headers={"Authorization": f"Bearer {newest['access_token']}"}).status_code == 200
        assert refresh(client, newest["refresh_token"])[0] == 200  # the login lives on
        clock.advance(5)
        status, caught = refresh(client, body["refresh_token"])  # a token spent long ago: still a replay
        assert status == 401 and caught["reason"].startswith("refresh token reuse detected")
    assert sum(s.reuse_detected for s in strategies(app)) == 1
