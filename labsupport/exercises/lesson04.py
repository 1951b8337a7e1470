"""Exercises of lesson 04, the JWT attack lab: forge a token, name the fix, harden a verifier, name
the header field a key must not come from, climb out of a key folder, recover an unpublished key.

The checks run the learner's answer against the deliberately vulnerable verifiers in
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
from ..keys import attacker_rsa_private_key, public_pem, rsa_private_key, small_exponent_rsa_private_key
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


# Exercise 04.6 -------------------------------------------------------------------------------

def attack_tokens(now: int) -> dict[str, str]:
    """Exercise 04.6: one token per attack on the shop, all minted at simulated time ``now``."""
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


def _admin_claims(audience: str) -> dict[str, Any]:
    """What the attacker wants a service to believe, minted now (simulated time in the checks)."""
    now = int(time.time())
    return {"sub": "mallory", "role": "admin", "iss": attacks.SHOP_ISSUER, "aud": audience, "iat": now,
            "exp": now + 900}


_TIME_ERRORS = ("ExpiredSignatureError", "ImmatureSignatureError")


def _at_its_time(verify: Callable[[str], dict[str, Any]], token: str) -> dict[str, Any]:
    """``verify(token)`` in the lesson's simulated time; a token minted in real time gets a second try there."""
    try:
        with SimClock():
            return verify(token)
    except attacks.Rejected as e:
        if not e.reason.startswith(_TIME_ERRORS):
            raise
    return verify(token)


# Exercise 04.3 -------------------------------------------------------------------------------

HEADER_FIELDS = ("alg", "typ", "kid", "jku", "jwk")
"""Exercise 04.3: the header fields a learner may name."""
GENUINE_HEADER: dict[str, str] = {"alg": "RS256", "typ": "JWT", "kid": attacks.SHOP_KID, "jku": attacks.SHOP_JWKS_URL}
"""What the login service itself writes in each header field of its tokens."""
WHY_NOT_FIELD: dict[str, str] = {
    "alg": "the attack token already says RS256, the one algorithm the verifier allows: the algorithm was "
           "never the problem here.",
    "typ": "typ only labels the token as a JWT; no verifier takes a key from it.",
    "kid": "the attacker reused the login service's own kid: a kid is a name, not a proof. The verifier "
           "looked that name up in a key set the attacker wrote.",
    "jwk": "this token carries no jwk: that field belongs to the other header attack, where the key itself "
           "rides in the header.",
}


def pinned_field_verdicts() -> dict[str, str]:
    """Exercise 04.3, measured: for each header field of the jku attack token, what the vulnerable jku
    verifier says when the attacker must write that one field as the login service does (and re-signs)."""
    attacker = attacker_rsa_private_key()
    web = attacks.fake_web()
    with SimClock():
        claims = _admin_claims(attacks.SHOP_AUDIENCE)
        header = jwt.get_unverified_header(attacks.sign_with_jku(claims, attacker))
        verdicts = {}
        for field in header:
            token = jwt.encode(claims, attacker, algorithm="RS256", headers={**header, field: GENUINE_HEADER[field]})
            try:
                attacks.verify_with_jku(token, fetch=web)
                verdicts[field] = "accepted"
            except attacks.Rejected as e:
                verdicts[field] = f"rejected ({e.reason})"
    return verdicts


def _check_header_field(answer: Any) -> str:
    if not isinstance(answer, str) or answer.strip().lower() not in HEADER_FIELDS:
        raise Wrong(f"answer with one of {', '.join(repr(f) for f in HEADER_FIELDS)}: the name of a header field.")
    verdicts = pinned_field_verdicts()
    stoppers = [field for field, verdict in verdicts.items() if verdict.startswith("rejected")]
    if len(stoppers) != 1:
        raise RuntimeError(f"expected exactly one header field to stop the jku attack, measured {verdicts}")
    choice = answer.strip().lower()
    if choice in WHY_NOT_FIELD and choice != stoppers[0]:
        measured = (f" Measured: with {choice} written as the login service writes it, the vulnerable verifier "
                    f"still {verdicts[choice]} the token." if choice in verdicts else "")
        raise Wrong(f"not {choice}: {WHY_NOT_FIELD[choice]}{measured}")
    field = stoppers[0]
    expect_choice(answer, field, list(HEADER_FIELDS))
    return (f"{field}: written as the login service writes it ({GENUINE_HEADER[field]!r}), the forged token is "
            f"{verdicts[field]}; with any other field written so, it is still accepted. The fix keeps keys "
            "out of the token's hands: verify with keys fixed at configuration (PUBLIC_PEM, or the JWK Set of "
            "one allow-listed URL), never with a key the header carries (jwk) or points to (jku).")


