"""Exercises of lesson 04, the JWT attack lab: forge a token, name the fix, harden a verifier.

The checks run the learner's answer against the deliberately vulnerable verifier in
``labsupport.attacks`` and against PyJWT called the hardened way, exactly as the notebook
writes it. Nothing else in labsupport may import ``attacks``; this module is the attack
lab's own checker, so it may.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import jwt

from .. import attacks
from ..clock import SimClock
from ..keys import public_pem, rsa_private_key
from .base import Exercise, Wrong, expect_choice

REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss"]
"""The claims the hardened shop verifier insists on, as in the notebook."""


def shop_public_pem() -> bytes:
    """The RSA public key the shop verifies with, as the login service publishes it."""
    return public_pem(rsa_private_key())


def hardened_shop_verify(token: str) -> dict[str, Any]:
    """The notebook's hardened verifier for the shop: PyJWT, algorithm pinned, claims required."""
    return jwt.decode(token, shop_public_pem(), algorithms=["RS256"], audience=attacks.SHOP_AUDIENCE,
                      issuer=attacks.SHOP_ISSUER, options={"require": REQUIRED_CLAIMS})


def _genuinely_signed(token: str) -> bool:
    """True if the login service's private key signed ``token`` (any claims, any time)."""
    try:
        jwt.decode(token, shop_public_pem(), algorithms=["RS256"],
                   options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                            "verify_aud": False, "verify_iss": False})
    except jwt.PyJWTError:
        return False
    return True


# Exercise 04.1 -------------------------------------------------------------------------------

def _check_forgery(answer: Any) -> str:
    if not isinstance(answer, str):
        raise Wrong(f"answer with the token itself, a string 'header.payload.signature', not {type(answer).__name__}.")
    try:
        claims = attacks.vulnerable_verify(answer, shop_public_pem())
    except attacks.Rejected as e:
        raise Wrong(f"the vulnerable verifier rejected it: {e.reason}. Don't fight the signature: make the "
                    "verifier check the wrong thing.") from None
    if claims.get("role") != "admin":
        raise Wrong(f"the vulnerable verifier accepted it, but with role {claims.get('role')!r}: "
                    "the claims need \"role\": \"admin\".")
    if _genuinely_signed(answer):
        raise Wrong("that token carries a genuine RS256 signature: you signed it with the login service's "
                    "private key, which an attacker does not have. Forge one with the public key only.")
    try:
        with SimClock():
            hardened_shop_verify(answer)
    except jwt.PyJWTError as e:
        return (f"the vulnerable verifier let you in as admin; PyJWT, pinned to RS256, rejected the same token "
                f"with {type(e).__name__}: {e}")
    raise Wrong("the hardened verifier accepted it too, so it is not a forgery.")


# Exercise 04.2 -------------------------------------------------------------------------------

FIX_OPTIONS: dict[str, str] = {
    "a": "keep the RSA public key secret",
    "b": "pin the algorithm: algorithms=['RS256'] in jwt.decode",
    "c": "reject every token whose alg is 'none'",
    "d": "use a longer RSA key (4096 bits)",
}
"""Exercise 04.2: the one-line fix for HS/RS confusion."""
WHY_NOT_FIX: dict[str, str] = {
    "a": "a public key is public by design: every service that verifies needs it, and login services "
         "publish theirs. Security must not rest on hiding it.",
    "c": "that stops the unsigned token, not this one: the confusion token says HS256 and carries a valid HMAC.",
    "d": "the attack never touches the RSA maths: it uses the key's PEM text as an HMAC secret, whatever its length.",
}


def confusion_verdicts() -> tuple[str, str]:
    """Exercise 04.2, measured: an HS/RS confusion token against the vulnerable verifier and PyJWT pinned to RS256."""
    with SimClock():
        now = int(time.time())
        claims = {"sub": "mallory", "role": "admin", "iss": attacks.SHOP_ISSUER, "aud": attacks.SHOP_AUDIENCE,
                  "iat": now, "exp": now + 900}
        token = attacks.sign_hs256(claims, shop_public_pem())
        record = attacks.side_by_side("HS/RS confusion", token, vulnerable_key=shop_public_pem(),
                                      hardened=hardened_shop_verify)
    return record["vulnerable"], record["reason"]


