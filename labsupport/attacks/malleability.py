"""DELIBERATELY VULNERABLE - for the attack lab only; used by nothing else (lesson 05): a revocation bypass.

An ECDSA signature ``(r, s)`` is valid exactly when ``(r, n - s)`` is, where ``n`` is the curve's
order: the standard allows both, and PyJWT (through ``cryptography`` and OpenSSL) accepts both.
So anyone holding an ES256 token can write a second, different string that verifies as the same
token, without any key: ``malleate_es256``.

A denylist keyed on a hash of the token's text (``TokenHashDenylist``, deliberately vulnerable)
refuses the revoked token and lets its malleated copy in. A denylist keyed on what the token
*says* (``JtiDenylist``: its ``iss`` and ``jti``, as lesson 05's store does) refuses both.

Ed25519 (EdDSA), which the course uses elsewhere, is not malleable this way: RFC 8032 requires the
signature's ``S`` to be below the group order ``L``, and a verifier must reject ``S + L``, which
``cryptography`` does (``malleate_ed25519`` builds that copy; PyJWT answers
``InvalidSignatureError``). ``malleability_comparison`` measures all of it.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from typing import Any

import jwt

from ..keys import ec_p256_private_key, ed25519_private_key
from ..tables import Table
from .common import REQUIRED_CLAIMS, SHOP_AUDIENCE, SHOP_ISSUER, Rejected, b64url_encode, split_token

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
"""``n``, the order of the P-256 curve that ES256 signs on."""
ED25519_ORDER = 2**252 + 27742317777372353535851937790883648493
"""``L``, the order of Ed25519's group; RFC 8032 requires a signature's ``S < L``."""

Verifier = Callable[[str], Mapping[str, Any]]
"""A token verifier: returns the claims or raises (PyJWT's errors)."""


def _signature_halves(token: str, alg: str) -> tuple[str, bytes, bytes]:
    header_b64, payload_b64, _, header, _, signature = split_token(token)
    if header.get("alg") != alg or len(signature) != 64:
        raise Rejected(f"not an {alg} token with a 64-byte signature (alg {header.get('alg')!r})")
    return f"{header_b64}.{payload_b64}", signature[:32], signature[32:]


def malleate_es256(token: str) -> str:
    """The same ES256 token with its signature ``(r, s)`` rewritten as ``(r, n - s)``: a different
    string, and still a valid signature of the same header and claims. No key needed."""
    signed, r, s = _signature_halves(token, "ES256")
    value = int.from_bytes(s, "big")
    if not 0 < value < P256_ORDER:
        raise Rejected("the signature's s is out of range")
    return f"{signed}.{b64url_encode(r + (P256_ORDER - value).to_bytes(32, 'big'))}"


def malleate_ed25519(token: str) -> str:
    """The same EdDSA (Ed25519) token with its signature's ``S`` replaced by ``S + L``: the same
    value modulo ``L``, which a verifier following RFC 8032 must reject."""
    signed, r, s = _signature_halves(token, "EdDSA")
    value = int.from_bytes(s, "little") + ED25519_ORDER
    if value >= 2**256:
        raise Rejected("the signature's S is out of range")
    return f"{signed}.{b64url_encode(r + value.to_bytes(32, 'little'))}"


class TokenHashDenylist:
    """DELIBERATELY VULNERABLE - for the attack lab only; used by nothing else.

    A denylist keyed on the SHA-256 of the token's exact text. ``verify`` (PyJWT) checks every
    token first; ``revoke`` denies a valid token, ``accept`` returns a token's claims unless it is
    denied. Its mistake: a token is identified by its bytes, and an ES256 token has two spellings.
    """

    kind = "token hash"

    def __init__(self, verify: Verifier) -> None:
        self._verify = verify
        self._denied: set[str] = set()

    @staticmethod
    def entry(token: str) -> str:
        """What the list stores for ``token``: the SHA-256 of its text."""
        return hashlib.sha256(token.encode()).hexdigest()

    def revoke(self, token: str) -> None:
        """Deny ``token`` (it must verify)."""
        self._verify(token)
        self._denied.add(self.entry(token))

    def accept(self, token: str) -> dict[str, Any]:
        """The claims of a valid, not denied token; ``Rejected`` when denied, PyJWT's error when invalid."""
        claims = dict(self._verify(token))
        if self.entry(token) in self._denied:
            raise Rejected("revoked: the token's hash is on the denylist")
        return claims

    def __len__(self) -> int:
        return len(self._denied)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} revoked)"