# Exercise 04.4 -------------------------------------------------------------------------------

def hardened_staff_verify(token: str) -> dict[str, Any]:
    """The notebook's hardened verifier for the staff API: the kid is looked up in the keys the service was
    configured with, an unknown kid is rejected, and PyJWT checks the rest with HS256 pinned."""
    kid = jwt.get_unverified_header(token).get("kid")
    configured = attacks.staff_keys()
    if not isinstance(kid, str) or kid not in configured:
        raise jwt.InvalidKeyError(f"unknown kid {kid!r}")
    return jwt.decode(token, configured[kid], algorithms=["HS256"], audience=attacks.STAFF_AUDIENCE,
                      issuer=attacks.SHOP_ISSUER, options={"require": REQUIRED_CLAIMS})


def _staff_hardened_rejects(token: str) -> str | None:
    """PyJWT's reason for rejecting ``token`` the hardened way (in simulated time), or None if it accepts it
    in simulated or in real time."""
    try:
        with SimClock():
            hardened_staff_verify(token)
        return None
    except jwt.PyJWTError as e:
        reason = f"{type(e).__name__}: {e}"
    try:
        hardened_staff_verify(token)
    except jwt.PyJWTError:
        return reason
    return None


def _kid_rejection_feedback(reason: str, header: dict[str, Any]) -> str:
    kid = header.get("kid")
    if reason == "no kid in the header":
        return ("the token has no kid, so the verifier has no file to read. "
                "lab.attacks.sign_hs256(claims, key, kid=...) adds one.")
    if isinstance(kid, str) and reason.startswith("no key file"):
        return (f"your kid {kid!r} names {attacks.kid_path(kid)}, which is not on the staff API's disk. Which "
                "file exists on every Unix machine, and is always empty?")
    if isinstance(kid, str) and reason == "HS256 signature does not match":
        contents = attacks.key_folder().get(attacks.kid_path(kid), b"")
        return (f"your kid names {attacks.kid_path(kid)}, whose {len(contents)} bytes are the HMAC key, but the "
                "token was signed with other bytes. Sign with exactly the contents of the file the kid names.")
    if reason.startswith(_TIME_ERRORS):
        return (f"{reason}. Mint the claims inside `with lab.SimClock():`, with iat now and exp a few minutes "
                "later (now = int(time.time())).")
    if reason.startswith(("InvalidAudienceError", "InvalidIssuerError")) or "claim" in reason:
        return (f"the verifier checked the signature and then the claims: {reason}. The staff API wants sub, "
                f"role, iss {attacks.SHOP_ISSUER!r}, aud {attacks.STAFF_AUDIENCE!r}, iat and exp.")
    return reason.rstrip(".") + "."


def _check_kid_forgery(answer: Any) -> str:
    if not isinstance(answer, str):
        raise Wrong(f"answer with the token itself, a string 'header.payload.signature', not {type(answer).__name__}.")
    try:
        claims = _at_its_time(attacks.verify_with_kid_path, answer)
    except attacks.Rejected as e:
        try:
            header = jwt.get_unverified_header(answer)
        except jwt.PyJWTError:
            header = {}
        raise Wrong("the staff API's vulnerable verifier rejected it: "
                    + _kid_rejection_feedback(e.reason, header)) from None
    if claims.get("role") != "admin":
        raise Wrong(f"the vulnerable verifier accepted it, but with role {claims.get('role')!r}: "
                    "the claims need \"role\": \"admin\".")
    reason = _staff_hardened_rejects(answer)
    if reason is None:
        raise Wrong("that token is signed with the staff API's real secret under its real kid: an attacker does "
                    "not have that secret. Make the verifier read a key you know instead.")
    path = attacks.kid_path(jwt.get_unverified_header(answer)["kid"])
    key = attacks.key_folder()[path]
    what = "an empty key" if not key else f"a key of {len(key)} bytes anyone can read"
    return (f"your kid led the verifier to {path}: {what}, and you signed with the same. The hardened verifier "
            f"looks the kid up in its configured keys and rejected the token with {reason}.")


# Exercise 04.5 -------------------------------------------------------------------------------

def order_service_tokens() -> list[str]:
    """Exercise 04.5: two tokens the order service signed (RS256, its e = 3 key), minted in simulated time."""
    private = small_exponent_rsa_private_key()
    with SimClock():
        now = int(time.time())
        return [jwt.encode({"sub": sub, "role": "customer", "iss": attacks.SHOP_ISSUER, "aud": attacks.ORDERS_AUDIENCE,
                            "iat": now, "exp": now + 900}, private, algorithm="RS256") for sub in ("ana", "bob")]


