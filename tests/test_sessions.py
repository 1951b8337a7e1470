"""Session strategies: where a session lives, what each server holds, and when it is refused."""
from __future__ import annotations

import re
import string
from datetime import timedelta

import pytest
from werkzeug.test import Client, TestResponse

from labsupport import (
    STRATEGIES,
    Cluster,
    InMemorySessions,
    ReplicatedMemorySessions,
    Session,
    SignedCookieSessions,
    SimClock,
    UnknownChoice,
)
from labsupport.sessions import StrategySpec, new_session_id, size_in_bytes, strategy_spec
from shop_support import context, make_shop, make_strategy

ALICE = {"user": "alice", "password": "alice-password"}
BOB = {"user": "bob", "password": "bob-password"}
URLSAFE = set(string.ascii_letters + string.digits + "-_")


def raw(app, method: str, path: str, *, cookie: str | None = None, **kwargs) -> TestResponse:
    """One request with exactly the Cookie header given (no cookie jar)."""
    headers = {"Cookie": cookie} if cookie is not None else {}
    return Client(app, use_cookies=False).open(path, method=method, headers=headers, **kwargs)


def login(app, credentials: dict = ALICE) -> tuple[Client, TestResponse]:
    client = Client(app)
    response = client.post("/login", json=credentials)
    assert response.status_code == 200
    return client, response


# --- in-process memory ----------------------------------------------------------------


def test_memory_strategy_keeps_a_dict_per_server_keyed_by_the_cookie() -> None:
    strategy = make_strategy(InMemorySessions)
    app = make_shop(name="s1", strategy=strategy)
    assert strategy.sessions == {} and strategy.sessions_held() == 0 and strategy.bytes_held() == 0

    client, response = login(app)
    sid = client.get_cookie("sid").value
    assert strategy.sessions == {sid: {"user": "alice", "cart": []}}
    set_cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie

    client.post("/cart", json={"item": "tea"})
    assert strategy.sessions[sid] == {"user": "alice", "cart": ["tea"]}
    assert repr(strategy) == "InMemorySessions(sessions_held=1)"


def test_memory_bytes_held_grows_with_sessions_and_items() -> None:
    strategy = make_strategy(InMemorySessions)
    app = make_shop(name="s1", strategy=strategy)
    sizes = [strategy.bytes_held()]
    alice, _ = login(app, ALICE)
    sizes.append(strategy.bytes_held())
    alice.post("/cart", json={"item": "tea"})
    sizes.append(strategy.bytes_held())
    login(app, BOB)
    sizes.append(strategy.bytes_held())
    assert sizes[0] == 0
    assert sizes == sorted(sizes) and len(set(sizes)) == 4  # strictly growing
    expected = sum(len(sid) + size_in_bytes(data) for sid, data in strategy.sessions.items())
    assert strategy.bytes_held() == expected
    assert strategy.sessions_held() == 2

    alice.post("/logout")
    assert strategy.sessions_held() == 1 and strategy.bytes_held() < sizes[-1]


def test_memory_logout_forgets_the_session_so_a_replayed_id_is_refused() -> None:
    strategy = make_strategy(InMemorySessions)
    app = make_shop(name="s1", strategy=strategy)
    client, _ = login(app)
    sid = client.get_cookie("sid").value
    assert client.post("/logout").status_code == 200
    assert client.get_cookie("sid") is None  # the client was told to drop it
    assert sid not in strategy.sessions
    r = raw(app, "GET", "/profile", cookie=f"sid={sid}")
    assert r.status_code == 401 and "session not found" in r.json["reason"]


