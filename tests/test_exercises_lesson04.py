"""Every lesson-04 check accepts its solutions, rejects wrong answers with feedback, and waits for None."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

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


SOLUTIONS: dict[str, list[Any]] = {
    "04.1": [
        in_sim_time(lambda: lab.attacks.sign_hs256(admin_claims(), PUBLIC_PEM)),
        *(lab.attacks.forge_unsigned({"sub": "mallory", "role": "admin"}, alg=alg) for alg in lab.attacks.NONE_CASINGS),
        lab.attacks.sign_hs256({"role": "admin"}, PUBLIC_PEM.decode()),  # no exp at all: the vulnerable one never asks
    ],
    "04.2": ["b", " B "],
    "04.3": [hardened, lesson04.hardened_shop_verify],
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
    "04.3": [
        without("require"), without("issuer"), without("signature"),
        lambda token: lab.attacks.vulnerable_verify(token, PUBLIC_PEM),
        lambda token: jwt.decode(token, PUBLIC_PEM, algorithms=["RS256"]),  # no audience: rejects the genuine one
        lambda token: None, lambda token: 1 / 0,
        "jwt.decode", 3,
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
    assert "no exp" in lab.check("04.3", without("require")).message
    assert "wrong issuer" in lab.check("04.3", without("issuer")).message
    assert "tampered payload" in lab.check("04.3", without("signature")).message
    assert "rejected a genuine shop token" in lab.check("04.3", lambda token: 1 / 0).message


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
