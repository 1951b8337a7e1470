"""A revocation bypass through ECDSA malleability (lesson 05, Going further): an ES256 token's second
spelling verifies in PyJWT and slips past a denylist keyed on the token's hash, not one keyed on its
iss and jti; Ed25519 has no second spelling (RFC 8032's S < L)."""
from __future__ import annotations

from typing import Any

import jwt
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from matplotlib.colors import to_rgba

import labsupport as lab
from attack_support import REQUIRED, claims
from labsupport import attacks
from labsupport.attacks import JtiDenylist, Rejected, TokenHashDenylist

EC_KEY = lab.keys.ec_p256_private_key(0)
P256_FIELD_PRIME = 2**256 - 2**224 + 2**192 + 2**96 - 1
ED_KEY = lab.keys.ed25519_private_key(0)


def verifier(alg: str) -> Any:
    public = (EC_KEY if alg == "ES256" else ED_KEY).public_key()

    def verify(token: str) -> dict[str, Any]:
        return jwt.decode(token, public, algorithms=[alg], audience=attacks.SHOP_AUDIENCE,
                          issuer=attacks.SHOP_ISSUER, options={"require": [*REQUIRED, "jti"]})
    return verify


def mint(alg: str = "ES256", jti: str = "s1-1", **extra: Any) -> str:
    return jwt.encode(claims(jti=jti, **extra), EC_KEY if alg == "ES256" else ED_KEY, algorithm=alg)


def halves(token: str) -> tuple[bytes, bytes]:
    signature = attacks.b64url_decode(token.rsplit(".", 1)[1])
    return signature[:32], signature[32:]


# --- the signatures ---------------------------------------------------------------------------

def test_the_p256_key_reproduces_and_its_order_is_the_curves() -> None:
    assert lab.keys.ec_p256_private_key(0).private_numbers() == EC_KEY.private_numbers()
    assert lab.keys.ec_p256_private_key(1).private_numbers() != EC_KEY.private_numbers()
    assert isinstance(EC_KEY.curve, ec.SECP256R1)
    # n is the order: n times the generator is the point at infinity, so n - 1 times it is -G
    minus_g = ec.derive_private_key(attacks.P256_ORDER - 1, ec.SECP256R1()).public_key().public_numbers()
    g = ec.derive_private_key(1, ec.SECP256R1()).public_key().public_numbers()
    assert (minus_g.x, minus_g.y) == (g.x, P256_FIELD_PRIME - g.y)


def test_a_malleated_es256_token_is_a_different_string_pyjwt_accepts_with_the_same_claims() -> None:
    verify = verifier("ES256")
    with lab.SimClock():
        token = mint()
        copy = attacks.malleate_es256(token)
        assert copy != token and copy.rsplit(".", 1)[0] == token.rsplit(".", 1)[0]
        assert verify(copy) == verify(token) == claims(jti="s1-1")
    (r, s), (r2, s2) = halves(token), halves(copy)
    assert r2 == r and int.from_bytes(s2, "big") == attacks.P256_ORDER - int.from_bytes(s, "big")
    assert attacks.malleate_es256(copy) == token  # two spellings, no more


