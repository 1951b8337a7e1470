"""The load balancer: a WSGI app choosing one live server per request, by policy."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

import labsupport
from labsupport import (
    POLICIES,
    ClientInfo,
    Cluster,
    ConsistentHash,
    HashModulo,
    LoadBalancer,
    RandomChoice,
    RoundRobin,
    Sticky,
    UnknownChoice,
    make_policy,
    remapped_share,
    stable_hash,
)

ALICE = {"user": "alice", "password": "alice-password"}
ADDRESSES = [f"2001:db8::{i + 1:x}" for i in range(2000)]
PROPERTY = settings(max_examples=60, deadline=None, database=None, derandomize=True)


def served_by(client: Client, count: int, **kwargs) -> list[str]:
    return [client.get("/", **kwargs).headers["X-Served-By"] for _ in range(count)]


def names(n: int) -> list[str]:
    return [f"s{i}" for i in range(1, n + 1)]


# --- round robin ----------------------------------------------------------------------


def test_round_robin_cycles_through_live_servers_in_order() -> None:
    cluster = Cluster(3)
    client = Client(LoadBalancer(cluster, "round-robin"))
    assert served_by(client, 7) == ["s1", "s2", "s3", "s1", "s2", "s3", "s1"]


def test_round_robin_skips_dead_servers_and_takes_revived_ones_back() -> None:
    cluster = Cluster(3)
    cluster.kill("s2")
    assert served_by(Client(LoadBalancer(cluster, "round-robin")), 4) == ["s1", "s3", "s1", "s3"]

    balancer = LoadBalancer(cluster, "round-robin")
    client = Client(balancer)
    cluster.revive("s2")
    cluster.kill("s1")
    seen = served_by(client, 6)
    assert "s1" not in seen and Counter(seen) == {"s2": 3, "s3": 3}
    assert all(a != b for a, b in zip(seen, seen[1:]))  # alternates


def test_round_robin_policy_directly() -> None:
    policy = RoundRobin()
    picks = [policy.choose(ClientInfo("x"), ["a", "b", "c"]) for _ in range(6)]
    assert picks == ["a", "b", "c", "a", "b", "c"]


def test_each_balancer_gets_its_own_policy_state() -> None:
    cluster = Cluster(3)
    first, second = LoadBalancer(cluster), LoadBalancer(cluster)
    assert first.policy is not second.policy
    served_by(Client(first), 2)
    assert served_by(Client(second), 1) == ["s1"]  # not advanced by the other balancer


# --- random ---------------------------------------------------------------------------


def test_random_is_seeded() -> None:
    def sequence(seed: int) -> list[str]:
        return served_by(Client(LoadBalancer(Cluster(3), "random", seed=seed)), 40)

    assert sequence(7) == sequence(7)
    assert sequence(7) != sequence(8)
    assert set(sequence(7)) == {"s1", "s2", "s3"}
    assert repr(make_policy("random", seed=3)) == "RandomChoice(seed=3)"


def test_random_is_near_uniform() -> None:
    policy = RandomChoice(seed=0)
    counts = Counter(policy.choose(ClientInfo("x"), names(3)) for _ in range(6000))
    assert set(counts) == set(names(3))
    assert all(abs(c - 2000) <= 0.25 * 2000 for c in counts.values()), counts


def test_random_never_picks_a_dead_server() -> None:
    cluster = Cluster(3)
    cluster.kill("s3")
    seen = served_by(Client(LoadBalancer(cluster, "random", seed=1)), 60)
    assert set(seen) == {"s1", "s2"}


# --- sticky ---------------------------------------------------------------------------


def test_sticky_pins_a_client_with_the_lb_cookie() -> None:
    cluster = Cluster(3)
    client = Client(LoadBalancer(cluster, "sticky"))
    first = client.get("/")
    pinned = first.headers["X-Served-By"]
    assert f"lb={pinned}" in first.headers.getlist("Set-Cookie")[0]
    assert client.get_cookie("lb").value == pinned
    for _ in range(8):
        r = client.get("/")
        assert r.headers["X-Served-By"] == pinned
        assert "Set-Cookie" not in r.headers  # already pinned: nothing to say


def test_sticky_spreads_new_clients_and_keeps_memory_sessions() -> None:
    cluster = Cluster(3)
    balancer = LoadBalancer(cluster, "sticky")
    clients = [Client(balancer) for _ in range(3)]
    firsts = [c.post("/login", json=ALICE).headers["X-Served-By"] for c in clients]
    assert sorted(firsts) == ["s1", "s2", "s3"]
    for client, server in zip(clients, firsts):
        for item in ["tea", "cake", "jam"]:
            r = client.post("/cart", json={"item": item})
            assert r.status_code == 200 and r.headers["X-Served-By"] == server
        assert client.get("/cart").json["cart"] == ["tea", "cake", "jam"]


def test_sticky_re_pins_when_the_pinned_server_dies() -> None:
    cluster = Cluster(3)
    client = Client(LoadBalancer(cluster, "sticky"))
    assert client.post("/login", json=ALICE).status_code == 200
    old = client.get_cookie("lb").value
    cluster.kill(old)

    r = client.get("/profile")
    new = r.headers["X-Served-By"]
    assert new != old and new in cluster.alive_names()
    assert client.get_cookie("lb").value == new
    assert r.status_code == 401  # memory sessions: the new server never saw this login
    assert served_by(client, 5) == [new] * 5


@pytest.mark.parametrize("cookie", ["lb=s99", "lb=", "lb=%00garbage", 'lb="s1; x"', "lb=" + "s" * 5000])
def test_sticky_with_a_garbage_pin_picks_a_live_server_and_re_pins(cookie: str) -> None:
    cluster = Cluster(2)
    r = Client(LoadBalancer(cluster, "sticky"), use_cookies=False).get("/", headers={"Cookie": cookie})
    assert r.status_code == 200
    server = r.headers["X-Served-By"]
    assert server in {"s1", "s2"}
    assert f"lb={server};" in r.headers["Set-Cookie"]


def test_sticky_with_a_cookie_header_that_is_not_utf8_picks_a_live_server() -> None:
    cluster = Cluster(2)
    raw = "lb=\xff\xfe; other=1"  # WSGI gives headers as latin-1 text: these are the bytes ff fe
    r = Client(LoadBalancer(cluster, "sticky"), use_cookies=False).get("/", environ_overrides={"HTTP_COOKIE": raw})
    assert r.status_code == 200
    assert r.headers["X-Served-By"] in {"s1", "s2"}


# --- hashing --------------------------------------------------------------------------


def test_stable_hash_is_sha256_based() -> None:
    for text in ["2001:db8::1", "", "s1#0", "caf\u00e9"]:
        expected = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
        assert stable_hash(text) == expected
    assert stable_hash("2001:db8::1") == 6556425118201004429  # pinned: notebooks store results built on it


def test_hash_modulo_is_address_mod_n() -> None:
    policy = HashModulo()
    for address in ADDRESSES[:200]:
        expected = names(4)[int.from_bytes(hashlib.sha256(address.encode()).digest()[:8], "big") % 4]
        assert policy.choose(ClientInfo(address), names(4)) == expected


def test_hash_policies_route_through_the_balancer_by_remote_address() -> None:
    for policy in [HashModulo(), ConsistentHash()]:
        client = Client(LoadBalancer(Cluster(4), policy))
        for address in ADDRESSES[:20]:
            expected = policy.choose(ClientInfo(address), names(4))
            assert served_by(client, 3, environ_base={"REMOTE_ADDR": address}) == [expected] * 3


def choices_in_a_fresh_process(hash_seed: str) -> dict[str, list[str]]:
    code = (
        "import json, labsupport as lab\n"
        "addresses = [f'2001:db8::{i + 1:x}' for i in range(50)]\n"
        "servers = ['s1', 's2', 's3', 's4', 's5']\n"
        "print(json.dumps({p.name: [p.choose(lab.ClientInfo(a), servers) for a in addresses]\n"
        "                  for p in [lab.HashModulo(), lab.ConsistentHash()]}))\n"
    )
    package_root = str(Path(labsupport.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONHASHSEED=hash_seed, PYTHONPATH=package_root)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=package_root,
                         capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def test_hash_policies_agree_across_processes() -> None:
    here = {p.name: [p.choose(ClientInfo(a), names(5)) for a in ADDRESSES[:50]]
            for p in [HashModulo(), ConsistentHash()]}
    # Different PYTHONHASHSEEDs: a policy using the built-in hash() would disagree here.
    assert choices_in_a_fresh_process("1") == here
    assert choices_in_a_fresh_process("2") == here


def test_remapped_share_when_scaling_from_4_to_5() -> None:
    before, after = names(4), names(5)
    modulo = remapped_share(HashModulo(), ADDRESSES, before, after)
    ring = remapped_share(ConsistentHash(), ADDRESSES, before, after)
    assert abs(modulo - 0.8) <= 0.05, modulo
    assert abs(ring - 0.2) <= 0.08, ring
    assert remapped_share(HashModulo(), ADDRESSES, before, before) == 0.0
    assert remapped_share(ConsistentHash(), ADDRESSES, before, before) == 0.0


def test_remapped_share_builds_each_ring_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Counting hashes, not seconds: comparing two server sets used to rebuild a
    # 900-point ring on every call (seconds per table in lesson 02).
    calls = Counter[str]()
    real = labsupport.balancer.stable_hash

    def counting(text: str) -> int:
        calls["hash"] += 1
        return real(text)

    monkeypatch.setattr(labsupport.balancer, "stable_hash", counting)
    share = remapped_share(ConsistentHash(), ADDRESSES, names(4), names(5))
    assert calls["hash"] <= 2 * len(ADDRESSES) + (4 + 5) * 100
    monkeypatch.undo()
    assert share == remapped_share(ConsistentHash(), ADDRESSES, names(4), names(5))


def test_consistent_hash_spreads_clients_fairly() -> None:
    policy = ConsistentHash()
    counts = Counter(policy.choose(ClientInfo(a), names(4)) for a in ADDRESSES)
    assert set(counts) == set(names(4))
    assert all(abs(c - 500) <= 0.25 * 500 for c in counts.values()), counts


SERVER_SETS = st.sets(st.integers(1, 12), min_size=1).map(lambda ns: [f"s{n}" for n in sorted(ns)])


@PROPERTY
@given(before=SERVER_SETS, after=SERVER_SETS)
def test_consistent_hash_never_moves_a_client_between_two_surviving_servers(before, after) -> None:
    policy = ConsistentHash()
    for address in ADDRESSES[:300]:
        old = policy.choose(ClientInfo(address), before)
        new = policy.choose(ClientInfo(address), after)
        assert old in before and new in after
        if old in after and new in before:  # both servers exist before and after
            assert old == new, (address, old, new)


@PROPERTY
@given(n=st.integers(1, 10), m=st.integers(1, 10))
def test_consistent_hash_moves_only_to_new_or_from_removed_servers(n: int, m: int) -> None:
    policy = ConsistentHash()
    before, after = names(n), names(m)
    for address in ADDRESSES[:300]:
        old = policy.choose(ClientInfo(address), before)
        new = policy.choose(ClientInfo(address), after)
        if old != new:
            assert new not in before or old not in after


@PROPERTY
@given(servers=SERVER_SETS, seed=st.randoms(use_true_random=False))
def test_consistent_hash_ignores_the_order_of_the_server_list(servers, seed) -> None:
    shuffled = list(servers)
    seed.shuffle(shuffled)
    policy, other = ConsistentHash(), ConsistentHash()
    for address in ADDRESSES[:100]:
        assert policy.choose(ClientInfo(address), servers) == other.choose(ClientInfo(address), shuffled)


# --- no server, unknown policy, reprs -------------------------------------------------


@pytest.mark.parametrize("policy", list(POLICIES))
def test_no_live_server_is_a_json_503(policy: str) -> None:
    cluster = Cluster(2)
    cluster.kill("s1")
    cluster.kill("s2")
    for target in [cluster, Cluster(0)]:
        r = Client(LoadBalancer(target, policy)).post("/login", json=ALICE)
        assert r.status_code == 503
        assert r.mimetype == "application/json"
        assert r.json == {"error": "service unavailable", "reason": "no server is up"}
        assert "X-Served-By" not in r.headers
    cluster.revive("s1")
    assert Client(LoadBalancer(cluster, policy)).get("/").headers["X-Served-By"] == "s1"


def test_unknown_policy_lists_the_options() -> None:
    for attempt in [lambda: make_policy("fastest"), lambda: LoadBalancer(Cluster(1), "fastest")]:
        with pytest.raises(UnknownChoice) as caught:
            attempt()
        message = str(caught.value)
        assert "'fastest'" in message
        assert all(name in message for name in POLICIES)
        assert caught.value.known == list(POLICIES)
        assert isinstance(caught.value, ValueError)


def test_policies_by_name() -> None:
    assert list(POLICIES) == ["round-robin", "random", "sticky", "hash-modulo", "consistent-hash"]
    for name in POLICIES:
        assert make_policy(name).name == name
        assert make_policy(name) is not make_policy(name)
    given_policy = Sticky(first=HashModulo())
    assert make_policy(given_policy) is given_policy
    assert Sticky.pins and not RoundRobin.pins and not HashModulo.pins


def test_reprs_are_stable() -> None:
    cluster = Cluster(3)
    cluster.kill("s2")
    assert repr(LoadBalancer(cluster)) == "LoadBalancer(policy=RoundRobin(), servers=['s1', 's3'])"
    assert repr(Sticky()) == "Sticky(first=RoundRobin())"
    assert repr(ConsistentHash()) == "ConsistentHash(replicas=100)"
    assert repr(HashModulo()) == "HashModulo()"


def test_the_balancer_forwards_method_body_and_cookies() -> None:
    cluster = Cluster(3, strategy="signed-cookie")
    client = Client(LoadBalancer(cluster, "round-robin"))
    assert client.post("/login", json=ALICE).headers["X-Served-By"] == "s1"
    carts = [client.post("/cart", json={"item": item}) for item in ["tea", "cake", "jam"]]
    assert [r.headers["X-Served-By"] for r in carts] == ["s2", "s3", "s1"]
    assert carts[-1].json["cart"] == ["tea", "cake", "jam"]
    bad = client.post("/cart", data="{", content_type="application/json")
    assert bad.status_code == 400 and bad.headers["X-Served-By"] == "s2"
