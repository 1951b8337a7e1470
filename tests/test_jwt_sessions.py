"""JWT session strategies on the shop and the cluster: stateless, cookie, and revocable.

Everything time-dependent runs inside ``SimClock`` on the embedded store, so PyJWT's exp check
and the store's TTLs read the same simulated clock.
"""
from __future__ import annotations

import json

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client, TestResponse

import labsupport as lab
from labsupport import JWTCookieSessions, JWTSessions, RevocableJWTSessions, SessionStore, SimClock
from labsupport.sessions import StrategySpec, strategy_spec
from labsupport.sessions.carriers import ACCESS_COOKIE, REFRESH_COOKIE, REFRESH_PATH
from labsupport.sessions.jwt_stateless import TokenSession
from labsupport.tokens import MAX_TOKEN_LENGTH, TokenKeys, peek
from shop_support import make_shop, make_strategy

ALICE = {"user": "alice", "password": "alice-password"}
BOB = {"user": "bob", "password": "bob-password"}
JWT_STRATEGIES = ["jwt", "jwt-cookie", "jwt-revocable"]
FUZZ = settings(max_examples=120, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def make_lab(strategy: str | StrategySpec = "jwt-revocable", *, servers: int = 3, users: int = 0, seed: int = 0,
             token_keys: TokenKeys | None = None) -> lab.Lab:
    store = SessionStore(prefix=f"test{seed}") if strategy_spec(strategy).needs_store else None
    return lab.Lab(servers=servers, strategy=strategy, users=users, seed=seed, store=store, token_keys=token_keys)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(app, credentials: dict = ALICE) -> tuple[Client, dict]:
    client = Client(app)
    response = client.post("/login", json=credentials)
    assert response.status_code == 200, response.json
    return client, response.json


def assert_json_error(response: TestResponse, status: int | None = None) -> dict:
    assert 400 <= response.status_code < 600 and response.status_code != 500, response.get_data()[:200]
    if status is not None:
        assert response.status_code == status, response.get_data()[:300]
    assert response.mimetype == "application/json"
    body = json.loads(response.get_data())
    assert isinstance(body.get("error"), str) and isinstance(body.get("reason"), str) and body["reason"]
    return body


# --- on the cluster ---------------------------------------------------------------------


@pytest.mark.parametrize("strategy", JWT_STRATEGIES)
def test_every_journey_is_kept_under_round_robin_through_kills_restarts_and_scale_out(strategy: str) -> None:
    shop = make_lab(strategy, users=60, seed=4)
    events = {1: "kill s1", 2: ["revive s1", "add_server"], 3: "restart s2", 4: "rolling_restart", 5: "kill s3"}
    run = shop.run_journeys(steps=7, events=events)
    assert run.share_kept == 1.0 and len(run.records) == 60 * 7
    assert all(r.status == 200 for r in run.records)
    for user in run.users[:10]:  # journeys really cross servers
        assert len({r.server for r in run.records if r.user == user}) > 1
    assert set(shop.cluster.memory().values()) == {0}
    assert set(shop.cluster.sessions_held().values()) == {0}


def test_the_memory_strategy_fails_the_same_run() -> None:
    run = make_lab("memory", users=60, seed=4).run_journeys(steps=7, events={1: "kill s1"})
    assert run.share_kept < 0.1


def test_configured_strategies_keep_their_options_and_get_the_labs_store() -> None:
    factory = RevocableJWTSessions.configured(access_lifetime=60)
    shop = lab.Lab(servers=2, strategy=factory, users=20, seed=1, token_keys=TokenKeys.eddsa(3))
    assert isinstance(shop.store, SessionStore)
    strategy = shop.cluster.server("s1").strategy
    assert isinstance(strategy, RevocableJWTSessions) and strategy.access_lifetime == 60
    assert strategy.tokens.algorithm == "EdDSA" and shop.cluster.strategy_name == "jwt-revocable"
    assert shop.run_journeys(steps=4, events={2: "restart s1"}).share_kept == 1.0


def test_eddsa_tokens_from_the_same_seed_work_on_every_server() -> None:
    shop = make_lab(JWTSessions.configured(), users=30, seed=2, token_keys=TokenKeys.eddsa(7))
    assert shop.run_journeys(steps=4).share_kept == 1.0


def test_a_revocable_lab_needs_a_store() -> None:
    with pytest.raises(lab.LabError, match="needs a session store"):
        lab.Cluster(2, strategy="jwt-revocable")


# --- what travels: body fields, cookies, claims ---------------------------------------------


def test_bearer_login_hands_out_a_token_pair_and_the_server_keeps_nothing() -> None:
    shop = make_lab("jwt")
    with SimClock():
        _, body = login(shop.balancer)
        access, refresh = peek(body["access_token"])["payload"], peek(body["refresh_token"])["payload"]
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    assert access["token_use"] == "access" and refresh["token_use"] == "refresh"
    assert access["exp"] - access["iat"] == 300 and refresh["exp"] - refresh["iat"] == 3600
    assert access["sub"] == "alice" and access["roles"] == ["customer", "admin"] and access["cart"] == []
    ids = shop.ids_for("s1", 1)  # the same seeded stream s1 drew from: access jti, refresh jti, sid
    assert [access["jti"], refresh["jti"], access["sid"]] == [ids(), ids(), ids("sid_")]
    assert refresh["sid"] == access["sid"] and access["jti"] != refresh["jti"] and "ver" not in access


def test_tokens_are_reproducible_in_a_seeded_lab() -> None:
    seen = []
    for _ in range(2):
        for strategy in JWT_STRATEGIES:
            shop = make_lab(strategy, users=3, seed=5)
            with SimClock():
                for user in shop.users:
                    user.login()
                    user.add_item("tea")
                seen.append([(u.tokens, u.client.get_cookie(ACCESS_COOKIE) and u.client.get_cookie(ACCESS_COOKIE).value)
                             for u in shop.users])
    assert seen[:3] == seen[3:]


def test_revocable_token_ids_stay_unique_across_restarts() -> None:
    shop = make_lab("jwt-revocable", servers=1)
    jtis = set()
    with SimClock():
        for _ in range(3):
            _, body = login(shop.balancer)
            jtis |= {peek(body[k])["payload"]["jti"] for k in ("access_token", "refresh_token")}
            shop.cluster.restart("s1")
    assert len(jtis) == 6


def test_the_cart_lives_in_the_token() -> None:
    shop = make_lab("jwt")
    with SimClock():
        client, body = login(shop.balancer)
        r = client.post("/cart", json={"item": "tea"}, headers=bearer(body["access_token"]))
        assert r.json["cart"] == ["tea"] and peek(r.json["access_token"])["payload"]["cart"] == ["tea"]
        r2 = client.post("/cart", json={"item": "cake"}, headers=bearer(r.json["access_token"]))
        assert r2.json["cart"] == ["tea", "cake"]
        # the old token still holds the old cart: the server has no other copy
        assert client.get("/cart", headers=bearer(body["access_token"])).json["cart"] == []


def test_cookie_variant_sets_httponly_secure_samesite_cookies_and_no_body_tokens() -> None:
    shop = make_lab("jwt-cookie")
    with SimClock():
        client, body = login(shop.balancer)
    assert "access_token" not in body and "refresh_token" not in body and body["expires_in"] == 300
    cookies = {c.key: c for c in (client.get_cookie(ACCESS_COOKIE), client.get_cookie(REFRESH_COOKIE, path=REFRESH_PATH))}
    access, refresh = cookies[ACCESS_COOKIE], cookies[REFRESH_COOKIE]
    assert (access.http_only, access.secure, access.same_site, access.path, access.max_age) == (True, True, "Lax", "/", 300)
    assert (refresh.http_only, refresh.secure, refresh.same_site, refresh.path, refresh.max_age) == (
        True, True, "Strict", REFRESH_PATH, 3600)


def test_cookie_variant_set_cookie_headers_read_as_the_lesson_shows_them() -> None:
    shop = make_lab("jwt-cookie")
    with SimClock():
        response = Client(shop.balancer).post("/login", json=ALICE)
    headers = response.headers.getlist("Set-Cookie")
    assert [h.split(";", 1)[1] for h in headers] == [
        " Expires=Mon, 05 Jan 2026 09:05:00 GMT; Max-Age=300; Secure; HttpOnly; Path=/; SameSite=Lax",
        " Expires=Mon, 05 Jan 2026 10:00:00 GMT; Max-Age=3600; Secure; HttpOnly; Path=/refresh; SameSite=Strict",
    ]


def test_cookie_variant_refresh_and_logout() -> None:
    shop = make_lab("jwt-cookie")
    with SimClock() as clock:
        client, _ = login(shop.balancer)
        clock.advance(301)
        assert assert_json_error(client.get("/profile"), 401)["reason"].startswith("token expired")
        assert client.post("/refresh").status_code == 200
        assert client.get("/profile").status_code == 200
        assert client.post("/logout").status_code == 200
        assert client.get_cookie(ACCESS_COOKIE) is None and client.get_cookie(REFRESH_COOKIE, path=REFRESH_PATH) is None
        assert "not logged in" in assert_json_error(client.get("/profile"), 401)["reason"]


# --- stateless: verify only -------------------------------------------------------------------


def test_stateless_logout_does_not_log_out() -> None:
    shop = make_lab("jwt")
    with SimClock():
        client, body = login(shop.balancer)
        assert client.post("/logout", headers=bearer(body["access_token"])).status_code == 200
        assert client.get("/profile", headers=bearer(body["access_token"])).status_code == 200


def test_stateless_strategy_cannot_log_out_everywhere() -> None:
    shop = make_lab("jwt")
    with SimClock():
        client, body = login(shop.balancer)
        reason = assert_json_error(client.post("/logout-everywhere", headers=bearer(body["access_token"])), 400)["reason"]
    assert "cannot log a user out everywhere" in reason


def test_stateless_refresh_trades_a_refresh_token_for_a_new_pair_with_current_roles() -> None:
    shop = make_lab("jwt", servers=1)
    with SimClock() as clock:
        client, body = login(shop.balancer, BOB)
        client.post("/cart", json={"item": "tea"}, headers=bearer(body["access_token"]))
        r = client.post("/cart", json={"item": "cake"}, headers=bearer(body["access_token"]))
        clock.advance(301)
        assert assert_json_error(client.get("/cart", headers=bearer(r.json["access_token"])), 401)["reason"].startswith(
            "token expired")
        redeployed = make_shop(JWTSessions, accounts=shop.accounts.with_roles("bob", ["customer", "support"]))
        client = Client(redeployed)  # the directory changed, and a server started with it answers the refresh
        fresh = client.post("/refresh", json={"refresh_token": r.json["refresh_token"]})
        assert fresh.status_code == 200 and fresh.json["user"] == "bob"
        claims = peek(fresh.json["access_token"])["payload"]
        assert claims["cart"] == ["cake"] and claims["roles"] == ["customer", "support"]
        assert client.get("/cart", headers=bearer(fresh.json["access_token"])).json["cart"] == ["cake"]


def test_stateless_verification_counts_and_store_free() -> None:
    shop = make_lab("jwt", servers=1)
    with SimClock():
        client, body = login(shop.balancer)
        for _ in range(3):
            client.get("/profile", headers=bearer(body["access_token"]))
    strategy = shop.cluster.server("s1").strategy
    assert (strategy.tokens_issued, strategy.tokens_verified, strategy.tokens_rejected) == (2, 3, 0)
    assert shop.store is None and not hasattr(strategy, "store")
    assert repr(strategy) == "JWTSessions(HS256, bearer, access 300 s, refresh 3600 s)"


@pytest.mark.parametrize("strategy", ["jwt", "jwt-revocable"])
def test_refresh_and_access_tokens_are_not_interchangeable(strategy: str) -> None:
    shop = make_lab(strategy)
    with SimClock():
        client, body = login(shop.balancer)
        as_access = assert_json_error(client.get("/profile", headers=bearer(body["refresh_token"])), 401)
        as_refresh = assert_json_error(client.post("/refresh", json={"refresh_token": body["access_token"]}), 401)
    assert "wrong kind of token" in as_access["reason"] and "wrong kind of token" in as_refresh["reason"]


@pytest.mark.parametrize("strategy", ["memory", "signed-cookie"])
def test_strategies_without_refresh_tokens_say_400(strategy: str) -> None:
    body = assert_json_error(Client(make_lab(strategy).balancer).post("/refresh", json={}), 400)
    assert body["reason"] == "this session strategy has no refresh tokens"


# --- revocable: denylist, token version, rotation -----------------------------------------------


def revocable(servers: int = 3) -> tuple[lab.Lab, SessionStore]:
    shop = make_lab("jwt-revocable", servers=servers)
    assert shop.store is not None
    return shop, shop.store


def test_logout_puts_the_token_on_the_denylist_for_its_remaining_lifetime() -> None:
    shop, store = revocable()
    with SimClock() as clock:
        client, body = login(shop.balancer)
        claims = peek(body["access_token"])["payload"]
        clock.advance(100)
        assert client.post("/logout", headers=bearer(body["access_token"])).json["revoked"] == claims["jti"]
        key = store.key("deny", claims["jti"])
        assert store.keys("deny:*") == [f"deny:{claims['jti']}"]
        assert store.connect().ttl(key) == 200  # 300 s lifetime - 100 s already gone
        reason = assert_json_error(client.get("/profile", headers=bearer(body["access_token"])), 401)["reason"]
        assert reason.startswith("token revoked") and claims["jti"] in reason
        assert assert_json_error(client.post("/refresh", json={"refresh_token": body["refresh_token"]}),
                                 401)["reason"].startswith("session ended")
        clock.advance(200)  # exp == now: PyJWT refuses the token from this second on ...
        assert assert_json_error(client.get("/profile", headers=bearer(body["access_token"])), 401)["reason"].startswith(
            "token expired")
        clock.advance(1)  # ... and the store drops the entry once its TTL has run out
        assert store.count("deny:*") == 0


def test_the_denylist_stays_bounded_as_tokens_expire() -> None:
    shop, store = revocable()
    sizes = []
    with SimClock() as clock:
        for i in range(10):
            client, body = login(shop.balancer, {"user": f"user{i:03d}", "password": f"pass{i:03d}"})
            client.post("/logout", headers=bearer(body["access_token"]))
            sizes.append(store.count("deny:*"))
            clock.advance(61)  # a 300 s token is revoked every 61 s: at most 5 are alive at once
        strategy = shop.cluster.server("s1").strategy
        assert isinstance(strategy, RevocableJWTSessions) and len(strategy.denylist()) == 4
    assert sizes == [1, 2, 3, 4, 5, 5, 5, 5, 5, 5]


def test_an_older_access_token_of_a_logged_out_session_is_refused_too() -> None:
    shop, _ = revocable()
    with SimClock():
        client, body = login(shop.balancer)
        newer = client.post("/cart", json={"item": "tea"}, headers=bearer(body["access_token"])).json
        client.post("/logout", headers=bearer(newer["access_token"]))
        reason = assert_json_error(client.get("/profile", headers=bearer(body["access_token"])), 401)["reason"]
    assert reason.startswith("session ended")


def test_revoke_one_token_by_hand() -> None:
    shop, store = revocable(servers=1)
    strategy = shop.cluster.server("s1").strategy
    assert isinstance(strategy, RevocableJWTSessions)
    with SimClock():
        client, body = login(shop.balancer)
        claims = strategy.tokens.verify(body["access_token"])
        assert strategy.revoke(claims, why="leaked") == f"deny:{claims['jti']}"  # after the prefix
        reason = assert_json_error(client.get("/profile", headers=bearer(body["access_token"])), 401)["reason"]
    assert "denylist (leaked)" in reason


def test_logout_everywhere_bumps_the_token_version() -> None:
    shop, store = revocable()
    with SimClock() as clock:
        phone, on_phone = login(shop.balancer)
        laptop, on_laptop = login(shop.balancer)
        _, bobs = login(shop.balancer, BOB)
        r = laptop.post("/logout-everywhere", headers=bearer(on_laptop["access_token"]))
        assert r.status_code == 200 and r.json["token_version"] == 1 and r.json["logged_out_everywhere"] == "alice"
        assert store.connect().get(store.key("token-version", "alice")) == "1"
        for token in (on_phone["access_token"], on_laptop["access_token"]):
            reason = assert_json_error(phone.get("/profile", headers=bearer(token)), 401)["reason"]
            assert "logged out everywhere" in reason
        assert "logged out everywhere" in assert_json_error(
            phone.post("/refresh", json={"refresh_token": on_phone["refresh_token"]}), 401)["reason"]
        assert phone.get("/profile", headers=bearer(bobs["access_token"])).status_code == 200  # bob is untouched
        clock.advance(1)
        _, again = login(shop.balancer)
        assert peek(again["access_token"])["payload"]["ver"] == 1
        assert phone.get("/profile", headers=bearer(again["access_token"])).status_code == 200


def test_refresh_rotates_the_refresh_token() -> None:
    shop, store = revocable()
    with SimClock() as clock:
        client, body = login(shop.balancer)
        first = peek(body["refresh_token"])["payload"]
        clock.advance(301)
        r = client.post("/refresh", json={"refresh_token": body["refresh_token"]})
        assert r.status_code == 200
        second = peek(r.json["refresh_token"])["payload"]
        assert second["sid"] == first["sid"] and second["jti"] != first["jti"]
        family = json.loads(store.connect().get(store.key("token-family", first["sid"])))
        assert family == {"user": "alice", "access": peek(r.json["access_token"])["payload"]["jti"],
                          "refresh": second["jti"]}
        assert client.get("/profile", headers=bearer(r.json["access_token"])).status_code == 200
        r2 = client.post("/refresh", json={"refresh_token": r.json["refresh_token"]})
        assert r2.status_code == 200


def test_a_replayed_refresh_token_revokes_the_whole_family() -> None:
    shop, store = revocable()
    with SimClock() as clock:
        victim, body = login(shop.balancer)
        stolen = body["refresh_token"]
        clock.advance(10)
        rotated = victim.post("/refresh", json={"refresh_token": stolen}).json  # the victim refreshes first
        attacker = Client(shop.balancer)
        reason = assert_json_error(attacker.post("/refresh", json={"refresh_token": stolen}), 401)["reason"]
        assert reason.startswith("refresh token reuse detected")
        # every token of the family is dead now, the victim's current ones included
        for request in (lambda: victim.get("/profile", headers=bearer(rotated["access_token"])),
                        lambda: victim.get("/profile", headers=bearer(body["access_token"])),
                        lambda: victim.post("/refresh", json={"refresh_token": rotated["refresh_token"]})):
            assert assert_json_error(request(), 401)["reason"].startswith("session ended")
        assert store.count("token-family:*") == 0
        caught = sum(s.strategy.reuse_detected for s in shop.cluster.servers.values())  # type: ignore[attr-defined]
        assert caught == 1
        _, again = login(shop.balancer)  # logging in again starts a new family
        assert victim.get("/profile", headers=bearer(again["access_token"])).status_code == 200


def test_the_attacker_refreshing_first_is_caught_when_the_victim_refreshes() -> None:
    shop, _ = revocable()
    with SimClock():
        victim, body = login(shop.balancer)
        attacker = Client(shop.balancer)
        theirs = attacker.post("/refresh", json={"refresh_token": body["refresh_token"]}).json
        assert attacker.get("/profile", headers=bearer(theirs["access_token"])).status_code == 200
        assert_json_error(victim.post("/refresh", json={"refresh_token": body["refresh_token"]}), 401)
        assert attacker.get("/profile", headers=bearer(theirs["access_token"])).status_code == 401
        assert attacker.post("/refresh", json={"refresh_token": theirs["refresh_token"]}).status_code == 401


def test_one_store_round_trip_per_verified_request() -> None:
    shop, _ = revocable(servers=1)
    strategy = shop.cluster.server("s1").strategy
    assert isinstance(strategy, RevocableJWTSessions)
    with SimClock():
        client, body = login(shop.balancer)
        after_login = strategy.store_round_trips
        for _ in range(5):
            client.get("/profile", headers=bearer(body["access_token"]))
    assert after_login == 2  # ids + token version in one pipeline, then the family record
    assert strategy.store_round_trips - after_login == 5
    assert repr(strategy) == "RevocableJWTSessions(HS256, bearer, access 300 s, refresh 3600 s)"


# --- the store is down: fail closed ------------------------------------------------------------


def test_store_outage_fails_closed_with_503_and_recovers() -> None:
    shop, store = revocable()
    with SimClock():
        client, body = login(shop.balancer)
        with store.outage():
            for response in (client.get("/profile", headers=bearer(body["access_token"])),
                             client.post("/cart", json={"item": "tea"}, headers=bearer(body["access_token"])),
                             client.post("/refresh", json={"refresh_token": body["refresh_token"]}),
                             client.post("/logout", headers=bearer(body["access_token"])),
                             Client(shop.balancer).post("/login", json=BOB)):
                reason = assert_json_error(response, 503)["reason"]
                assert "fail closed" in reason
            # a token that fails PyJWT's own checks is still a 401: no store needed to refuse it
            assert_json_error(client.get("/profile", headers=bearer("not-a-jwt")), 401)
        assert client.get("/profile", headers=bearer(body["access_token"])).status_code == 200
        assert client.post("/refresh", json={"refresh_token": body["refresh_token"]}).status_code == 200


def test_journeys_during_an_outage_fail_closed_not_open() -> None:
    shop = make_lab("jwt-revocable", users=20, seed=3)
    assert shop.store is not None
    shop.store.go_down()
    run = shop.run_journeys(steps=2)
    shop.store.come_back()
    assert run.share_kept == 0.0 and {r.status for r in run.records} == {503}


# --- garbage: always a 4xx JSON answer, never a 500 --------------------------------------------


GARBAGE_HEADERS = ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-jwt", "Bearer a.b.c",
                   "Bearer eyJ!.eyJ.x", "Bearer ..", "Bearer e30.e30.", "Token abc", "bearer",
                   "Bearer " + "a" * (MAX_TOKEN_LENGTH + 1), "Bearer " + "A" * 100_000, "x" * 100_000]


