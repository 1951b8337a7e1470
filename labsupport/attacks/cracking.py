"""DELIBERATELY VULNERABLE - for the attack lab only; used by nothing else (lesson 04): weak secrets.

An offline dictionary attack on an HS256 token: the attacker needs one token and no contact with
the server. A hardened verifier cannot save a guessable key.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from .common import Rejected, split_token

COMMON_SECRETS: tuple[str, ...] = (
    "secret", "password", "changeme", "123456", "admin", "jwt", "jwt-secret", "jwtsecret",
    "secretkey", "secret-key", "supersecret", "s3cr3t", "shhhhh", "letmein", "qwerty",
    "default", "test", "key", "my-secret", "your-256-bit-secret",
)
"""A short word list of secrets people really use: 'shhhhh' is from a popular library's README,
'your-256-bit-secret' is the example secret jwt.io's debugger showed for years. Real lists hold
hundreds of thousands of entries."""


@dataclass(frozen=True)
class CrackResult:
    """What a dictionary attack on an HS256 token found: the secret (or ``None``) and the guesses made."""

    secret: str | None
    tried: int

    @property
    def found(self) -> bool:
        """True when a word of the list signs the token."""
        return self.secret is not None


# shown in lesson 04
def crack_hs256(token: str, words: Iterable[str] = COMMON_SECRETS) -> CrackResult:
    """Try each word as the HMAC secret of an HS256 token; stop at the first that signs it.

    Offline: the attacker needs one token and no contact with the server, so no rate limit
    or lockout can slow the guessing down.
    """
    header_b64, payload_b64, _, header, _, signature = split_token(token)
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


__all__ = ["COMMON_SECRETS", "CrackResult", "crack_hs256"]
