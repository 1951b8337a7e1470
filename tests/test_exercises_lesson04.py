"""Every lesson-04 check accepts its solutions, rejects wrong answers with feedback, and waits for None."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import labsupport as lab
from exercise_contract import contract_tests
from labsupport.exercises import lesson04

PRIVATE_KEY = lab.keys.rsa_private_key()
PUBLIC_PEM = lab.keys.public_pem(PRIVATE_KEY)
AUD, ISS = lab.attacks.SHOP_AUDIENCE, lab.attacks.SHOP_ISSUER


def admin_claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "mallory", "role": "admin", "iss": ISS, "aud": AUD, "iat": now, "exp": now + 900, **changes}


def in_sim_time(make: Callable[[], str]) -> str:
    with lab.SimClock():
        return make()


def hardened(token: str) -> dict[str, Any]:
    return jwt.decode(token, PUBLIC_PEM, algorithms=["RS256"], audience=AUD, issuer=ISS,
                      options={"require": ["exp", "iat", "sub", "aud", "iss"]})


def without(option: str) -> Callable[[str], Any]:
    """The hardened verifier with one of its defences left out."""
    def verify(token: str) -> Any:
        kwargs: dict[str, Any] = {"algorithms": ["RS256"], "audience": AUD, "issuer": ISS,
                                  "options": {"require": ["exp", "iat", "sub", "aud", "iss"]}}
        if option == "require":
            kwargs["options"] = {}
        elif option == "issuer":
            del kwargs["issuer"]
        elif option == "signature":
            kwargs["options"] = {"verify_signature": False}
        return jwt.decode(token, PUBLIC_PEM, **kwargs)
    return verify


ATTACKER_KEY = lab.keys.attacker_rsa_private_key()
ORDERS_KEY = lab.keys.small_exponent_rsa_private_key()
N = ORDERS_KEY.public_key().public_numbers().n
STAFF_SECRET = lab.attacks.staff_keys()[lab.attacks.STAFF_KID]


def staff_claims(**changes: Any) -> dict[str, Any]:
    return admin_claims(**{"aud": lab.attacks.STAFF_AUDIENCE, **changes})


def kid_token(secret: bytes, kid: str | None = lab.attacks.TRAVERSAL_KID, **changes: Any) -> str:
    """A staff token signed by hand, minted in simulated time."""
    return in_sim_time(lambda: lab.attacks.sign_hs256(staff_claims(**changes), secret, kid=kid))


def recovered_modulus() -> int:
    """Exercise 04.5's solution, as its hint says."""
    t1 = jwt.encode({"sub": "ana"}, ORDERS_KEY, algorithm="RS256")
    t2 = jwt.encode({"sub": "bob"}, ORDERS_KEY, algorithm="RS256")
    return lab.attacks.recover_rsa_modulus([t1, t2]).modulus


