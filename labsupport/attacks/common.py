"""DELIBERATELY VULNERABLE - for the attack lab only; used by nothing else (lesson 04): what the attacks share.

The services the attacks target, the lab's one exception, and the plumbing of a token read by
hand: base64url segments, a header and payload split without verifying anything, and the
strict PyJWT call the careful parts of the vulnerable verifiers make.
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

import jwt
from jwt.types import Options

from ..errors import LabError

SHOP_ISSUER = "https://login.shop.example"
"""Who mints the shop's tokens (RS256, with ``keys.rsa_private_key()``)."""
SHOP_AUDIENCE = "shop-api"
"""The service the attacks target; it verifies with the published RSA public key."""
OTHER_AUDIENCE = "reports-api"
"""Another service that trusts the same login service: its tokens are not for the shop."""
REQUIRED_CLAIMS: tuple[str, ...] = ("exp", "iat", "sub", "aud", "iss")
"""The claims every verifier of the lab insists on, as the lesson's hardened verifier does."""


class Rejected(LabError):
    """A verifier or a denylist of the attack lab refused a token; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def b64url_encode(data: bytes) -> str:
    """Base64url without padding, as JWT segments are written."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of one JWT segment (padding restored)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def json_segment(obj: Mapping[str, Any]) -> str:
    """A header or payload segment: compact JSON, base64url-encoded."""
    return b64url_encode(json.dumps(dict(obj), separators=(",", ":")).encode())


def as_bytes(key: str | bytes) -> bytes:
    """A key given as text or bytes, as bytes (text is UTF-8)."""
    return key.encode() if isinstance(key, str) else bytes(key)


def split_token(token: str) -> tuple[str, str, str, dict[str, Any], dict[str, Any], bytes]:
    """Header, payload and signature segments, the decoded header and claims, the raw signature.

    Nothing is verified; a token that cannot be read raises ``Rejected``.
    """
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(payload_b64))
        signature = b64url_decode(signature_b64)
    except RecursionError as e:  # JSON nested deeper than the interpreter's stack
        raise Rejected("malformed token: its JSON is nested too deeply") from e
    except (AttributeError, ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise Rejected(f"malformed token: {e}") from e
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise Rejected("malformed token: header and payload must be JSON objects")
    return header_b64, payload_b64, signature_b64, header, claims, signature


def decode_strictly(token: str, key: Any, *, algorithm: str, audience: str, issuer: str,
                    verify_signature: bool = True) -> dict[str, Any]:
    """PyJWT called the careful way: ``algorithm`` pinned, audience, issuer, required claims.

    The vulnerable verifiers of lesson 04's later sections call this for everything they get
    right; their one mistake is the ``key`` they pass. ``verify_signature=False`` is only for a
    verifier that has just checked the signature by hand (PyJWT refuses its key): every claim
    check stays on. PyJWT's errors come back as ``Rejected`` with the exception's name.
    """
    options: Options = {"require": list(REQUIRED_CLAIMS)}
    if not verify_signature:
        options = {**options, "verify_signature": False, "verify_exp": True, "verify_nbf": True,
                   "verify_iat": True, "verify_aud": True, "verify_iss": True}
    try:
        return jwt.decode(token, key, algorithms=[algorithm], audience=audience, issuer=issuer, options=options)
    except jwt.PyJWTError as e:
        raise Rejected(f"{type(e).__name__}: {e}") from e


__all__ = [
    "OTHER_AUDIENCE", "REQUIRED_CLAIMS", "SHOP_AUDIENCE", "SHOP_ISSUER", "Rejected", "b64url_decode",
    "b64url_encode", "split_token",
]
"""The names the package re-exports; ``as_bytes``, ``json_segment`` and ``decode_strictly`` serve its modules."""