@pytest.mark.parametrize("strategy", ["jwt", "jwt-revocable"])
@pytest.mark.parametrize("header", GARBAGE_HEADERS, ids=lambda h: h[:20] or "empty")
def test_garbage_authorization_headers_are_401_json(strategy: str, header: str) -> None:
    shop = make_lab(strategy)
    with SimClock():
        response = Client(shop.balancer).get("/profile", headers={"Authorization": header})
    assert_json_error(response, 401)


def test_missing_authorization_header_is_not_logged_in() -> None:
    body = assert_json_error(Client(make_lab("jwt").balancer).get("/profile"), 401)
    assert body["reason"].startswith("not logged in")


@pytest.fixture(scope="module")
def fuzz_labs() -> dict[str, lab.Lab]:
    return {name: make_lab(name, servers=1) for name in JWT_STRATEGIES}


HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=200)


@FUZZ
@given(header=st.one_of(HEADER_TEXT, HEADER_TEXT.map(lambda t: "Bearer " + t),
                        st.lists(st.text("ABCDEFabcdef0123456789-_=", max_size=40), min_size=2, max_size=4)
                        .map(lambda parts: "Bearer " + ".".join(parts))),
       strategy=st.sampled_from(["jwt", "jwt-revocable"]),
       path=st.sampled_from([("GET", "/profile"), ("POST", "/cart"), ("POST", "/logout"),
                             ("POST", "/logout-everywhere")]))