class JtiDenylist:
    """A denylist keyed on what a token says: its issuer and id (``iss``, ``jti``), as lesson 05's store.

    ``verify`` (PyJWT) checks every token first, so only signed claims are trusted; every spelling
    of one token carries the same ``iss`` and ``jti``. A token without them cannot be revoked.
    """

    kind = "iss + jti"

    def __init__(self, verify: Verifier) -> None:
        self._verify = verify
        self._denied: set[tuple[str, str]] = set()

    @staticmethod
    def entry(claims: Mapping[str, Any]) -> tuple[str, str]:
        """What the list stores for a token with ``claims``: ``(iss, jti)``."""
        iss, jti = claims.get("iss"), claims.get("jti")
        if not isinstance(iss, str) or not isinstance(jti, str):
            raise Rejected("a token without a string iss and jti cannot be revoked by id")
        return iss, jti

    def revoke(self, token: str) -> None:
        """Deny ``token`` (it must verify), and with it every token with the same ``iss`` and ``jti``."""
        self._denied.add(self.entry(self._verify(token)))

    def accept(self, token: str) -> dict[str, Any]:
        """The claims of a valid, not denied token; ``Rejected`` when denied, PyJWT's error when invalid."""
        claims = dict(self._verify(token))
        if self.entry(claims) in self._denied:
            raise Rejected("revoked: its (iss, jti) is on the denylist")
        return claims

    def __len__(self) -> int:
        return len(self._denied)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} revoked)"


def _outcome(check: Verifier, token: str) -> tuple[str, str]:
    """``("accepted", "")``, or ``("refused", why)`` when ``check`` raises ``Rejected`` or a PyJWT error."""
    try:
        check(token)
    except Rejected as e:
        return "refused", e.reason
    except jwt.PyJWTError as e:
        return "refused", f"{type(e).__name__}: {e}"
    return "accepted", ""


def malleability_comparison() -> Table:
    """Lesson 05, Going further, measured: revoke a token, then send it and its malleated copy.

    For ES256 and for EdDSA (Ed25519), a token with ``jti`` is minted now, revoked in a token-hash
    denylist and in an ``iss + jti`` denylist, both verifying with PyJWT the strict way (algorithm
    pinned, audience, issuer, required claims). One row per denylist: whether PyJWT accepts the
    copy's signature at all, and what each denylist does with the original and with the copy.
    """
    cases: list[tuple[str, Any, Callable[[str], str]]] = [
        ("ES256", ec_p256_private_key(0), malleate_es256),
        ("EdDSA", ed25519_private_key(0), malleate_ed25519),
    ]
    rows = []
    for alg, private_key, malleate in cases:
        now = int(time.time())
        claims = {"sub": "ana", "iss": SHOP_ISSUER, "aud": SHOP_AUDIENCE, "iat": now, "exp": now + 900,
                  "jti": f"{alg.lower()}-1"}
        token = jwt.encode(claims, private_key, algorithm=alg)
        copy = malleate(token)
        public_key = private_key.public_key()

        def verify(t: str, key: Any = public_key, pinned: str = alg) -> dict[str, Any]:
            return jwt.decode(t, key, algorithms=[pinned], audience=SHOP_AUDIENCE, issuer=SHOP_ISSUER,
                              options={"require": [*REQUIRED_CLAIMS, "jti"]})

        signature, _ = _outcome(verify, copy)
        for denylist in (TokenHashDenylist(verify), JtiDenylist(verify)):
            denylist.revoke(token)
            original, _ = _outcome(denylist.accept, token)
            copied, why = _outcome(denylist.accept, copy)
            rows.append({"algorithm": alg, "denylist keyed on": denylist.kind,
                         "copy differs": "yes" if copy != token else "no",
                         "copy's signature (PyJWT)": "valid" if signature == "accepted" else "invalid",
                         "original": original, "malleated copy": copied, "copy refused because": why})
    return Table(rows, title="A revoked token and its malleated copy, against two denylists")


__all__ = [
    "ED25519_ORDER", "P256_ORDER", "JtiDenylist", "TokenHashDenylist", "malleability_comparison",
    "malleate_ed25519", "malleate_es256",
]
