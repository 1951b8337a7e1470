"""HS/RS confusion without the public key (lesson 04, Going further): two signed tokens give the RSA
modulus exactly, fast enough for a lesson; one of its two PEM forms is the server's HMAC secret."""
from __future__ import annotations

import math
import time
import warnings

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding

import labsupport as lab
from attack_support import ORDERS_KEY, ORDERS_PEM, PRIVATE_KEY, claims, hardened_orders
from labsupport import attacks
from labsupport.attacks import RecoveryFailed, Rejected

SPKI = "SubjectPublicKeyInfo (BEGIN PUBLIC KEY)"
PKCS1 = "PKCS#1 (BEGIN RSA PUBLIC KEY)"


def order_tokens(*subs: str) -> list[str]:
    with lab.SimClock():
        return [jwt.encode(claims(sub, audience=attacks.ORDERS_AUDIENCE), ORDERS_KEY, algorithm="RS256")
                for sub in subs]


def test_the_teaching_key_has_exponent_3_and_2048_bits_and_pyjwt_uses_it_without_a_warning() -> None:
    numbers = ORDERS_KEY.public_key().public_numbers()
    assert (numbers.e, ORDERS_KEY.key_size) == (3, 2048)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PyJWT warns for RSA keys under 2048 bits
        (token,) = order_tokens("ana")
        with lab.SimClock():
            assert hardened_orders(token)["sub"] == "ana"


def test_the_encoding_is_what_the_signature_carries() -> None:
    """pkcs1_v15_sha256 against cryptography's own reading of a signature."""
    (token,) = order_tokens("ana")
    signed, signature_b64 = token.rsplit(".", 1)
    signature = attacks.b64url_decode(signature_b64)
    carried = ORDERS_KEY.public_key().recover_data_from_signature(signature, padding.PKCS1v15(), None)
    encoding = attacks.pkcs1_v15_sha256(signed.encode(), len(signature)).to_bytes(len(signature), "big")
    assert encoding.endswith(carried) and carried.startswith(attacks.SHA256_DIGEST_INFO)
    assert pow(int.from_bytes(signature, "big"), 3, ORDERS_KEY.public_key().public_numbers().n) == \
        int.from_bytes(encoding, "big")


def test_two_tokens_give_exactly_the_modulus_well_under_ten_seconds() -> None:
    tokens = order_tokens("ana", "bob")
    start = time.perf_counter()
    recovery = attacks.recover_rsa_modulus(tokens)
    elapsed = time.perf_counter() - start
    n = ORDERS_KEY.public_key().public_numbers().n
    assert recovery.modulus == n and recovery.exponent == 3 and recovery.bits == 2048 and recovery.tokens == 2
    assert elapsed < 10, f"recovery took {elapsed:.2f} s"
    s = [int.from_bytes(attacks.b64url_decode(t.rsplit(".", 1)[1]), "big") for t in tokens]
    m = [attacks.pkcs1_v15_sha256(t.rsplit(".", 1)[0].encode(), 256) for t in tokens]
    assert math.gcd(s[0] ** 3 - m[0], s[1] ** 3 - m[1]) == n * recovery.cofactor
    assert recovery.cofactor < attacks.SMALL_FACTOR_LIMIT


def test_more_tokens_in_any_order_give_the_same_modulus() -> None:
    tokens = order_tokens("ana", "bob", "carol")
    n = ORDERS_KEY.public_key().public_numbers().n
    assert attacks.recover_rsa_modulus(tokens).modulus == n
    assert attacks.recover_rsa_modulus(tokens[::-1]).modulus == n
    assert attacks.recover_rsa_modulus(tokens).tokens == 3


def test_the_recovered_key_in_spki_form_is_the_servers_pem_byte_for_byte() -> None:
    forms = attacks.recover_rsa_modulus(order_tokens("ana", "bob")).pem_forms()
    assert list(forms) == [PKCS1, SPKI]
    assert forms[SPKI] == ORDERS_PEM
    assert forms[PKCS1].startswith(b"-----BEGIN RSA PUBLIC KEY-----") and forms[PKCS1] != ORDERS_PEM


@pytest.mark.parametrize("server_form", [serialization.PublicFormat.SubjectPublicKeyInfo,
                                         serialization.PublicFormat.PKCS1])
def test_exactly_the_form_the_server_holds_gets_in_so_the_attacker_tries_both(
        server_form: serialization.PublicFormat) -> None:
    server_secret = ORDERS_KEY.public_key().public_bytes(serialization.Encoding.PEM, server_form)
    recovery = attacks.recover_rsa_modulus(order_tokens("ana", "bob"))
    with lab.SimClock():
        forged = attacks.confusion_tokens(claims("mallory", "admin", audience=attacks.ORDERS_AUDIENCE), recovery)
        verdicts = {}
        for form, token in forged.items():
            try:
                verdicts[form] = attacks.vulnerable_verify(token, server_secret)["role"]
            except Rejected as e:
                verdicts[form] = e.reason
            with pytest.raises(jwt.InvalidAlgorithmError):
                hardened_orders(token)
    wanted = SPKI if server_form is serialization.PublicFormat.SubjectPublicKeyInfo else PKCS1
    assert verdicts[wanted] == "admin"
    assert [v for f, v in verdicts.items() if f != wanted] == ["HS256 signature does not match"]


def test_the_recovery_reads_like_a_result() -> None:
    recovery = attacks.recover_rsa_modulus(order_tokens("ana", "bob"))
    digits = f"{recovery.modulus:x}"
    assert repr(recovery) == (f"ModulusRecovery(bits=2048, exponent=3, cofactor={recovery.cofactor}, tokens=2, "
                              f"modulus=0x{digits[:12]}...{digits[-12:]})")
    assert recovery.public_key().public_numbers() == ORDERS_KEY.public_key().public_numbers()


def test_the_wrong_exponent_or_mixed_keys_fail_with_a_reason() -> None:
    tokens = order_tokens("ana", "bob")
    with pytest.raises(RecoveryFailed, match="e = 5"):
        attacks.recover_rsa_modulus(tokens, exponent=5)
    with lab.SimClock():
        shop = jwt.encode(claims(), PRIVATE_KEY, algorithm="RS256")  # another key (and e = 65537)
    with pytest.raises(RecoveryFailed):
        attacks.recover_rsa_modulus([tokens[0], shop])


@pytest.mark.parametrize("tokens, exponent, error, match", [
    (["one"], 3, RecoveryFailed, "at least two"),
    ("a.b.c", 3, RecoveryFailed, "at least two"),
    (["x", "y"], 65537, RecoveryFailed, "out of reach"),
    (["x", "y"], 2, RecoveryFailed, "out of reach"),
    ([attacks.sign_hs256({"sub": "x"}, "k"), attacks.sign_hs256({"sub": "y"}, "k")], 3, Rejected, "not an RS256"),
    (["garbage", "more garbage"], 3, Rejected, "malformed"),
])
def test_bad_input_gets_a_clear_error(tokens: list[str], exponent: int, error: type[Exception], match: str) -> None:
    start = time.perf_counter()
    with pytest.raises(error, match=match):
        attacks.recover_rsa_modulus(tokens, exponent=exponent)
    assert time.perf_counter() - start < 1  # refused, not attempted


def test_the_error_types_belong_to_the_lab() -> None:
    assert issubclass(RecoveryFailed, lab.LabError) and issubclass(Rejected, lab.LabError)
