"""The session store connection (labsupport/store.py), on whichever backend this run uses.

Without ``REDIS_URL`` every test runs on the embedded fakeredis store; with ``REDIS_URL`` set
(CI's second run) the very same tests run against that real Redis. Only one test is skipped on
fakeredis, the one about keys outliving their store in a real Redis; a test
that needs embedded-only behaviour (simulated time moving a key's expiry) builds an embedded
store explicitly (``SessionStore(...)`` without a URL). Keys live under a per-test prefix and
are deleted afterwards; nothing here ever calls FLUSHDB.
"""
from __future__ import annotations

import gc
import socket

import fakeredis
import pytest
import redis

from labsupport import SessionStore, SimClock
from labsupport.settings import REDIS_URL_VARIABLE, mask_url, redis_url
from labsupport.store import TIMEOUT_SECONDS, StoreDown
from store_support import unique_prefix

REAL_URL = redis_url()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connection_settings(client: redis.Redis) -> tuple[int, float | None, float | None]:
    """(retries, socket timeout, connect timeout) of the connections ``client`` makes."""
    pool = client.connection_pool
    connection = pool.get_connection()
    try:
        return (connection.retry.get_retries(), getattr(connection, "socket_timeout", None),
                getattr(connection, "socket_connect_timeout", None))
    finally:
        pool.release(connection)


# --- which backend ----------------------------------------------------------------------


def test_backend_follows_redis_url(store: SessionStore) -> None:
    assert store.embedded == (REAL_URL is None)
    assert store.url == REAL_URL
    if REAL_URL is None:
        assert store.backend == "embedded (fakeredis)"
    else:
        assert store.backend == f"Redis at {mask_url(REAL_URL)}"


def test_only_from_env_reads_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REDIS_URL_VARIABLE, "redis://127.0.0.1:1/0")  # nothing listens there
    store = SessionStore(prefix=unique_prefix())
    assert store.embedded and store.url is None
    assert isinstance(store.connect(), fakeredis.FakeRedis)
    assert SessionStore.from_env(prefix=unique_prefix()).url == "redis://127.0.0.1:1/0"  # builds: no I/O yet
    monkeypatch.setenv(REDIS_URL_VARIABLE, "  ")
    assert SessionStore.from_env(prefix=unique_prefix()).embedded


def test_each_embedded_store_is_its_own_server() -> None:
    one, two = SessionStore(prefix="same"), SessionStore(prefix="same")
    one.connect().set(one.key("k"), "v")
    assert one.count() == 1 and two.count() == 0


