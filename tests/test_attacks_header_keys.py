"""jwk and jku header injection (lesson 04): a verifier that takes its key from the token accepts an
attacker's token; keys fixed at configuration do not; and the jku "fetch" never leaves the process."""
from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import labsupport as lab
from attack_support import ATTACKER_KEY, PRIVATE_KEY, claims, hardened
from labsupport import attacks
from labsupport.attacks import Rejected
from labsupport.attacks.common import json_segment


class RecordingWeb(Mapping[str, Any]):
    """A fake web that remembers every URL asked for."""

    def __init__(self, documents: Mapping[str, Any]) -> None:
        self.documents = dict(documents)
        self.asked: list[str] = []

    def __getitem__(self, url: str) -> Any:
        self.asked.append(url)
        return self.documents[url]

    def __iter__(self) -> Iterator[str]:
        return iter(self.documents)

    def __len__(self) -> int:
        return len(self.documents)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the attack lab must not touch the network")
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


# --- jwk --------------------------------------------------------------------------------------

def test_the_jwk_token_carries_the_attackers_public_key() -> None:
    with lab.SimClock():
        token = attacks.sign_with_embedded_jwk(claims("mallory", "admin"), ATTACKER_KEY)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"] == attacks.SHOP_KID
    embedded = jwt.PyJWK(header["jwk"]).key
    assert embedded.public_numbers() == ATTACKER_KEY.public_key().public_numbers()
    assert "d" not in header["jwk"]  # only the public half travels


def test_the_jwk_verifier_accepts_a_genuine_token_that_embeds_the_genuine_key() -> None:
    with lab.SimClock():
        token = attacks.sign_with_embedded_jwk(claims(), PRIVATE_KEY)
        assert attacks.verify_with_header_jwk(token) == hardened(token) == claims()


def test_the_jwk_verifier_checks_the_signature_against_the_embedded_key() -> None:
    """Signed with one key, embedding another: even this verifier says no."""
    with lab.SimClock():
        header = jwt.get_unverified_header(attacks.sign_with_embedded_jwk(claims(), PRIVATE_KEY))
        mismatched = jwt.encode(claims("mallory", "admin"), ATTACKER_KEY, algorithm="RS256", headers=header)
        with pytest.raises(Rejected, match="InvalidSignatureError"):
            attacks.verify_with_header_jwk(mismatched)


@pytest.mark.parametrize("changes, error", [
    ({"aud": attacks.OTHER_AUDIENCE}, "InvalidAudienceError"),
    ({"iss": "https://login.evil.example"}, "InvalidIssuerError"),
    ({"exp": 0}, "ExpiredSignatureError"),
])
def test_the_jwk_verifier_makes_only_its_one_mistake(changes: dict[str, Any], error: str) -> None:
    with lab.SimClock():
        token = attacks.sign_with_embedded_jwk({**claims("mallory", "admin"), **changes}, ATTACKER_KEY)
        with pytest.raises(Rejected, match=error):
            attacks.verify_with_header_jwk(token)


@pytest.mark.parametrize("jwk, reason", [
    (None, "no jwk in the header"),
    ("not a key", "no jwk in the header"),
    ({"kty": "oct", "k": "c2VjcmV0"}, "not an RSA public key|not a usable key"),
    ({"kty": "RSA", "n": "AQAB"}, "not a usable key"),
    ({"kty": "RSA", "n": 5, "e": "AQAB"}, "not a usable key"),
    ({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}, "not a usable key|not an RSA public key"),
    ({}, "not a usable key"),
])
def test_a_missing_or_unusable_jwk_is_rejected_with_a_reason(jwk: Any, reason: str) -> None:
    headers = {} if jwk is None else {"jwk": jwk}
    with lab.SimClock():
        token = jwt.encode(claims(), ATTACKER_KEY, algorithm="RS256", headers=headers)
        with pytest.raises(Rejected, match=reason):
            attacks.verify_with_header_jwk(token)


def test_a_private_jwk_in_the_header_is_refused_not_a_crash() -> None:
    private_jwk = jwt.algorithms.RSAAlgorithm.to_jwk(ATTACKER_KEY, as_dict=True)
    with lab.SimClock():
        token = jwt.encode(claims(), ATTACKER_KEY, algorithm="RS256", headers={"jwk": private_jwk})
        with pytest.raises(Rejected, match="not an RSA public key"):
            attacks.verify_with_header_jwk(token)


# --- jku --------------------------------------------------------------------------------------

def test_the_fake_web_holds_both_key_sets_under_one_kid_and_is_fresh_each_time() -> None:
    web = attacks.fake_web()
    assert set(web) == {attacks.SHOP_JWKS_URL, attacks.ATTACKER_JWKS_URL}
    shop, attacker = (jwt.PyJWKSet.from_dict(web[url]) for url in (attacks.SHOP_JWKS_URL, attacks.ATTACKER_JWKS_URL))
    assert shop[attacks.SHOP_KID].key.public_numbers() == PRIVATE_KEY.public_key().public_numbers()
    assert attacker[attacks.SHOP_KID].key.public_numbers() == ATTACKER_KEY.public_key().public_numbers()
    web.clear()
    assert attacks.fake_web() != web


