"""The store session strategy (labsupport/sessions/store.py) and lesson 06's measurements.

Like tests/test_store.py, these run on the embedded store by default and against a real Redis
when ``REDIS_URL`` is set; tests of expiry use an embedded store explicitly, because simulated
time moves fakeredis's clock and never a real Redis's. Keys live under a per-test prefix.
"""
from __future__ import annotations

import base64
import json
import re
import warnings
from collections.abc import Iterator

import pytest
import redis
from flask import Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client, TestResponse

from labsupport import (
    STRATEGIES,
    Cluster,
    InMemorySessions,
    Lab,
    LabError,
    Session,
    SessionRejected,
    SessionStore,
    SimClock,
    StoreSessions,
    store_experiments,
)
from labsupport.ids import SecretIds
from labsupport.sessions import StrategySpec, new_session_id
from labsupport.sessions.store import DEFAULT_TTL, SESSION_ID_SHAPE
from shop_support import context, make_shop, make_strategy
from store_support import unique_prefix

ALICE = {"user": "alice", "password": "alice-password"}
BOB = {"user": "bob", "password": "bob-password"}
UNAVAILABLE = {"error": "service unavailable", "reason": "session store unavailable"}
SANITIZE = re.compile(r"sid_[A-Za-z0-9_-]{20,}")  # tests/nbval_sanitize.cfg
FUZZ = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture
def embedded() -> SessionStore:
    """The embedded store, whatever REDIS_URL says: for anything that depends on expiry."""
    return SessionStore(prefix=unique_prefix())


def shop(store: SessionStore, name: str = "s1", **options: object):
    return make_shop(StoreSessions, store=store, **options, name=name)


def raw(app, method: str, path: str, *, cookie: str | None = None, **kwargs) -> TestResponse:
    """One request with exactly the Cookie header given (no cookie jar)."""
    headers = {"Cookie": cookie} if cookie is not None else {}
    return Client(app, use_cookies=False).open(path, method=method, headers=headers, **kwargs)


def login(app, credentials: dict = ALICE) -> tuple[Client, str]:
    client = Client(app)
    response = client.post("/login", json=credentials)
    assert response.status_code == 200, response.get_data()
    cookie = client.get_cookie("sid")
    assert cookie is not None
    return client, cookie.value


def assert_json_error(response: TestResponse, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data()[:200])
    assert response.mimetype == "application/json"
    body = json.loads(response.get_data())
    assert set(body) == {"error", "reason"} and body["reason"]
    return body


# --- registration -----------------------------------------------------------------------


def test_registered_as_store_and_needs_one() -> None:
    assert STRATEGIES["store"] == StrategySpec(StoreSessions)
    assert StoreSessions.needs_store and not StoreSessions.stateful
    with pytest.raises(LabError, match="needs a session store"):
        STRATEGIES["store"].build(context("s1"))


def test_each_server_opens_its_own_client_of_the_one_store(store: SessionStore) -> None:
    cluster = Cluster(3, strategy="store", store=store)
    strategies = [s.strategy for s in cluster.servers.values()]
    assert all(isinstance(s, StoreSessions) and s.store is store for s in strategies)
    assert len({id(s.redis) for s in strategies}) == 3
    assert cluster.sessions_held() == {"s1": 0, "s2": 0, "s3": 0}
    assert cluster.memory() == {"s1": 0, "s2": 0, "s3": 0}
    assert repr(strategies[0]) == f"StoreSessions(ttl={DEFAULT_TTL}, secure=False)"


def test_the_lab_builds_a_store_for_it() -> None:
    lab = Lab(servers=2, strategy="store", users=3, seed=5)
    assert isinstance(lab.store, SessionStore)
    assert lab.run_journeys(steps=3).share_kept == 1.0


def test_the_strategy_client_fails_fast(store: SessionStore) -> None:
    client = make_strategy(StoreSessions, store=store).redis
    connection = client.connection_pool.get_connection()
    try:
        assert connection.retry.get_retries() == 0
        if not store.embedded:
            assert connection.socket_timeout == connection.socket_connect_timeout <= 1
    finally:
        client.connection_pool.release(connection)


# --- ids and cookies ----------------------------------------------------------------------