def test_fuzzed_authorization_headers_never_500(fuzz_labs, header: str, strategy: str, path: tuple[str, str]) -> None:
    method, url = path
    with SimClock():
        response = Client(fuzz_labs[strategy].balancer).open(url, method=method, json={"item": "tea"},
                                                             headers={"Authorization": header})
    assert_json_error(response, 401)


@FUZZ
@given(body=st.one_of(st.none(), st.integers(), st.text(max_size=30), st.lists(st.integers(), max_size=3),
                      st.fixed_dictionaries({"refresh_token": st.one_of(st.none(), st.integers(), st.text(max_size=60),
                                                                        st.lists(st.text(max_size=5), max_size=2))})),
       strategy=st.sampled_from(["jwt", "jwt-revocable"]))
def test_fuzzed_refresh_bodies_never_500(fuzz_labs, body: object, strategy: str) -> None:
    with SimClock():
        response = Client(fuzz_labs[strategy].balancer).post("/refresh", json=body)
    assert_json_error(response, 401)


@pytest.mark.parametrize("data", [b"{", b"[" * 60_000, b"\xff\xfe", b'{"refresh_token": "\\ud800"}'])
def test_broken_refresh_bodies_are_401(data: bytes) -> None:
    response = Client(make_lab("jwt").balancer).post("/refresh", data=data, content_type="application/json")
    assert_json_error(response, 401)