def test_the_jku_verifier_accepts_a_genuine_token_pointing_at_the_genuine_key_set() -> None:
    with lab.SimClock():
        token = attacks.sign_with_jku(claims(), PRIVATE_KEY, jku=attacks.SHOP_JWKS_URL)
        assert attacks.verify_with_jku(token, fetch=attacks.fake_web()) == claims()


def test_the_jku_verifier_fetches_exactly_the_url_the_token_names_and_nothing_else(no_network: None) -> None:
    web = RecordingWeb(attacks.fake_web())
    with lab.SimClock():
        token = attacks.sign_with_jku(claims("mallory", "admin"), ATTACKER_KEY)
        assert attacks.verify_with_jku(token, fetch=web)["role"] == "admin"
    assert web.asked == [attacks.ATTACKER_JWKS_URL]


@pytest.mark.parametrize("jku, kid, reason", [
    ("https://nowhere.example/jwks.json", attacks.SHOP_KID, "no JWK Set at https://nowhere.example/jwks.json"),
    (attacks.ATTACKER_JWKS_URL, "another-kid", "no key with kid 'another-kid'"),
    ("https://broken.example/jwks.json", attacks.SHOP_KID, "does not hold a usable JWK Set"),
    ("https://text.example/jwks.json", attacks.SHOP_KID, "no JWK Set at"),
])
def test_an_unreachable_or_unusable_key_set_is_rejected_with_a_reason(jku: str, kid: str, reason: str) -> None:
    web = {**attacks.fake_web(), "https://broken.example/jwks.json": {"keys": []},
           "https://text.example/jwks.json": "<html>not json</html>"}
    with lab.SimClock():
        token = attacks.sign_with_jku(claims(), ATTACKER_KEY, jku=jku, kid=kid)
        with pytest.raises(Rejected, match=reason):
            attacks.verify_with_jku(token, fetch=web)


def test_a_token_without_jku_or_kid_is_rejected() -> None:
    with lab.SimClock():
        with pytest.raises(Rejected, match="no jku"):
            attacks.verify_with_jku(jwt.encode(claims(), ATTACKER_KEY, algorithm="RS256"), fetch=attacks.fake_web())
        no_kid = jwt.encode(claims(), ATTACKER_KEY, algorithm="RS256", headers={"jku": attacks.ATTACKER_JWKS_URL})
        with pytest.raises(Rejected, match="no kid"):
            attacks.verify_with_jku(no_kid, fetch=attacks.fake_web())


def test_an_allow_listed_key_set_fetched_at_configuration_stops_the_jku_attack() -> None:
    """The other fix: one JWK Set, from the one URL the shop trusts, looked up by kid."""
    key_set = jwt.PyJWKSet.from_dict(attacks.fake_web()[attacks.SHOP_JWKS_URL])

    def pinned_key_set(token: str) -> dict[str, Any]:
        return hardened(token, key_set[jwt.get_unverified_header(token)["kid"]])

    with lab.SimClock():
        forged = attacks.sign_with_jku(claims("mallory", "admin"), ATTACKER_KEY)
        with pytest.raises(jwt.InvalidSignatureError):
            pinned_key_set(forged)
        genuine = attacks.sign_with_jku(claims(), PRIVATE_KEY, jku=attacks.SHOP_JWKS_URL)
        assert pinned_key_set(genuine) == claims()


# --- robustness -----------------------------------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=8)
HEADERS = st.fixed_dictionaries({}, optional={
    "alg": st.sampled_from(["RS256", "HS256", "none", "ES256"]) | JSON,
    "kid": st.sampled_from([attacks.SHOP_KID, "x"]) | JSON,
    "jku": st.sampled_from([attacks.SHOP_JWKS_URL, attacks.ATTACKER_JWKS_URL]) | JSON,
    "jwk": st.fixed_dictionaries({"kty": st.sampled_from(["RSA", "EC", "OKP", "oct"]) | JSON},
                                 optional={"n": JSON, "e": JSON, "k": JSON, "crv": JSON, "x": JSON, "d": JSON})
    | JSON,
})


WEB = attacks.fake_web()


@settings(max_examples=200, deadline=None)
@given(header=HEADERS, signature=st.binary(max_size=300))
def test_the_header_key_verifiers_only_ever_raise_rejected(header: dict[str, Any], signature: bytes) -> None:
    token = f"{json_segment(header)}.{json_segment({'sub': 'x'})}.{attacks.b64url_encode(signature)}"
    for verify in (attacks.verify_with_header_jwk, lambda t: attacks.verify_with_jku(t, fetch=WEB)):
        with pytest.raises(Rejected):
            verify(token)