def test_session_ids_are_unique_prefixed_and_carry_128_random_bits() -> None:
    ids = [new_session_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for sid in ids:
        assert sid.startswith("sid_")
        token = sid[len("sid_"):]
        assert len(token) == 22  # secrets.token_urlsafe(16): 16 bytes = 128 bits, base64url
        assert set(token) <= URLSAFE
    # Every position but the last (which carries only 2 of the 128 bits) varies widely.
    for position in range(21):
        assert len({sid[4 + position] for sid in ids}) > 40
    assert all(re.fullmatch(r"sid_[A-Za-z0-9_-]{20,}", sid) for sid in ids)  # the notebooks' sanitize pattern


def test_every_login_gets_a_new_session_id() -> None:
    strategy = make_strategy(InMemorySessions)
    app = make_shop(name="s1", strategy=strategy)
    sids = [login(app)[0].get_cookie("sid").value for _ in range(50)]
    assert len(set(sids)) == 50
    assert set(strategy.sessions) == set(sids)


# --- Flask's signed cookie ------------------------------------------------------------


def test_signed_cookie_keeps_nothing_on_the_server() -> None:
    strategy = make_strategy(SignedCookieSessions)
    app = make_shop(name="s1", strategy=strategy)
    client, _ = login(app)
    for item in ["tea", "cake"]:
        assert client.post("/cart", json={"item": item}).status_code == 200
    login(app, BOB)
    assert strategy.sessions_held() == 0 and strategy.bytes_held() == 0
    assert set(vars(strategy)) == {"server", "cookie"}  # its context and Flask's cookie machinery, nothing else
    assert client.get("/cart").json["cart"] == ["tea", "cake"]  # yet the session is there


def test_signed_cookie_is_read_by_another_server_with_the_same_key() -> None:
    s1 = make_shop(SignedCookieSessions, name="s1")
    s2 = make_shop(SignedCookieSessions, name="s2")
    client, _ = login(s1)
    client.post("/cart", json={"item": "tea"})
    cookie = f"session={client.get_cookie('session').value}"
    r = raw(s2, "GET", "/cart", cookie=cookie)
    assert r.status_code == 200
    assert r.json == {"user": "alice", "cart": ["tea"], "server": "s2"}


def test_signed_cookie_is_refused_by_a_server_with_another_key() -> None:
    s1 = make_shop(SignedCookieSessions, name="s1")
    other = make_shop(SignedCookieSessions, name="s9",
                        secret_key="another-secret-key-of-at-least-32-bytes")
    client, _ = login(s1)
    r = raw(other, "GET", "/profile", cookie=f"session={client.get_cookie('session').value}")
    assert r.status_code == 401
    assert r.json == {"error": "unauthorized", "reason": "session cookie rejected: bad signature or expired"}


def test_signed_cookie_logout_only_clears_the_clients_copy() -> None:
    # What lesson 05 is about: the server cannot revoke a self-contained session.
    app = make_shop(SignedCookieSessions, name="s1")
    client, _ = login(app)
    stolen = client.get_cookie("session").value
    assert client.post("/logout").status_code == 200
    assert client.get_cookie("session") is None
    assert client.get("/profile").status_code == 401
    assert raw(app, "GET", "/profile", cookie=f"session={stolen}").status_code == 200


def test_signed_cookie_expires_after_the_session_lifetime() -> None:
    app = make_shop(SignedCookieSessions, name="s1")
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=30)
    with SimClock() as clock:
        client, _ = login(app)
        minted = client.get_cookie("session").value
        cookie = f"session={minted}"

        clock.advance(30 * 60 - 1)
        assert raw(app, "GET", "/profile", cookie=cookie).status_code == 200

        clock.advance(2)  # 30 min + 1 s after login: Flask's own max-age check refuses it
        r = raw(app, "GET", "/profile", cookie=cookie)
        assert r.status_code == 401
        assert r.json["reason"] == "session cookie rejected: bad signature or expired"
        # werkzeug's test jar ignores Expires and still sends it: the server's check is what refuses it.
        r = client.get("/profile")
        assert r.status_code == 401 and r.json["reason"] == "session cookie rejected: bad signature or expired"