def _check_fix(answer: Any) -> str:
    choice = answer.strip().lower() if isinstance(answer, str) else None
    if choice in WHY_NOT_FIX:
        raise Wrong(f"({choice}) {FIX_OPTIONS[choice]}: {WHY_NOT_FIX[choice]}")
    vulnerable, reason = confusion_verdicts()
    expect_choice(answer, "b", list(FIX_OPTIONS))
    return (f"with the algorithm pinned, the token no longer chooses how it is checked. Measured: the vulnerable "
            f"verifier {vulnerable} the confusion token; PyJWT with algorithms=['RS256'] said {reason}.")


# Exercise 04.3 -------------------------------------------------------------------------------

def attack_tokens(now: int) -> dict[str, str]:
    """Exercise 04.3: one token per attack on the shop, all minted at simulated time ``now``."""
    private = rsa_private_key()
    base = {"sub": "ana", "role": "customer", "iss": attacks.SHOP_ISSUER, "aud": attacks.SHOP_AUDIENCE,
            "iat": now, "exp": now + 900}
    admin = {**base, "sub": "mallory", "role": "admin"}
    tokens = {"tampered payload": attacks.tamper(jwt.encode(base, private, algorithm="RS256"), role="admin")}
    tokens.update({f"alg {alg!r}": attacks.forge_unsigned(admin, alg=alg) for alg in attacks.NONE_CASINGS})
    tokens["HS/RS confusion"] = attacks.sign_hs256(admin, shop_public_pem())
    tokens["expired"] = jwt.encode({**base, "iat": now - 7200, "exp": now - 3600}, private, algorithm="RS256")
    tokens["no exp"] = jwt.encode({k: v for k, v in base.items() if k != "exp"}, private, algorithm="RS256")
    tokens["wrong audience"] = jwt.encode({**base, "aud": attacks.OTHER_AUDIENCE}, private, algorithm="RS256")
    tokens["wrong issuer"] = jwt.encode({**base, "iss": "https://login.evil.example"}, private, algorithm="RS256")
    return tokens


def _check_hardened(answer: Any) -> str:
    if not callable(answer):
        raise Wrong("answer should be a function: def verify(token): return jwt.decode(token, ...)")
    verify: Callable[[str], Any] = answer
    with SimClock():
        now = int(time.time())
        genuine = jwt.encode({"sub": "ana", "role": "customer", "iss": attacks.SHOP_ISSUER,
                              "aud": attacks.SHOP_AUDIENCE, "iat": now, "exp": now + 900},
                             rsa_private_key(), algorithm="RS256")
        try:
            claims = verify(genuine)
        except Exception as e:  # the learner's function may raise anything: that is feedback
            raise Wrong(f"your verify rejected a genuine shop token with {type(e).__name__}: {e}. Check the key "
                        "(the shop's public key), the algorithm, the audience and the issuer.") from None
        if not isinstance(claims, Mapping) or claims.get("sub") != "ana":
            raise Wrong(f"for a genuine token your verify should return its claims, got {claims!r}.")
        caught: dict[str, str] = {}
        for name, token in attack_tokens(now).items():
            try:
                verify(token)
            except Exception as e:  # any exception is a rejection
                caught[name] = type(e).__name__
            else:
                raise Wrong(f"your verify accepted the {name} token. Which argument or required claim of "
                            "jwt.decode would have stopped it?")
    return (f"genuine token accepted, all {len(caught)} attack tokens rejected: "
            + ", ".join(f"{name} ({error})" for name, error in caught.items()) + ".")


EXERCISES: list[Exercise] = [
    Exercise("04.1", "forge an admin token for the shop",
             "The vulnerable verifier lets the header choose the algorithm. Two tools work without the private "
             "key: lab.attacks.forge_unsigned(claims, alg=...) and lab.attacks.sign_hs256(claims, secret) with "
             "the shop's public key as the secret. Put \"role\": \"admin\" in the claims.", _check_forgery),
    Exercise("04.2", "the one-line fix for HS/RS confusion",
             "In the confusion attack, who decided that the public key would be used as an HMAC secret: the "
             "server or the token?", _check_fix),
    Exercise("04.3", "harden the shop's verifier yourself",
             "One call: jwt.decode(token, <the shop's public key>, algorithms=[...], audience=..., issuer=..., "
             "options={\"require\": [...]}). The key is lab.keys.public_pem(lab.keys.rsa_private_key()); the "
             "audience and issuer are lab.attacks.SHOP_AUDIENCE and lab.attacks.SHOP_ISSUER.", _check_hardened),
]
