"""DELIBERATELY VULNERABLE - for the attack lab only; used by nothing else (lesson 04): keys the token names.

Two verifiers that do almost everything right: PyJWT checks the signature, RS256 is pinned, the
audience, issuer and required claims are checked. Each makes one mistake, and it is enough: the
key that checks the signature comes from the token.

- ``verify_with_header_jwk``: the header's ``jwk`` carries a public key, and the verifier uses it.
  The attacker signs with their own private key and embeds the matching public key.
- ``verify_with_jku``: the header's ``jku`` names the URL of a JWK Set, and the verifier fetches
  it. The attacker publishes their own key at their own URL.

The fix for both: verify with keys fixed at configuration (the login service's public key, or its
JWK Set fetched from one allow-listed URL), never with a key the token carries or points to.

Nothing here touches a network: ``fake_web()`` is the web, a plain mapping from URL to the JSON
document that URL answers, handed to the verifier as an argument.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from jwt.algorithms import RSAAlgorithm

from ..keys import attacker_rsa_private_key, rsa_private_key
from .common import SHOP_AUDIENCE, SHOP_ISSUER, Rejected, decode_strictly

SHOP_JWKS_URL = "https://login.shop.example/.well-known/jwks.json"
"""Where the login service publishes its JWK Set: the one URL a careful shop fetches keys from."""
ATTACKER_JWKS_URL = "https://attacker.example/.well-known/jwks.json"
"""Where the attacker publishes theirs."""
SHOP_KID = "login-2024"
"""The key id of the login service's key. The attacker reuses it: a kid is a name, not a proof."""


def public_jwk(key: RSAPublicKey, *, kid: str) -> dict[str, Any]:
    """The JWK of an RSA public key, as a JWK Set publishes it (PyJWT's ``RSAAlgorithm.to_jwk``)."""
    return {**RSAAlgorithm.to_jwk(key, as_dict=True), "kid": kid, "use": "sig", "alg": "RS256"}


def jwks_document(keys: Mapping[str, RSAPublicKey]) -> dict[str, Any]:
    """A JWK Set document (``{"keys": [...]}``) holding ``keys``, each under its kid."""
    return {"keys": [public_jwk(key, kid=kid) for kid, key in keys.items()]}


def fake_web() -> dict[str, dict[str, Any]]:
    """The web as the jku verifier sees it: URL -> JSON document, in this process.

    The login service's JWK Set at ``SHOP_JWKS_URL`` and the attacker's at ``ATTACKER_JWKS_URL``,
    whose key carries the login service's kid. A fresh dict each call: add URLs freely.
    """
    return {
        SHOP_JWKS_URL: jwks_document({SHOP_KID: rsa_private_key().public_key()}),
        ATTACKER_JWKS_URL: jwks_document({SHOP_KID: attacker_rsa_private_key().public_key()}),
    }


def sign_with_embedded_jwk(claims: Mapping[str, Any], private_key: RSAPrivateKey, *, kid: str = SHOP_KID) -> str:
    """An RS256 token signed with ``private_key`` that carries the matching public key in its header."""
    headers = {"kid": kid, "jwk": public_jwk(private_key.public_key(), kid=kid)}
    return jwt.encode(dict(claims), private_key, algorithm="RS256", headers=headers)


def sign_with_jku(claims: Mapping[str, Any], private_key: RSAPrivateKey, *, jku: str = ATTACKER_JWKS_URL,
                  kid: str = SHOP_KID) -> str:
    """An RS256 token signed with ``private_key`` whose header points at the JWK Set ``jku``."""
    return jwt.encode(dict(claims), private_key, algorithm="RS256", headers={"kid": kid, "jku": jku})


def _header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError as e:
        raise Rejected(f"{type(e).__name__}: {e}") from e


def verify_with_header_jwk(token: str, *, audience: str = SHOP_AUDIENCE, issuer: str = SHOP_ISSUER) -> dict[str, Any]:
    """DELIBERATELY VULNERABLE - for the attack lab only; used by nothing else.

    Its one mistake: it checks the signature with the public key in the token's own header
    (``jwk``). Anyone can make a key pair, sign with the private half and embed the public half,
    so every token "verifies". Everything else is PyJWT used carefully: RS256 pinned, audience,
    issuer and required claims. Returns the claims, or raises ``Rejected``.
    """
    jwk = _header(token).get("jwk")
    if not isinstance(jwk, dict):
        raise Rejected("no jwk in the header")
    try:
        key = jwt.PyJWK(jwk, algorithm="RS256").key  # the mistake: the token supplies its own key
    except (jwt.PyJWTError, TypeError, ValueError, KeyError) as e:
        raise Rejected(f"the header's jwk is not a usable key: {e}") from e
    if not isinstance(key, RSAPublicKey):
        raise Rejected("the header's jwk is not an RSA public key")
    return decode_strictly(token, key, algorithm="RS256", audience=audience, issuer=issuer)


def verify_with_jku(token: str, *, fetch: Mapping[str, Any], audience: str = SHOP_AUDIENCE,
                    issuer: str = SHOP_ISSUER) -> dict[str, Any]:
    """DELIBERATELY VULNERABLE - for the attack lab only; used by nothing else.

    Its one mistake: it fetches the JWK Set from whatever URL the token's header names (``jku``)
    and checks the signature with the key of the header's ``kid`` found there. The attacker names
    their own URL. ``fetch`` maps URL -> JWK Set document (``fake_web()``): nothing leaves this
    process. Everything else is PyJWT used carefully. Returns the claims, or raises ``Rejected``.
    """
    header = _header(token)
    url = header.get("jku")
    if not isinstance(url, str):
        raise Rejected("no jku in the header")
    document = fetch.get(url)  # the mistake: the token chooses where the keys come from
    if not isinstance(document, Mapping):
        raise Rejected(f"no JWK Set at {url}")
    try:
        key_set = jwt.PyJWKSet.from_dict(dict(document))
    except (jwt.PyJWTError, TypeError, ValueError) as e:
        raise Rejected(f"{url} does not hold a usable JWK Set: {e}") from e
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise Rejected("no kid in the header")
    try:
        key = key_set[kid]
    except KeyError:
        raise Rejected(f"no key with kid {kid!r} at {url}") from None
    return decode_strictly(token, key, algorithm="RS256", audience=audience, issuer=issuer)


__all__ = [
    "ATTACKER_JWKS_URL", "SHOP_JWKS_URL", "SHOP_KID", "fake_web", "jwks_document", "public_jwk",
    "sign_with_embedded_jwk", "sign_with_jku", "verify_with_header_jwk", "verify_with_jku",
]