@FUZZ
@given(value=st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=';,"\\'), max_size=300))
def test_fuzzed_token_cookies_never_get_in(fuzz_labs, value: str) -> None:
    client = Client(fuzz_labs["jwt-cookie"].balancer)
    client.set_cookie(ACCESS_COOKIE, value)
    client.set_cookie(REFRESH_COOKIE, value, path=REFRESH_PATH)
    with SimClock():
        assert_json_error(client.get("/profile"), 401)
        assert_json_error(client.post("/refresh"), 401)


def test_sessions_are_token_sessions_with_roles_and_claims() -> None:
    shop = make_lab("jwt", servers=1)
    strategy = shop.cluster.server("s1").strategy
    with SimClock():
        _, body = login(shop.balancer)
        with shop.cluster.server("s1").app.test_request_context(headers=bearer(body["access_token"])):
            from flask import request

            session = strategy.load(shop.cluster.server("s1").app, request)
    assert isinstance(session, TokenSession)
    assert session.user == "alice" and session.roles == ["customer", "admin"] and session.id.startswith("sid_")
    assert session.claims["jti"] == shop.ids_for("s1", 1)() and session.data() == {"user": "alice", "cart": []}


@pytest.mark.parametrize("options", [{"access_lifetime": 0}, {"access_lifetime": 600, "refresh_lifetime": 60},
                                     {"carrier": "pigeon"}])