SOLUTIONS: dict[str, list[Any]] = {
    "04.1": [
        in_sim_time(lambda: lab.attacks.sign_hs256(admin_claims(), PUBLIC_PEM)),
        *(lab.attacks.forge_unsigned({"sub": "mallory", "role": "admin"}, alg=alg) for alg in lab.attacks.NONE_CASINGS),
        lab.attacks.sign_hs256({"role": "admin"}, PUBLIC_PEM.decode()),  # no exp at all: the vulnerable one never asks
    ],
    "04.2": ["b", " B "],
    "04.6": [hardened, lesson04.hardened_shop_verify],
    "04.3": ["jku", " JKU "],
    "04.4": [
        kid_token(b""),
        kid_token(b"", kid="/dev/null"),
        kid_token(lab.attacks.ROBOTS_TXT, kid=lab.attacks.ROBOTS_TXT_PATH),
        kid_token(lab.attacks.ROBOTS_TXT, kid="../../../srv/staff-api/static/robots.txt"),
        lab.attacks.sign_hs256(staff_claims(), b"", kid=lab.attacks.TRAVERSAL_KID),  # minted in real time
    ],
    "04.5": [recovered_modulus(), N],
}
WRONG: dict[str, list[Any]] = {
    "04.1": [
        in_sim_time(lambda: lab.attacks.tamper(jwt.encode(admin_claims(role="customer"), PRIVATE_KEY,
                                                          algorithm="RS256"), role="admin")),
        lab.attacks.forge_unsigned({"sub": "mallory", "role": "customer"}),
        in_sim_time(lambda: jwt.encode(admin_claims(), PRIVATE_KEY, algorithm="RS256")),  # the private key: cheating
        jwt.encode({"sub": "mallory", "role": "admin"}, PRIVATE_KEY, algorithm="RS256"),  # real time, no exp
        lab.attacks.sign_hs256(admin_claims(), "the wrong secret"),
        lab.attacks.forge_unsigned({"sub": "mallory", "role": "admin"}, alg="HS512"),
        "not a token", 42, b"bytes.are.not", ["a", "list"],
    ],
    "04.2": ["a", "c", "d", "e", "pin", 2, True],
    "04.6": [
        without("require"), without("issuer"), without("signature"),
        lambda token: lab.attacks.vulnerable_verify(token, PUBLIC_PEM),
        lambda token: jwt.decode(token, PUBLIC_PEM, algorithms=["RS256"]),  # no audience: rejects the genuine one
        lambda token: None, lambda token: 1 / 0,
        "jwt.decode", 3,
    ],
    "04.3": ["kid", "alg", "typ", "jwk", "x5u", "the jku", 4, ["jku"], b"jku"],
    "04.4": [
        kid_token(STAFF_SECRET, kid=lab.attacks.STAFF_KID),  # the real secret: not an attack
        kid_token(b"", kid="../dev/null"),  # not far enough up: a file that is not there
        kid_token(b"x"),  # /dev/null is empty, not "x"
        kid_token(b"", kid=None),  # no kid at all
        kid_token(b"", aud=lab.attacks.SHOP_AUDIENCE),  # a token for the shop, not the staff API
        kid_token(b"", role="staff"),
        kid_token(b"", iat=0, exp=1),  # long expired, in either time
        lab.attacks.forge_unsigned({**staff_claims(), "kid": lab.attacks.TRAVERSAL_KID}),
        "not a token", 42, None.__class__, ["a", "list"],
    ],
    "04.5": [
        N * 35, N + 2, N - 1, 0, -N, 1,
        lab.keys.rsa_private_key().public_key().public_numbers().n,
        ATTACKER_KEY.public_key().public_numbers().n,
        lab.attacks.recover_rsa_modulus(lesson04.order_service_tokens()),
        str(N), hex(N), float(2**60), True, [N],
    ],
}


(test_every_exercise_is_covered, test_solution_accepted, test_wrong_answer_rejected_with_feedback,
 test_none_is_not_answered_yet_and_a_hint_exists, test_odd_answers_get_feedback) = contract_tests(
    "04", SOLUTIONS, WRONG)


def test_forgery_feedback_says_what_went_wrong() -> None:
    assert "rejected it" in lab.check("04.1", WRONG["04.1"][0]).message
    assert "role 'customer'" in lab.check("04.1", WRONG["04.1"][1]).message
    assert "private key" in lab.check("04.1", WRONG["04.1"][2]).message
    assert "private key" in lab.check("04.1", WRONG["04.1"][3]).message


def test_forgery_success_names_pyjwts_rejection() -> None:
    assert "InvalidAlgorithmError" in lab.check("04.1", SOLUTIONS["04.1"][0]).message


def test_fix_feedback_explains_each_wrong_option_and_the_right_one_is_measured() -> None:
    for choice in "acd":
        assert lesson04.WHY_NOT_FIX[choice] in lab.check("04.2", choice).message
    assert lesson04.confusion_verdicts() == ("accepted", "InvalidAlgorithmError: The specified alg value is not allowed")


def test_hardening_feedback_names_the_attack_that_got_through() -> None:
    assert "no exp" in lab.check("04.6", without("require")).message
    assert "wrong issuer" in lab.check("04.6", without("issuer")).message
    assert "tampered payload" in lab.check("04.6", without("signature")).message
    assert "rejected a genuine shop token" in lab.check("04.6", lambda token: 1 / 0).message