def test_signed_cookie_expiry_follows_the_configured_lifetime() -> None:
    app = make_shop(SignedCookieSessions, name="s1", session_lifetime=timedelta(seconds=60))
    with SimClock() as clock:
        client, _ = login(app)
        cookie = f"session={client.get_cookie('session').value}"
        clock.advance(60)
        assert raw(app, "GET", "/profile", cookie=cookie).status_code == 200
        clock.advance(1)
        assert raw(app, "GET", "/profile", cookie=cookie).status_code == 401


def test_signed_cookie_minted_in_simulated_time_is_reproducible() -> None:
    cookies = []
    for _ in range(2):
        app = make_shop(SignedCookieSessions, name="s1")
        with SimClock():
            client, _ = login(app)
            cookies.append(client.get_cookie("session").value)
    assert cookies[0] == cookies[1]


# --- replicated memory ----------------------------------------------------------------


def replicated(n: int = 3) -> Cluster:
    cluster = Cluster(n, strategy="replicated")
    assert all(isinstance(s.strategy, ReplicatedMemorySessions) for s in cluster.servers.values())
    return cluster


def test_replicated_write_is_readable_on_every_other_live_server() -> None:
    cluster = replicated(3)
    client, _ = login(cluster.server("s1").app)
    client.post("/cart", json={"item": "tea"})
    cookie = f"sid={client.get_cookie('sid').value}"
    for name in ["s1", "s2", "s3"]:
        r = raw(cluster.server(name).app, "GET", "/cart", cookie=cookie)
        assert r.status_code == 200
        assert r.json == {"user": "alice", "cart": ["tea"], "server": name}
    # Each server holds its own copy, not a shared object.
    copies = [cluster.server(n).strategy.sessions for n in ["s1", "s2", "s3"]]
    assert copies[0] == copies[1] == copies[2]
    assert len({id(c) for c in copies}) == 3
    assert len({id(c[client.get_cookie("sid").value]) for c in copies}) == 3


def test_replication_costs_one_write_per_peer_per_save() -> None:
    for n in [1, 2, 3, 5]:
        cluster = replicated(n)
        s1 = cluster.server("s1").strategy
        client, _ = login(cluster.server("s1").app)
        assert s1.replication_writes == n - 1
        for saves in range(2, 5):
            client.post("/cart", json={"item": f"item{saves}"})
            assert s1.replication_writes == saves * (n - 1)
        assert all(cluster.server(f"s{i}").strategy.replication_writes == 0 for i in range(2, n + 1))


def test_replicated_logout_is_replicated_too() -> None:
    cluster = replicated(3)
    client, _ = login(cluster.server("s2").app)
    assert cluster.sessions_held() == {"s1": 1, "s2": 1, "s3": 1}
    client.post("/logout")
    assert cluster.sessions_held() == {"s1": 0, "s2": 0, "s3": 0}
    assert cluster.server("s2").strategy.replication_writes == 4  # login 2 + logout 2


def test_a_dead_server_gets_no_replication_and_a_revived_one_gets_a_state_transfer() -> None:
    cluster = replicated(3)
    cluster.kill("s3")
    client, _ = login(cluster.server("s1").app)
    assert cluster.server("s1").strategy.replication_writes == 1  # only s2 is live
    assert cluster.sessions_held() == {"s1": 1, "s2": 1, "s3": 0}

    cluster.revive("s3")
    s3 = cluster.server("s3").strategy
    assert s3.transfers_received == 1
    assert s3.sessions == cluster.server("s1").strategy.sessions
    assert s3.sessions is not cluster.server("s1").strategy.sessions
    cookie = f"sid={client.get_cookie('sid').value}"
    assert raw(cluster.server("s3").app, "GET", "/profile", cookie=cookie).status_code == 200

    # and it is a full peer again: a write on s3 reaches s1 and s2
    r = raw(cluster.server("s3").app, "POST", "/cart", cookie=cookie, json={"item": "tea"})
    assert r.status_code == 200
    assert s3.replication_writes == 2
    assert raw(cluster.server("s1").app, "GET", "/cart", cookie=cookie).json["cart"] == ["tea"]