def _modulus_of(key: Any) -> int:
    return int(key.public_key().public_numbers().n)


def _check_modulus(answer: Any) -> str:
    if isinstance(answer, attacks.ModulusRecovery):
        raise Wrong("that is the whole recovery; answer with its .modulus, the integer n.")
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise Wrong(f"answer with the modulus n as a Python int, not {type(answer).__name__}.")
    n = _modulus_of(small_exponent_rsa_private_key())
    if answer == n:
        recovery = attacks.recover_rsa_modulus(order_service_tokens())
        return (f"that is the order service's modulus: {n.bit_length()} bits, with e = {recovery.exponent}. From two "
                f"of its tokens the gcd of s**3 - m was n times {recovery.cofactor}. With n, the attacker writes the "
                "key as PEM in both forms and tries HS/RS confusion with each: the key was never secret, "
                "only unpublished.")
    if answer == _modulus_of(rsa_private_key()):
        raise Wrong("that is the modulus of the shop's published key. The order service signs with another key, "
                    "which it never published: recover it from the order service's tokens.")
    if answer == _modulus_of(attacker_rsa_private_key()):
        raise Wrong("that is the attacker's own key. Recover the order service's from its tokens.")
    if answer > n and answer % n == 0:
        raise Wrong(f"that is n times {answer // n}: the gcd leaves a small factor beside n. Divide out small "
                    f"numbers until it has as many bits as the signatures ({n.bit_length()}).")
    if answer <= 1:
        raise Wrong("a modulus is a large positive number, as many bits as a signature.")
    raise Wrong(f"that number ({answer.bit_length()} bits) is not the order service's modulus: for its tokens, "
                "pow(s, 3, n) must equal the PKCS#1 encoding m of each token's signing input.")


EXERCISES: list[Exercise] = [
    Exercise("04.1", "forge an admin token for the shop",
             "The vulnerable verifier lets the header choose the algorithm. Two tools work without the private "
             "key: lab.attacks.forge_unsigned(claims, alg=...) and lab.attacks.sign_hs256(claims, secret) with "
             "the shop's public key as the secret. Put \"role\": \"admin\" in the claims.", _check_forgery),
    Exercise("04.2", "the one-line fix for HS/RS confusion",
             "In the confusion attack, who decided that the public key would be used as an HMAC secret: the "
             "server or the token?", _check_fix),
    Exercise("04.3", "the header field a key must not come from",
             "Where did the jku verifier get the key it checked the signature with, and which header field told "
             "it where to look? To measure it: write each field of the attack token's header, one at a time, as "
             "the login service writes it (alg 'RS256', kid lab.attacks.SHOP_KID, jku lab.attacks.SHOP_JWKS_URL), "
             "re-sign with the attacker's key (jwt.encode(claims, lab.keys.attacker_rsa_private_key(), "
             "algorithm='RS256', headers=...)) and run lab.attacks.verify_with_jku(token, "
             "fetch=lab.attacks.fake_web()). Answer with the one field whose change gets the token rejected.",
             _check_header_field),
    Exercise("04.4", "forge a staff token with a kid that leaves the key folder",
             "Inside `with lab.SimClock():`, make claims with sub, \"role\": \"admin\", iss "
             "lab.attacks.SHOP_ISSUER, aud lab.attacks.STAFF_AUDIENCE, iat now and exp now + 900 (now = "
             "int(time.time())), and sign them with an empty key and a kid that climbs out of the key folder to "
             "/dev/null: lab.attacks.sign_hs256(claims, b\"\", kid=lab.attacks.TRAVERSAL_KID).", _check_kid_forgery),
    Exercise("04.5", "recover the order service's unpublished key",
             "Take two tokens the order service signed: the section's, or mint two as it does, "
             "t1 = jwt.encode({\"sub\": \"ana\"}, lab.keys.small_exponent_rsa_private_key(), algorithm=\"RS256\") "
             "and t2 the same with \"bob\". Pass them to lab.attacks.recover_rsa_modulus([t1, t2]) (or compute "
             "math.gcd(s1**3 - m1, s2**3 - m2) with lab.attacks.pkcs1_v15_sha256 and divide out the small factor "
             "yourself) and answer with the modulus n, an int: the result's .modulus.", _check_modulus),
    Exercise("04.6", "harden the shop's verifier yourself",
             "One call: jwt.decode(token, <the shop's public key>, algorithms=[...], audience=..., issuer=..., "
             "options={\"require\": [...]}). The key is lab.keys.public_pem(lab.keys.rsa_private_key()); the "
             "audience and issuer are lab.attacks.SHOP_AUDIENCE and lab.attacks.SHOP_ISSUER.", _check_hardened),
]