def test_bad_options_are_refused(options: dict) -> None:
    with pytest.raises(ValueError):
        make_strategy(JWTSessions, **options)


def test_the_cookie_class_is_the_cookie_carrier() -> None:
    assert make_strategy(JWTCookieSessions).carrier.name == "cookie"
    assert make_strategy(JWTSessions, carrier="cookie").carrier.name == "cookie"
    assert repr(make_strategy(JWTCookieSessions)) == "JWTCookieSessions(HS256, cookie, access 300 s, refresh 3600 s)"


# --- lesson 03's experiments -------------------------------------------------------------------


def test_journeys_under_churn_only_client_side_sessions_survive() -> None:
    table = lab.experiments.journeys_under_churn(users=60, steps=6)
    kept = {(row["strategy"], row["policy"]): row["share kept"] for row in table.rows}
    assert kept[("jwt", "round-robin")] == 1.0 and kept[("signed-cookie", "round-robin")] == 1.0
    assert kept[("memory", "round-robin")] < 0.05 and kept[("memory", "sticky")] < 0.05  # the rolling restart
    assert table.rows == lab.experiments.journeys_under_churn(users=60, steps=6).rows  # seeded: it repeats


def test_memory_per_server_compares_any_setups() -> None:
    table = lab.experiments.memory_per_server(user_counts=(0, 40), setups=(("memory", "sticky"), ("jwt", "round-robin")))
    assert table.columns == ["users", "memory", "jwt"]
    assert table.column("jwt") == [0, 0] and table.column("memory")[1] > 0


