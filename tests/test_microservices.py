"""Lesson 07's microservices: the gateway's JWKS, local verification with a cache on the lab's clock,
independent services, key rotation, and the Node.js verifier with its fallback."""
from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest
from werkzeug.test import Client

import labsupport as lab
from labsupport.microservices import JWKS_PATH, JWKSCache, Microservices

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "notebooks" / "07_tradeoffs_and_microservices.ipynb"


def test_the_jwks_route_publishes_public_keys_only() -> None:
    shop = Microservices(users=1)
    response = Client(shop.gateway.app).get(JWKS_PATH)
    assert response.status_code == 200
    (key,) = response.get_json()["keys"]
    assert (key["kty"], key["crv"], key["kid"], key["alg"]) == ("OKP", "Ed25519", "key-1", "EdDSA")
    assert "d" not in key  # the private part never leaves the gateway
    assert shop.gateway.calls[JWKS_PATH] == 1


def test_services_verify_locally_and_never_call_the_gateway_per_request() -> None:
    shop = Microservices(users=3)
    with lab.SimClock():
        tokens = [shop.login(i) for i in range(3)]
        for _ in range(5):
            for token in tokens:
                for name in shop.services:
                    assert shop.call(name, token).status_code == 200
    instances = sum(len(s.servers) for s in shop.services.values())
    assert shop.gateway_calls() == {"logins": 3, "key fetches": instances}
    table = lab.microservices.gateway_load(users=4, rounds=3)
    assert table.column("gateway: key fetches") == [6, 0] and table.column("gateway: logins") == [0, 0]
    assert all(words == "36 x 200" for words in table.column("answered"))


def test_bad_tokens_are_refused_with_a_reason() -> None:
    shop = Microservices(users=1)
    with lab.SimClock() as clock:
        token = shop.login(0)
        forged = lab.microservices.with_claims(token, sub="admin")
        assert shop.call("profile", forged).get_json()["detail"] == "bad-signature"
        assert shop.call("profile", "not.a.token").status_code == 401
        no_kid = lab.tokens.Tokens(lab.tokens.TokenKeys.eddsa(70)).issue("user000", lifetime=60, jti="x")
        assert shop.call("profile", no_kid).get_json()["detail"] == "no-kid"
        clock.advance(lab.microservices.TOKEN_LIFETIME)
        assert shop.call("profile", token).get_json()["detail"] == "expired"
    assert Client(shop.services["catalog"].balancer).get("/items").status_code == 401


def test_the_cache_follows_simulated_time_and_limits_refetches() -> None:
    fetched = []
    document = {"keys": [lab.microservices.public_jwk(lab.tokens.TokenKeys.eddsa(1).verifying_key, "k1")]}

    def fetch() -> dict:
        fetched.append(1)
        return document

    cache = JWKSCache(fetch, max_age=300, min_refetch=30)
    with lab.SimClock() as clock:
        cache.key("k1")
        clock.advance(299)
        cache.key("k1")
        assert cache.fetches == 1
        clock.advance(1)
        cache.key("k1")
        assert cache.fetches == 2
        for _ in range(10):  # made-up kids cannot make it hammer the gateway
            with pytest.raises(lab.TokenRejected, match="unknown key id"):
                cache.key("made-up")
        assert cache.fetches == 2
        clock.advance(30)
        with pytest.raises(lab.TokenRejected):
            cache.key("made-up")
        assert cache.fetches == 3