def test_the_store_masks_every_password_it_shows() -> None:
    for url, shown in [("redis://:s3cret@db.example:6380/2", "redis://:***@db.example:6380/2"),
                       ("redis://user:s3cret@db.example/0", "redis://user:***@db.example/0"),
                       ("redis://db.example/0?password=s3cret", "redis://db.example/0?password=***"),
                       ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0")]:
        store = SessionStore(prefix=unique_prefix(), url=url)
        assert store.backend == f"Redis at {shown}" and "s3cret" not in repr(store)


# --- keys live under the prefix -----------------------------------------------------------


def test_key_is_prefixed(store: SessionStore) -> None:
    assert store.key("session", "sid_x") == f"{store.prefix}session:sid_x"
    assert store.prefix.endswith(":")


def test_clients_share_one_store(store: SessionStore) -> None:
    a, b = store.connect(), store.connect()
    assert a is not b and a.connection_pool is not b.connection_pool  # each server its own client
    assert a.set(store.key("greeting"), "hello", ex=60)
    assert b.get(store.key("greeting")) == "hello"  # strings in, strings out


def test_keys_count_and_clear_touch_only_the_prefix(store: SessionStore) -> None:
    client = store.connect()
    outside = f"{unique_prefix()}:not-mine"
    try:
        client.set(outside, "keep", ex=60)
        client.set(store.key("session", "a"), "1", ex=60)
        client.set(store.key("session", "b"), "2", ex=60)
        client.sadd(store.key("user", "alice"), "a")
        assert store.keys() == ["session:a", "session:b", "user:alice"]  # relative to the prefix
        assert store.count("session:*") == 2 and store.count() == 3
        assert store.clear() == 3
        assert store.count() == 0
        assert client.get(outside) == "keep"
    finally:
        client.delete(outside)


def test_clear_never_flushes(store: SessionStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("FLUSHDB/FLUSHALL must never be called")

    monkeypatch.setattr(redis.Redis, "flushdb", forbidden)
    monkeypatch.setattr(redis.Redis, "flushall", forbidden)
    store.connect().set(store.key("x"), "1", ex=60)
    assert store.clear() == 1


def test_building_a_store_deletes_nothing(store: SessionStore) -> None:
    shared = SessionStore(url=store.url, prefix=store.name, isolate=False)
    shared.connect().set(shared.key("session", "a"), "1", ex=60)
    again = SessionStore(url=store.url, prefix=store.name, isolate=False)  # a restarted process
    if store.embedded:
        assert again.count() == 0  # fakeredis: every store is its own server
    else:
        assert again.keys() == ["session:a"]  # a real Redis outlives the process, and so do the sessions
    shared.clear()


def test_isolated_prefixes_never_meet(store: SessionStore) -> None:
    one = SessionStore(url=store.url, prefix="lab0")
    two = SessionStore(url=store.url, prefix="lab0")
    assert one.prefix != two.prefix and one.prefix.startswith("lab0-") and repr(one) == repr(two)
    one.connect().set(one.key("session", "a"), "1", ex=60)
    assert two.count() == 0 and one.keys() == ["session:a"]
    one.clear()


@pytest.mark.skipif(REAL_URL is None, reason="a real Redis (REDIS_URL) outlives the store; fakeredis dies with it")
def test_a_private_prefix_is_forgotten_with_its_store_and_a_shared_one_is_kept(store: SessionStore) -> None:
    assert store.url is not None
    reader = redis.Redis.from_url(store.url, decode_responses=True)
    private = SessionStore(url=store.url, prefix="forgotten")
    shared = SessionStore(url=store.url, prefix=unique_prefix(), isolate=False)
    for one in (private, shared):
        one.connect().sadd(one.key("user", "alice"), "sid_a")  # an index set: no TTL of its own
    private_prefix, shared_prefix = private.prefix, shared.prefix
    del private, one
    gc.collect()
    assert list(reader.scan_iter(match=private_prefix + "*")) == []
    assert list(reader.scan_iter(match=shared_prefix + "*")) == [shared_prefix + "user:alice"]
    shared.clear()


def test_forgetting_a_prefix_on_a_redis_that_is_down_is_quiet(capfd: pytest.CaptureFixture[str]) -> None:
    store = SessionStore(url=f"redis://127.0.0.1:{free_port()}/0", prefix="gone")  # nothing listens there
    del store
    gc.collect()
    assert capfd.readouterr().err == ""


# --- expiry (relative TTLs) -----------------------------------------------------------------


def test_set_with_ex_gives_the_exact_ttl_and_setex_is_deprecated(store: SessionStore) -> None:
    client = store.connect()
    client.set(store.key("s"), "v", ex=1800)
    assert 1799 <= client.ttl(store.key("s")) <= 1800
    with pytest.warns(DeprecationWarning, match="setex"):
        client.setex(store.key("old"), 60, "v")


def test_ttl_and_expiry_follow_simulated_time_on_the_embedded_store() -> None:
    store = SessionStore(prefix=unique_prefix())
    client = store.connect()
    with SimClock() as clock:
        client.set(store.key("s"), "v", ex=30)
        assert client.ttl(store.key("s")) == 30
        clock.advance(29)
        assert client.get(store.key("s")) == "v"
        clock.advance(2)
        assert client.get(store.key("s")) is None


def test_getex_renews_the_ttl_on_the_embedded_store() -> None:
    store = SessionStore(prefix=unique_prefix())
    client = store.connect()
    with SimClock() as clock:
        client.set(store.key("s"), "v", ex=30)
        for _ in range(5):
            clock.advance(20)
            assert client.getex(store.key("s"), ex=30) == "v"
            assert client.ttl(store.key("s")) == 30
        clock.advance(31)
        assert client.getex(store.key("s"), ex=30) is None


def test_getex_renews_the_ttl(store: SessionStore) -> None:
    client = store.connect()
    client.set(store.key("s"), "v", ex=5)
    assert client.getex(store.key("s"), ex=600) == "v"
    assert 599 <= client.ttl(store.key("s")) <= 600


# --- outages: fail fast, keep the data ------------------------------------------------------


def test_clients_fail_fast_no_retries_short_timeouts(store: SessionStore) -> None:
    client = store.connect()
    retries, socket_timeout, connect_timeout = connection_settings(client)
    assert retries == 0
    if store.embedded:
        assert isinstance(client, fakeredis.FakeRedis)  # in-process: there is no socket to wait on
    else:
        assert socket_timeout == connect_timeout == TIMEOUT_SECONDS
        assert TIMEOUT_SECONDS <= 1


def test_outage_fails_every_call_and_keeps_the_data(store: SessionStore) -> None:
    client, other = store.connect(), store.connect()
    client.set(store.key("session", "a"), "cart", ex=600)
    client.sadd(store.key("user", "alice"), "a")
    assert store.count() == 2 and not store.is_down
    store.go_down()
    assert store.is_down and repr(store).endswith(", down)")
    for call in (lambda: client.get(store.key("session", "a")), lambda: other.set(store.key("x"), "1"),
                 lambda: other.smembers(store.key("user", "alice")), store.count):
        with pytest.raises(StoreDown):
            call()
    store.come_back()
    assert not store.is_down
    assert client.get(store.key("session", "a")) == "cart"  # reconnects by itself
    assert other.smembers(store.key("user", "alice")) == {"a"}
    assert store.count() == 2 and client.get(store.key("x")) is None


def test_a_pipeline_in_an_outage_writes_nothing(store: SessionStore) -> None:
    client = store.connect()
    with store.outage():
        with pytest.raises(StoreDown):
            with client.pipeline(transaction=True) as pipe:
                pipe.set(store.key("session", "a"), "1", ex=60)
                pipe.sadd(store.key("user", "alice"), "a")
                pipe.execute()
    assert store.count() == 0


def test_outage_context_ends_even_on_error(store: SessionStore) -> None:
    with pytest.raises(RuntimeError):
        with store.outage() as same:
            assert same is store and store.is_down
            raise RuntimeError("boom")
    assert not store.is_down
    assert store.connect().ping()


def test_an_unreachable_redis_is_a_store_down_error() -> None:
    port = free_port()  # bound then released: nothing listens there now
    store = SessionStore(prefix=unique_prefix(), url=f"redis://127.0.0.1:{port}/0")  # building does no I/O
    with pytest.raises(StoreDown):
        store.connect().get(store.key("x"))


def test_repr_is_stable(store: SessionStore) -> None:
    text = repr(store)
    assert text == f"SessionStore({store.backend}, prefix={store.name!r})"
    assert " at 0x" not in text