@pytest.mark.parametrize("how", ["revoke", "logout"])
def test_a_revoked_token_stays_refused_through_the_leeway_after_exp(how: str) -> None:
    """A denylist entry must outlive the token by the verifier's leeway, or the token works again after exp."""
    shop = make_lab(RevocableJWTSessions.configured(leeway=5), servers=1)
    strategy = shop.cluster.server("s1").strategy
    assert isinstance(strategy, RevocableJWTSessions) and shop.store is not None
    with SimClock() as clock:
        client, body = login(shop.balancer)
        token = body["access_token"]
        clock.advance(100)
        if how == "revoke":
            strategy.revoke(strategy.tokens.verify(token), why="leaked")
        else:
            assert client.post("/logout", headers=bearer(token)).status_code == 200
        assert shop.store.connect().ttl(shop.store.key("deny", peek(token)["payload"]["jti"])) == 205
        for t in (299, 300, 301, 304):  # PyJWT with leeway 5 accepts the token until exp + 5 = 305
            clock.advance(t - clock.elapsed)
            reason = assert_json_error(client.get("/profile", headers=bearer(token)), 401)["reason"]
            assert reason.startswith("token revoked"), (t, reason)
        clock.advance(305 - clock.elapsed)
        assert assert_json_error(client.get("/profile", headers=bearer(token)), 401)["reason"].startswith("token expired")