def test_the_hardening_check_uses_every_attack_of_the_lesson() -> None:
    with lab.SimClock():
        tokens = lesson04.attack_tokens(int(time.time()))
        assert len(tokens) == 10
        for name, token in tokens.items():
            with pytest.raises(jwt.PyJWTError):
                hardened(token)
            if name == "tampered payload":  # the control: the signature holds even in careless hands
                with pytest.raises(lab.attacks.Rejected):
                    lab.attacks.vulnerable_verify(token, PUBLIC_PEM)
            else:
                assert lab.attacks.vulnerable_verify(token, PUBLIC_PEM)["iss"]


# --- 04.3 to 04.5 -----------------------------------------------------------------------------

def test_header_field_is_measured_and_exactly_one_field_stops_the_jku_attack() -> None:
    verdicts = lesson04.pinned_field_verdicts()
    assert set(verdicts) == {"alg", "typ", "kid", "jku"}
    assert [f for f, v in verdicts.items() if v != "accepted"] == ["jku"]
    assert verdicts["jku"].startswith("rejected (InvalidSignatureError")


def test_header_field_feedback_explains_each_wrong_field_with_the_measurement() -> None:
    for field in ["alg", "typ", "kid"]:
        message = lab.check("04.3", field).message
        assert lesson04.WHY_NOT_FIELD[field] in message and "still accepted" in message
    assert lesson04.WHY_NOT_FIELD["jwk"] in lab.check("04.3", "jwk").message
    assert "allow-listed" in lab.check("04.3", "jku").message


def test_kid_feedback_says_what_went_wrong() -> None:
    wrong = WRONG["04.4"]
    assert "real secret" in lab.check("04.4", wrong[0]).message
    assert "/etc/staff-api/dev/null" in lab.check("04.4", wrong[1]).message
    assert "0 bytes" in lab.check("04.4", wrong[2]).message
    assert "no kid" in lab.check("04.4", wrong[3]).message
    assert "InvalidAudienceError" in lab.check("04.4", wrong[4]).message
    assert "role 'staff'" in lab.check("04.4", wrong[5]).message
    assert "ExpiredSignatureError" in lab.check("04.4", wrong[6]).message
    assert "HS256 only" in lab.check("04.4", wrong[7]).message


def test_kid_success_names_the_file_and_the_hardened_rejection() -> None:
    message = lab.check("04.4", SOLUTIONS["04.4"][0]).message
    assert "/dev/null: an empty key" in message and "InvalidKeyError: unknown kid" in message
    assert "26 bytes anyone can read" in lab.check("04.4", SOLUTIONS["04.4"][2]).message


def test_the_hardened_staff_verifier_accepts_a_genuine_token_and_rejects_each_forgery() -> None:
    with lab.SimClock():
        assert lesson04.hardened_staff_verify(kid_token(STAFF_SECRET, kid=lab.attacks.STAFF_KID))["sub"] == "mallory"
        for token in SOLUTIONS["04.4"][:4]:
            with pytest.raises(jwt.InvalidKeyError):
                lesson04.hardened_staff_verify(token)


def test_modulus_feedback_tells_a_multiple_and_the_other_keys_apart() -> None:
    assert "n times 35" in lab.check("04.5", N * 35).message
    assert "shop's published key" in lab.check("04.5", WRONG["04.5"][6]).message
    assert "attacker's own key" in lab.check("04.5", WRONG["04.5"][7]).message
    assert ".modulus" in lab.check("04.5", WRONG["04.5"][8]).message
    assert "not str" in lab.check("04.5", str(N)).message


def test_the_modulus_check_measures_its_answer_from_the_order_services_tokens() -> None:
    tokens = lesson04.order_service_tokens()
    assert len(tokens) == 2 and all(jwt.get_unverified_header(t)["alg"] == "RS256" for t in tokens)
    recovery = lab.attacks.recover_rsa_modulus(tokens)
    assert recovery.modulus == N
    assert f"n times {recovery.cofactor}" in lab.check("04.5", N).message


@settings(max_examples=60, deadline=None)
@given(answer=st.one_of(st.text(max_size=40), st.integers(), st.binary(max_size=20), st.floats(),
                        st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers())))
def test_the_new_checks_never_crash_whatever_the_answer(answer: Any) -> None:
    for key in ["04.3", "04.4", "04.5"]:
        verdict = lab.check(key, answer)
        assert "checking your answer raised" not in verdict.message, (key, answer, verdict)