def test_cryptography_itself_accepts_both_s_and_n_minus_s() -> None:
    message = b"header.payload"
    signature = EC_KEY.sign(message, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(signature)
    for value in (s, attacks.P256_ORDER - s):
        EC_KEY.public_key().verify(encode_dss_signature(r, value), message, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        EC_KEY.public_key().verify(encode_dss_signature(r, (s + 1) % attacks.P256_ORDER), message,
                                   ec.ECDSA(hashes.SHA256()))


def test_an_ed25519_token_with_s_plus_l_is_rejected_by_pyjwt() -> None:
    verify = verifier("EdDSA")
    with lab.SimClock():
        token = mint("EdDSA")
        copy = attacks.malleate_ed25519(token)
        assert verify(token)["jti"] == "s1-1"
        with pytest.raises(jwt.InvalidSignatureError):
            verify(copy)
    (_, s), (_, s2) = halves(token), halves(copy)
    assert int.from_bytes(s2, "little") == int.from_bytes(s, "little") + attacks.ED25519_ORDER
    assert int.from_bytes(s, "little") < attacks.ED25519_ORDER  # what RFC 8032 requires of a signature


@pytest.mark.parametrize("malleate, token", [
    (attacks.malleate_es256, attacks.sign_hs256({"sub": "x"}, "k")),
    (attacks.malleate_es256, attacks.forge_unsigned({"sub": "x"}, alg="ES256")),  # no signature at all
    (attacks.malleate_ed25519, attacks.sign_hs256({"sub": "x"}, "k")),
    (attacks.malleate_es256, "not a token"),
])
def test_malleating_what_is_not_such_a_token_is_refused(malleate: Any, token: str) -> None:
    with pytest.raises(Rejected):
        malleate(token)


def test_an_es256_signature_with_s_out_of_range_is_refused() -> None:
    with lab.SimClock():
        signed = mint().rsplit(".", 1)[0]
    bad = f"{signed}.{attacks.b64url_encode(bytes(32) + bytes(32))}"
    with pytest.raises(Rejected, match="out of range"):
        attacks.malleate_es256(bad)


# --- the denylists ----------------------------------------------------------------------------

def test_the_token_hash_denylist_refuses_the_revoked_token_and_lets_its_copy_in() -> None:
    denylist = TokenHashDenylist(verifier("ES256"))
    with lab.SimClock():
        token, other = mint(), mint(jti="s1-2")
        denylist.revoke(token)
        with pytest.raises(Rejected, match="hash"):
            denylist.accept(token)
        assert denylist.accept(attacks.malleate_es256(token))["jti"] == "s1-1"  # the bypass
        assert denylist.accept(other)["jti"] == "s1-2"
    assert repr(denylist) == "TokenHashDenylist(1 revoked)" and len(denylist) == 1


def test_the_jti_denylist_refuses_the_revoked_token_and_its_copy() -> None:
    denylist = JtiDenylist(verifier("ES256"))
    with lab.SimClock():
        token, other = mint(), mint(jti="s1-2")
        denylist.revoke(token)
        for spelling in (token, attacks.malleate_es256(token)):
            with pytest.raises(Rejected, match="iss, jti"):
                denylist.accept(spelling)
        assert denylist.accept(other)["jti"] == "s1-2"
        assert JtiDenylist.entry(denylist.accept(other)) == (attacks.SHOP_ISSUER, "s1-2")
    assert repr(denylist) == "JtiDenylist(1 revoked)"


def test_the_jti_denylist_keys_on_the_issuer_too() -> None:
    """The same jti from another issuer is another token."""
    denylist = JtiDenylist(lambda token: jwt.decode(token, options={"verify_signature": False}))
    with lab.SimClock():
        denylist.revoke(mint())
        assert denylist.accept(mint(iss="https://other-login.example"))["jti"] == "s1-1"


@pytest.mark.parametrize("kind", [TokenHashDenylist, JtiDenylist])
def test_both_denylists_verify_first_so_an_invalid_token_is_never_revoked_nor_accepted(kind: Any) -> None:
    denylist = kind(verifier("ES256"))
    with lab.SimClock():
        tampered = attacks.tamper(mint(), sub="mallory")
        with pytest.raises(jwt.InvalidSignatureError):
            denylist.revoke(tampered)
        with pytest.raises(jwt.InvalidSignatureError):
            denylist.accept(tampered)
    assert len(denylist) == 0


def test_a_token_without_jti_cannot_be_revoked_by_id() -> None:
    denylist = JtiDenylist(lambda token: jwt.decode(token, options={"verify_signature": False}))
    with lab.SimClock():
        with pytest.raises(Rejected, match="jti"):
            denylist.revoke(jwt.encode(claims(), EC_KEY, algorithm="ES256"))


# --- the measured comparison ------------------------------------------------------------------

def test_the_comparison_measures_the_bypass_and_the_two_things_that_stop_it() -> None:
    with lab.SimClock():
        table = attacks.malleability_comparison()
    assert [(r["algorithm"], r["denylist keyed on"]) for r in table.rows] == [
        ("ES256", "token hash"), ("ES256", "iss + jti"), ("EdDSA", "token hash"), ("EdDSA", "iss + jti")]
    assert table.column("copy differs") == ["yes"] * 4
    assert table.column("copy's signature (PyJWT)") == ["valid", "valid", "invalid", "invalid"]
    assert table.column("original") == ["refused"] * 4
    assert table.column("malleated copy") == ["accepted", "refused", "refused", "refused"]
    assert table.column("copy refused because") == [
        "", "revoked: its (iss, jti) is on the denylist",
        "InvalidSignatureError: Signature verification failed", "InvalidSignatureError: Signature verification failed"]


def test_the_comparison_reads_the_same_every_run_though_ecdsa_signatures_do_not() -> None:
    with lab.SimClock():
        first, second = attacks.malleability_comparison(), attacks.malleability_comparison()
        assert mint() != mint()  # a fresh nonce per ECDSA signature
    assert repr(first) == repr(second)
    fig = lab.plots.verdict_grid([f"{r['algorithm']}, {r['denylist keyed on']}" for r in first.rows],
                                 {"original": first.column("original"), "malleated copy": first.column("malleated copy")},
                                 bad="accepted", title="A revoked token and its malleated copy")
    colours = [p.get_facecolor() for p in fig.axes[0].patches]
    assert colours.count(to_rgba(lab.plots.LOST_COLOR)) == 1 and len(colours) == 8