def test_an_added_replicated_server_starts_with_the_current_table() -> None:
    cluster = replicated(2)
    login(cluster.server("s1").app, ALICE)
    login(cluster.server("s2").app, BOB)
    name = cluster.add_server()
    assert cluster.server(name).strategy.transfers_received == 1
    assert cluster.sessions_held() == {"s1": 2, "s2": 2, name: 2}


def test_no_state_transfer_when_there_is_nothing_to_copy() -> None:
    cluster = replicated(2)
    cluster.kill("s2")
    cluster.revive("s2")
    assert cluster.server("s2").strategy.transfers_received == 0


# --- the interface --------------------------------------------------------------------


def test_strategies_by_name() -> None:
    core = {"memory": InMemorySessions, "replicated": ReplicatedMemorySessions, "signed-cookie": SignedCookieSessions}
    assert {name: STRATEGIES[name].strategy for name in core} == core  # later lessons add more (token, store)
    for name, cls in core.items():
        spec = strategy_spec(name)
        assert spec == StrategySpec(cls) and spec.name == name and not spec.needs_store
        made = spec.build(context("s7"))
        assert made.name == name and isinstance(made, cls) and made.server.name == "s7"
        assert made is not spec.build(context("s7"))
    assert InMemorySessions.stateful and ReplicatedMemorySessions.stateful
    assert not SignedCookieSessions.stateful


def test_unknown_strategy_name_lists_the_options() -> None:
    with pytest.raises(UnknownChoice) as caught:
        strategy_spec("jwt-in-a-sock")
    message = str(caught.value)
    assert "jwt-in-a-sock" in message
    assert all(name in message for name in STRATEGIES)
    assert caught.value.known == sorted(STRATEGIES)
    with pytest.raises(UnknownChoice):
        Cluster(2, strategy="nope")


def test_session_data_is_a_copy() -> None:
    session = Session(user="alice", cart=["tea"])
    data = session.data()
    data["cart"].append("cake")  # type: ignore[union-attr]
    assert session.cart == ["tea"]
    assert data == {"user": "alice", "cart": ["tea", "cake"]}
    assert size_in_bytes({"user": "alice", "cart": []}) == len('{"user":"alice","cart":[]}')


# --- logging in again rotates the session id ----------------------------------------------


@pytest.mark.parametrize("strategy", ["memory", "replicated"])
def test_logging_in_again_kills_the_id_the_browser_had(strategy: str) -> None:
    cluster = Cluster(2, strategy=strategy)
    app = cluster.server("s1").app
    client, _ = login(app)
    old = client.get_cookie("sid").value
    client.post("/cart", json={"item": "tea"})
    assert client.post("/login", json=ALICE).status_code == 200
    new = client.get_cookie("sid").value
    assert new != old
    assert raw(app, "GET", "/profile", cookie=f"sid={old}").status_code == 401
    assert raw(app, "GET", "/profile", cookie=f"sid={new}").status_code == 200
    peer = cluster.server("s2").strategy
    assert old not in peer.sessions and (strategy == "memory") == (new not in peer.sessions)


def test_ids_come_from_the_servers_id_source() -> None:
    from labsupport.ids import SeededIds

    first = make_strategy(InMemorySessions, ids=SeededIds("fixed"))
    second = make_strategy(InMemorySessions, ids=SeededIds("fixed"))
    sids = [login(make_shop(s))[0].get_cookie("sid").value for s in (first, second)]
    assert sids[0] == sids[1] == SeededIds("fixed")("sid_")
    assert re.fullmatch(r"sid_[A-Za-z0-9_-]{22}", sids[0])


def test_the_signed_cookie_is_flasks_own_and_reads_with_flasks_serializer() -> None:
    strategy = make_strategy(SignedCookieSessions)
    app = make_shop(strategy)
    client, _ = login(app)
    client.post("/cart", json={"item": "tea"})
    cookie = client.get_cookie("session").value
    data = strategy.cookie.get_signing_serializer(app).loads(cookie)
    assert data == {"_permanent": True, "user": "alice", "cart": ["tea"]}
