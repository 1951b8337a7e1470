"""DELIBERATELY VULNERABLE - for the attack lab only; used by nothing else (lesson 04): the classic mistakes.

``vulnerable_verify`` is a hand-written JWT "verifier" that makes the classic mistakes on
purpose; PyJWT refuses every one of them, which is why it is written by hand. Beside it, the
attacker's first tools: forge an unsigned token, sign HS256 with any bytes as the secret (PyJWT
refuses a PEM key, or an empty one, as an HMAC secret), and tamper with a payload while keeping
the old signature.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from .common import Rejected, as_bytes, b64url_encode, json_segment, split_token

NONE_CASINGS: tuple[str, ...] = ("none", "None", "NONE", "nOnE")
"""Spellings of ``alg: none`` that careless verifiers accept (a case-insensitive compare)."""


# shown in lesson 04
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
    header_b64, payload_b64, _, header, claims, signature = split_token(token)
    signing_input = f"{header_b64}.{payload_b64}".encode()
    alg = header.get("alg")  # mistake 1: the token decides how it is checked
    if isinstance(alg, str) and alg.lower() == "none":  # mistake 2: an unsigned token is taken at its word
        return claims
    if alg == "HS256":  # mistake 3: any key becomes an HMAC secret, even a public one
        expected = hmac.new(as_bytes(key), signing_input, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, signature):
            raise Rejected("HS256 signature does not match")
        return claims
    if alg == "RS256":
        try:
            public_key = serialization.load_pem_public_key(as_bytes(key))
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
    return f"{json_segment({'alg': alg, 'typ': 'JWT'})}.{json_segment(claims)}."


# shown in lesson 04
def sign_hs256(claims: Mapping[str, Any], secret: str | bytes, *, kid: str | None = None) -> str:
    """An HS256 token signed by hand with ``secret``: any bytes, even a public key's PEM text or nothing.

    PyJWT refuses a PEM key as an HMAC secret (``InvalidKeyError``), and an empty one too; an
    attacker is not bound by that. ``kid`` adds a key id to the header (lesson 04's kid injection).
    """
    header: dict[str, Any] = {"alg": "HS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signing_input = f"{json_segment(header)}.{json_segment(claims)}"
    signature = hmac.new(as_bytes(secret), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url_encode(signature)}"


def tamper(token: str, **changes: Any) -> str:
    """``token`` with some claims changed, keeping its header and its old signature."""
    header_b64, _, signature_b64, _, claims, _ = split_token(token)
    return f"{header_b64}.{json_segment({**claims, **changes})}.{signature_b64}"


__all__ = ["NONE_CASINGS", "forge_unsigned", "sign_hs256", "tamper", "vulnerable_verify"]