# --- bad input that reaches the store -----------------------------------------------------------


def test_a_signed_token_with_an_absurd_exp_is_logged_out_not_a_500() -> None:
    shop, store = revocable(servers=1)
    strategy = shop.cluster.server("s1").strategy
    with SimClock():
        client, body = login(shop.balancer)
        claims = peek(body["access_token"])["payload"] | {"exp": 10**18}  # correctly signed with the server's key
        absurd = jwt.encode(claims, lab.keys.DEMO_HMAC_SECRET, algorithm="HS256")
        response = client.post("/logout", headers=bearer(absurd))
        assert response.status_code == 200, response.get_data()
        ttl = store.connect().ttl(store.key("deny", claims["jti"]))
        assert 0 < ttl <= strategy.longest_lifetime == strategy.refresh_lifetime


def test_a_store_error_that_is_not_an_outage_is_a_503(monkeypatch: pytest.MonkeyPatch) -> None:
    import redis

    shop, _store = revocable(servers=1)
    strategy = shop.cluster.server("s1").strategy
    with SimClock():
        client, body = login(shop.balancer)

        def refuse(*args: object, **kwargs: object) -> None:
            raise redis.ResponseError("ERR invalid expire time in 'set' command")

        monkeypatch.setattr(strategy.redis, "mget", refuse)
        body = assert_json_error(client.get("/profile", headers=bearer(body["access_token"])), 503)
    assert body["reason"] == "session store error: it refused the command (ResponseError)"


@pytest.mark.parametrize("token", ["a.b.c", "not-a-jwt", "e30.e30.", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.sig"])
def test_reasons_are_the_courses_words_and_the_detail_is_pyjwts_class(token: str) -> None:
    shop = make_lab("jwt", servers=1)
    with SimClock():
        body = assert_json_error(Client(shop.balancer).get("/profile", headers=bearer(token)), 401)
    known = tuple(reason for _cls, _code, reason in lab.tokens.REASONS)
    assert body["reason"].startswith(known) and len(body["reason"]) < 100, body
    assert body["detail"] in {"DecodeError", "InvalidTokenError", "InvalidSignatureError", "InvalidAlgorithmError"}