def test_session_ids_carry_128_random_bits_and_never_repeat() -> None:
    ids = [new_session_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    for sid in ids[:200]:
        assert sid.startswith("sid_") and SESSION_ID_SHAPE.fullmatch(sid)
        assert len(base64.urlsafe_b64decode(sid[4:] + "==")) * 8 == 128
        assert SANITIZE.fullmatch(sid)  # the stored notebook shows it as sid_<random>
    # every bit position varies: nothing fixed hides in the randomness
    bits = [int.from_bytes(base64.urlsafe_b64decode(s[4:] + "=="), "big") for s in ids]
    ones = [sum((b >> i) & 1 for b in bits) for i in range(128)]
    assert all(0.4 * len(ids) < n < 0.6 * len(ids) for n in ones)


def test_the_strategy_uses_the_real_ids_by_default(store: SessionStore) -> None:
    strategy = make_strategy(StoreSessions, store=store, ids=SecretIds())
    assert [len(strategy.new_id()) for _ in range(3)] == [26, 26, 26] and strategy.new_id() != strategy.new_id()
    client, sid = login(shop(store))
    assert SESSION_ID_SHAPE.fullmatch(sid) and len(sid) == 26


def test_logins_get_distinct_ids(store: SessionStore) -> None:
    app = shop(store)
    ids = {login(app)[1] for _ in range(50)}
    assert len(ids) == 50


def test_cookie_flags_httponly_samesite_lax_no_secure_by_default(store: SessionStore) -> None:
    response = Client(shop(store)).post("/login", json=ALICE)
    cookie = response.headers["Set-Cookie"]
    attributes = [a.strip() for a in cookie.split(";")]
    assert attributes[0].startswith("sid=sid_")
    assert "HttpOnly" in attributes and "SameSite=Lax" in attributes and "Path=/" in attributes
    assert "Secure" not in attributes
    assert not any(a.startswith(("Expires", "Max-Age")) for a in attributes)  # a browser-session cookie
    assert "alice" not in cookie  # the cookie holds an id, nothing about the user


def test_secure_flag_when_asked(store: SessionStore) -> None:
    app = shop(store, secure=True)
    response = Client(app).post("/login", json=ALICE)
    assert "Secure" in [a.strip() for a in response.headers["Set-Cookie"].split(";")]
    sid = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    logout = raw(app, "POST", "/logout", cookie=f"sid={sid}", base_url="https://localhost")
    assert logout.status_code == 200 and "Secure" in logout.headers["Set-Cookie"]


# --- where the data lives ---------------------------------------------------------------------


def test_session_is_json_under_the_session_key_with_the_ttl(store: SessionStore) -> None:
    app = shop(store)
    client, sid = login(app)
    client.post("/cart", json={"item": "tea"})
    reader = store.connect()
    assert json.loads(reader.get(store.key("session", sid))) == {"user": "alice", "cart": ["tea"]}
    assert DEFAULT_TTL - 1 <= reader.ttl(store.key("session", sid)) <= DEFAULT_TTL
    assert reader.smembers(store.key("user", "alice")) == {sid}
    assert reader.ttl(store.key("user", "alice")) == -1  # the index has no TTL (see _prune_index)
    assert store.keys() == sorted([f"session:{sid}", "user:alice"])  # relative to the store's prefix


def test_writes_use_set_with_ex_never_setex(store: SessionStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("setex is deprecated: use set(key, value, ex=ttl)")

    monkeypatch.setattr(redis.Redis, "setex", forbidden)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client, _ = login(shop(store))
        assert client.post("/cart", json={"item": "tea"}).status_code == 200
        assert client.post("/logout").status_code == 200


def test_any_server_reads_any_session(store: SessionStore) -> None:
    apps = [shop(store, f"s{i}") for i in (1, 2, 3)]
    _, sid = login(apps[0])
    for i, app in enumerate(apps):
        response = raw(app, "POST", "/cart", cookie=f"sid={sid}", json={"item": f"item{i}"})
        assert response.status_code == 200
    assert raw(apps[2], "GET", "/cart", cookie=f"sid={sid}").json["cart"] == ["item0", "item1", "item2"]


def test_journeys_survive_kills_restarts_and_scale_out_under_round_robin(store: SessionStore) -> None:
    lab = Lab(servers=3, strategy="store", policy="round-robin", users=60, seed=3, store=store)
    run = lab.run_journeys(6, events={2: "kill s1", 3: "revive s1", 4: "add_server", 5: ["restart s2", "rolling_restart"]})
    assert run.share_kept == 1.0 and len(run.records) == 360
    assert set(run.served()) == {"s1", "s2", "s3", "s4"}


def test_journeys_under_events_table() -> None:
    table = store_experiments.journeys_under_events(events={2: "kill s1", 4: "add_server"}, users=60, steps=5)
    kept = {(r["sessions"], r["balancer"]): r["journeys kept"] for r in table.rows}
    assert kept[("store", "round-robin")] == 60
    assert kept[("memory", "round-robin")] < 10 and kept[("memory", "sticky")] < 60


# --- rotation at login (fixation) -----------------------------------------------------------------


def test_a_new_login_rotates_the_id_and_deletes_the_old_one(store: SessionStore) -> None:
    app = shop(store)
    client, first = login(app)
    client.post("/cart", json={"item": "tea"})
    second = client.post("/login", json=ALICE)
    assert second.status_code == 200
    new = client.get_cookie("sid").value  # type: ignore[union-attr]
    assert new != first
    assert store.count("session:*") == 1
    assert_json_error(raw(app, "GET", "/cart", cookie=f"sid={first}"), 401)
    assert raw(app, "GET", "/cart", cookie=f"sid={new}").json["cart"] == []


def test_a_planted_id_is_useless_after_login(store: SessionStore) -> None:
    app = shop(store)
    planted = "sid_attacker-planted-0001"
    victim = Client(app)
    victim.set_cookie("sid", planted)
    assert victim.post("/login", json=ALICE).status_code == 200
    issued = victim.get_cookie("sid").value  # type: ignore[union-attr]
    assert issued != planted
    assert_json_error(raw(app, "GET", "/cart", cookie=f"sid={planted}"), 401)
    assert store.connect().exists(store.key("session", planted)) == 0


class KeepsPresentedId(StoreSessions):
    """The mistake lesson 06 demonstrates: keep the id the browser arrived with."""

    def session_id_for_login(self, presented: str | None) -> str:
        return presented or self.new_id()


def test_without_rotation_the_planted_id_takes_over(store: SessionStore) -> None:
    app = make_shop(KeepsPresentedId, store=store, name="s1")
    planted = "sid_attacker-planted-0001"
    victim = Client(app)
    victim.set_cookie("sid", planted)
    victim.post("/login", json=ALICE)
    victim.post("/cart", json={"item": "ring"})
    stolen = raw(app, "GET", "/cart", cookie=f"sid={planted}")
    assert stolen.status_code == 200 and stolen.json["user"] == "alice" and stolen.json["cart"] == ["ring"]


def test_a_login_never_overwrites_a_live_session(store: SessionStore) -> None:
    draws = iter(["sid_same", "sid_same", "sid_other"])
    app = shop(store, new_id=lambda: next(draws))
    _, first = login(app, ALICE)
    _, second = login(app, BOB)
    assert (first, second) == ("sid_same", "sid_other")
    assert raw(app, "GET", "/profile", cookie="sid=sid_same").json["user"] == "alice"


def test_no_unused_id_gives_503_not_a_takeover(store: SessionStore) -> None:
    app = shop(store, new_id=lambda: "sid_always-the-same")
    login(app, ALICE)
    assert_json_error(Client(app).post("/login", json=BOB), 503)
    assert raw(app, "GET", "/profile", cookie="sid=sid_always-the-same").json["user"] == "alice"


# --- revocation -----------------------------------------------------------------------------------


def test_logout_deletes_the_key_and_every_server_refuses_it_at_once(store: SessionStore) -> None:
    apps = [shop(store, f"s{i}") for i in (1, 2, 3)]
    laptop, sid = login(apps[0])
    _, phone = login(apps[1])
    assert laptop.post("/logout").status_code == 200
    assert store.connect().exists(store.key("session", sid)) == 0
    for app in apps:
        assert_json_error(raw(app, "GET", "/profile", cookie=f"sid={sid}"), 401)
        assert raw(app, "GET", "/profile", cookie=f"sid={phone}").status_code == 200
    assert store.connect().smembers(store.key("user", "alice")) == {phone}


def test_deleting_the_key_revokes(store: SessionStore) -> None:
    app = shop(store)
    _, sid = login(app)
    store.connect().delete(store.key("session", sid))
    body = assert_json_error(raw(app, "GET", "/cart", cookie=f"sid={sid}"), 401)
    assert body["reason"].startswith("session not found")


def test_a_write_never_resurrects_a_revoked_session(store: SessionStore) -> None:
    strategy = make_strategy(StoreSessions, store=store)
    app = make_shop(name="s1", strategy=strategy)
    _, sid = login(app)
    store.connect().delete(store.key("session", sid))
    with app.test_request_context("/cart", method="POST") as context:
        with pytest.raises(SessionRejected) as caught:
            strategy.save(app, Session(user="alice", cart=["x"], id=sid), context.request, Response())
    assert caught.value.status == 401
    assert store.count("session:*") == 0


def test_log_out_everywhere(store: SessionStore) -> None:
    apps = [shop(store, f"s{i}") for i in (1, 2, 3)]
    devices = [login(apps[i])[0] for i in range(3)]
    _, bob = login(apps[0], BOB)
    assert store.count("session:*") == 4
    response = devices[1].post("/logout-everywhere")
    assert response.status_code == 200
    assert response.json["logged_out_everywhere"] == "alice" and response.json["sessions_ended"] == 3
    for device in devices:
        assert_json_error(device.get("/profile"), 401)
    assert raw(apps[2], "GET", "/profile", cookie=f"sid={bob}").json["user"] == "bob"
    assert store.count("session:*") == 1 and store.count("user:alice") == 0


def test_log_out_everywhere_elsewhere_is_a_400_and_needs_a_session(store: SessionStore) -> None:
    memory = make_shop(InMemorySessions, name="s1")
    client = Client(memory)
    assert_json_error(client.post("/logout-everywhere"), 401)
    client.post("/login", json=ALICE)
    body = assert_json_error(client.post("/logout-everywhere"), 400)
    assert "cannot log a user out everywhere" in body["reason"]
    assert client.get("/profile").status_code == 200  # nothing was ended
    assert_json_error(raw(shop(store), "POST", "/logout-everywhere"), 401)


def test_sessions_of_lists_live_sessions(store: SessionStore) -> None:
    strategy = make_strategy(StoreSessions, store=store)
    app = make_shop(name="s1", strategy=strategy)
    ids = sorted(login(app)[1] for _ in range(3))
    assert strategy.sessions_of("alice") == ids
    store.connect().delete(store.key("session", ids[0]))
    assert strategy.sessions_of("alice") == ids[1:]
    assert strategy.sessions_of("nobody") == []


# --- expiry (embedded: simulated time moves only fakeredis's clock) -------------------------------


def test_idle_sessions_expire_after_the_ttl(embedded: SessionStore) -> None:
    app = shop(embedded, ttl=60)
    with SimClock() as clock:
        client, sid = login(app)
        assert embedded.connect().ttl(embedded.key("session", sid)) == 60
        clock.advance(59)
        assert client.get("/profile").status_code == 200
        clock.advance(61)
        body = assert_json_error(client.get("/profile"), 401)
        assert body["reason"].startswith("session not found")
        assert embedded.count("session:*") == 0


def test_sliding_expiry_renews_on_every_use(embedded: SessionStore) -> None:
    app = shop(embedded, ttl=60)
    with SimClock() as clock:
        active, sid = login(app)
        idle, _ = login(app, BOB)
        for _ in range(10):  # ten minutes of activity, never 60 s apart
            clock.advance(50)
            assert active.get("/cart").status_code == 200
            assert embedded.connect().ttl(embedded.key("session", sid)) == 60
        assert_json_error(idle.get("/cart"), 401)


def test_log_out_everywhere_finds_a_session_kept_alive_far_past_its_ttl(embedded: SessionStore) -> None:
    app = shop(embedded, ttl=60)
    with SimClock() as clock:
        client, _ = login(app)
        for _ in range(30):
            clock.advance(55)
            assert client.get("/profile").status_code == 200
        assert client.post("/logout-everywhere").json["sessions_ended"] == 1
        assert embedded.count() == 0


def test_login_prunes_expired_ids_from_the_index(embedded: SessionStore) -> None:
    app = shop(embedded, ttl=60)
    with SimClock() as clock:
        for _ in range(3):
            login(app)
        clock.advance(61)
        _, fresh = login(app)
        assert embedded.connect().smembers(embedded.key("user", "alice")) == {fresh}


def test_sliding_exercise_statuses() -> None:
    from labsupport.exercises import lesson06

    assert lesson06.sliding_statuses() == [200, 200, 200, 401, 401]


# --- outage: fail closed, fast, lose nothing -------------------------------------------------------


def test_store_outage_is_503_json_for_every_session_route_and_nothing_is_lost(store: SessionStore) -> None:
    apps = [shop(store, f"s{i}") for i in (1, 2, 3)]
    client, sid = login(apps[0])
    client.post("/cart", json={"item": "tea"})
    login(apps[1], BOB)
    before = store.count()
    with store.outage():
        for app in apps:
            assert raw(app, "GET", "/").status_code == 200  # pages without a session still work
            for method, path in (("GET", "/profile"), ("GET", "/cart"), ("POST", "/cart"), ("POST", "/logout"),
                                 ("POST", "/logout-everywhere")):
                response = raw(app, method, path, cookie=f"sid={sid}", json={"item": "cake"})
                assert response.status_code == 503 and response.json == UNAVAILABLE
            login_response = Client(app).post("/login", json=ALICE)
            assert login_response.status_code == 503 and login_response.json == UNAVAILABLE
            assert "Set-Cookie" not in login_response.headers
    assert store.count() == before
    assert raw(apps[2], "GET", "/cart", cookie=f"sid={sid}").json["cart"] == ["tea"]  # the cake never landed


def test_a_timeout_is_503_too(store: SessionStore, monkeypatch: pytest.MonkeyPatch) -> None:
    strategy = make_strategy(StoreSessions, store=store)
    app = make_shop(name="s1", strategy=strategy)
    _, sid = login(app)

    def slow(*args: object, **kwargs: object) -> None:
        raise redis.TimeoutError("Timeout reading from socket")

    monkeypatch.setattr(strategy.redis, "getex", slow)
    assert raw(app, "GET", "/profile", cookie=f"sid={sid}").json == UNAVAILABLE


def test_outage_run_loses_nothing() -> None:
    result = store_experiments.outage_run(servers=3, users=30, rounds=7, down=(2, 3), seed=4)
    assert result.sessions_before == result.sessions_after == 30
    assert result.carts_intact == 30
    assert set(result.statuses) == {200, 503}
    assert result.statuses[503] == 60 and result.statuses[200] == 30 * 5
    assert [r["store"] for r in result.table.rows] == ["up", "up", "down", "down", "up", "up", "up"]
    assert all(r["other"] == 0 for r in result.table.rows)


# --- garbage cookies: 4xx JSON, never 500, never a store round trip for junk ---------------------


@pytest.mark.parametrize("value", ["", "x", "sid_", "sid_" + "A" * 22, "sid_" + "A" * 65, "SID_abc", '"sid_a b"',
                                   "sid_ä", "not.a.cookie", "z" * 20_000, '"sid_abc"', "%00%ff", "sid_*",
                                   "sid_abc\\x00"])
def test_garbage_cookies_are_401(store: SessionStore, value: str) -> None:
    app = shop(store)
    login(app)
    body = assert_json_error(raw(app, "GET", "/profile", cookie=f"sid={value}"), 401)
    assert "not logged in" not in body["reason"]


@pytest.mark.parametrize("stored", ["not json", "[]", '{"user": 1, "cart": []}', '{"cart": []}',
                                    '{"user": "alice", "cart": "tea"}'])
def test_unreadable_stored_data_is_401_not_500(store: SessionStore, stored: str) -> None:
    app = shop(store)
    store.connect().set(store.key("session", "sid_corrupt"), stored, ex=60)
    body = assert_json_error(raw(app, "GET", "/profile", cookie="sid=sid_corrupt"), 401)
    assert body["reason"] == "session data unreadable: refusing it"


COOKIE_TEXT = st.text(st.characters(codec="latin-1", exclude_categories=("Cc",)), max_size=120)


@FUZZ
@given(value=COOKIE_TEXT | st.from_regex(r"sid_[A-Za-z0-9_-]{1,70}", fullmatch=True),
       where=st.sampled_from([("GET", "/profile"), ("GET", "/cart"), ("POST", "/cart"), ("POST", "/logout"),
                              ("POST", "/logout-everywhere")]))
def test_fuzzed_cookies_never_get_in(fuzz_app, value: str, where: tuple[str, str]) -> None:
    app, real = fuzz_app
    if value == real:
        return
    assert_json_error(raw(app, where[0], where[1], cookie=f"sid={value}", json={"item": "tea"}), 401)


@FUZZ
@given(value=COOKIE_TEXT | st.from_regex(r"sid_[A-Za-z0-9_-]{1,70}", fullmatch=True))
def test_fuzzed_cookies_in_an_outage_are_401_or_503_never_500(fuzz_app, fuzz_store, value: str) -> None:
    app, _ = fuzz_app
    with fuzz_store.outage():
        response = raw(app, "GET", "/cart", cookie=f"sid={value}")
    expected = 503 if SESSION_ID_SHAPE.fullmatch(value) else 401  # junk never reaches the store
    assert_json_error(response, expected)


@pytest.fixture(scope="module")
def fuzz_store() -> Iterator[SessionStore]:
    made = SessionStore(prefix=unique_prefix())
    yield made
    made.come_back()
    made.clear()


@pytest.fixture(scope="module")
def fuzz_app(fuzz_store: SessionStore):
    app = shop(fuzz_store)
    _, sid = login(app)
    return app, sid