def test_a_failed_fetch_keeps_the_keys_it_had() -> None:
    shop = Microservices(users=1)
    cache = shop.services["profile"].servers["profile-1"].cache
    with lab.SimClock() as clock:
        token = shop.login(0)
        assert shop.call("profile", token).status_code == 200
        shop.gateway.up = False
        clock.advance(lab.microservices.CACHE_MAX_AGE)
        assert Client(shop.services["profile"].servers["profile-1"].app).get(
            "/profile", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert cache.failed_fetches == 1 and cache.kids() == ["key-1"]
    fresh = JWKSCache(shop.gateway.fetch_jwks)
    with pytest.raises(lab.TokenRejected, match="could not be fetched"):
        fresh.key("key-1")


def test_each_service_fails_and_scales_on_its_own() -> None:
    outage = {row["service"]: row for row in lab.microservices.cart_outage(users=5).rows}
    assert outage["cart"]["after every cart instance died"] == "5 x 503"
    assert outage["catalog"]["after every cart instance died"] == outage["profile"]["after every cart instance died"] \
        == "5 x 200"
    scaled = lab.microservices.scale_out(before=2, after=6, users=12)
    assert len(scaled) == 6 and sum(scaled.column("refused")) == 0
    assert all(n > 0 for n in scaled.column("answered 200")) and set(scaled.column("key fetches")) == {1}


def test_the_cart_service_keeps_carts_in_its_own_database() -> None:
    shop = Microservices(users=1)
    with lab.SimClock():
        token = shop.login(0)
        shop.call("cart", token, method="POST", json={"item": "tea"})
        shop.services["cart"].kill("cart-1")
        assert shop.call("cart", token).get_json()["cart"] == ["tea"]
        assert shop.call("cart", token, method="POST", json={"nope": 1}).status_code == 400
        too_long = shop.call("cart", token, method="POST", json={"item": "x" * 1000})
        assert too_long.status_code == 400 and "at most 64 characters" in too_long.get_json()["reason"]


def test_the_gateway_and_the_services_refuse_in_json() -> None:
    shop = Microservices(users=1)
    with lab.SimClock():
        token = shop.login(0)
        gateway = Client(shop.gateway.app)
        refusals = [gateway.get("/login"), gateway.get("/nowhere"),
                    gateway.post("/login", data=b"x" * (65 * 1024), content_type="application/json"),
                    shop.call("catalog", token, method="POST"),
                    shop.call("cart", token, method="POST", json={"item": "y" * (65 * 1024)})]
    assert [r.status_code for r in refusals] == [405, 404, 413, 405, 413]
    for refusal in refusals:
        assert refusal.mimetype == "application/json" and refusal.get_json()["reason"], refusal.get_data()


def test_key_rotation_timeline() -> None:
    rows = {row["t (s)"]: row for row in lab.microservices.rotation_timeline().rows}
    assert rows[599]["A (key-1)"] == "accepted 2/2"
    assert rows[600]["A (key-1)"].endswith("refused: expired")
    assert all(row["new login"].startswith("accepted 2/2") for row in rows.values())
    assert rows[0]["new login"].endswith("(key-1)") and rows[200]["new login"].endswith("(key-2)")
    assert rows[601]["JWKS lists"] == "key-2"
    assert rows[898]["L (leaked key-1)"] == "accepted 2/2"  # the caches still hold key-1
    assert rows[899]["L (leaked key-1)"] == "accepted 0/2; refused: unknown-kid"
    assert rows[899]["key fetches so far"] == 8


def test_the_gateway_will_not_retire_its_signing_key() -> None:
    gateway = Microservices(users=1).gateway
    with pytest.raises(lab.LabError, match="still signs"):
        gateway.retire_key("key-1")
    gateway.add_key(5)
    gateway.retire_key("key-1")
    assert [key["kid"] for key in gateway.jwks()["keys"]] == ["key-2"]
    with pytest.raises(lab.LabError, match="not published"):
        gateway.retire_key("key-1")


def test_the_balancer_fronts_a_service() -> None:
    service = Microservices(users=1).services["catalog"]
    assert repr(service.balancer) == "LoadBalancer(policy=RoundRobin(), servers=['catalog-1', 'catalog-2'])"
    service.kill_all()
    assert Client(service.balancer).get("/items").status_code == 503


# --- Node.js ----------------------------------------------------------------------------------------


def node_cell() -> str:
    cells = json.loads(LESSON.read_text())["cells"]
    (cell,) = [c for c in cells if c["cell_type"] == "code" and "verify_with_node(" in "".join(c["source"])]
    return "".join(cell["source"])


def run_node_cell() -> tuple[dict, str]:
    namespace: dict = {"lab": lab}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(node_cell(), namespace)
    return namespace, printed.getvalue()


def test_the_node_cell_falls_back_to_the_recorded_result_without_node(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no node on this PATH
    assert shutil.which("node") is None
    namespace, printed = run_node_cell()
    assert printed.strip() == str(lab.microservices.NodeUnavailable())
    assert len(printed.strip().splitlines()) == 1 and "Traceback" not in printed
    assert namespace["node_result"].rows == list(lab.microservices.RECORDED_RESULT)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_node_still_answers_what_was_recorded() -> None:
    namespace, printed = run_node_cell()
    assert printed == ""
    assert namespace["node_result"].rows == list(lab.microservices.RECORDED_RESULT)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_node_failures_are_lab_errors() -> None:
    key = lab.tokens.TokenKeys.eddsa(1).verifying_key
    with pytest.raises(lab.microservices.NodeFailed, match="exited with status"):
        lab.microservices.verify_with_node({"garbage": "x"}, key)


def test_the_conftest_rule_picks_only_lessons_07_node_cell() -> None:
    import conftest


    class Named:
        def __init__(self, name: str, source: str) -> None:
            self.fspath = type("Path", (), {"basename": name})()
            self.cell = type("Cell", (), {"source": source})()

    items = [Named("07_tradeoffs_and_microservices.ipynb", "x = lab.microservices.verify_with_node(t, k)"),
             Named("07_tradeoffs_and_microservices.ipynb", "print(1)"),
             Named("03_jwt_client_side_sessions.ipynb", "verify_with_node(")]
    assert conftest.node_cells(items) == [items[0]]
