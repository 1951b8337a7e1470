"""DELIBERATELY VULNERABLE - for the attack lab only; used by nothing else (lesson 04, and lesson 05's Going further).

This package holds what has no place in a real service: verifiers that make a mistake on purpose,
each marked *deliberately vulnerable* and named for its mistake, and the attacker's tools that
beat them. One module per attack family:

- ``classic``: ``vulnerable_verify`` (the header chooses the algorithm, ``alg: none``, HS/RS
  confusion, no ``exp``, no ``aud``), unsigned and hand-signed tokens, tampering;
- ``cracking``: a weak HS256 secret guessed offline from a word list;
- ``header_keys``: ``jwk`` and ``jku`` header injection, the token naming its own key;
- ``kid``: ``kid`` used as a file path (``../../../../dev/null``) over an in-memory disk;
- ``modulus``: HS/RS confusion without the public key, recovered from two signed tokens;
- ``malleability``: an ES256 token's second spelling slips past a denylist keyed on its hash;
- ``compare``: ``side_by_side``, one token through a vulnerable verifier and the hardened one.

The hardened verifier is not here: it is PyJWT alone, written out in the notebook where the
learner reads it. Nothing here touches a network or a file. Only ``labsupport/__init__.py`` (the
re-export) and lesson 04's exercise checks import this package; a test enforces that.
"""
from __future__ import annotations

from .classic import NONE_CASINGS, forge_unsigned, sign_hs256, tamper, vulnerable_verify
from .common import (
    OTHER_AUDIENCE,
    REQUIRED_CLAIMS,
    SHOP_AUDIENCE,
    SHOP_ISSUER,
    Rejected,
    b64url_decode,
    b64url_encode,
    split_token,
)
from .compare import side_by_side
from .cracking import COMMON_SECRETS, CrackResult, crack_hs256
from .header_keys import (
    ATTACKER_JWKS_URL,
    SHOP_JWKS_URL,
    SHOP_KID,
    fake_web,
    jwks_document,
    public_jwk,
    sign_with_embedded_jwk,
    sign_with_jku,
    verify_with_header_jwk,
    verify_with_jku,
)
from .kid import (
    KEY_FOLDER,
    ROBOTS_TXT,
    ROBOTS_TXT_PATH,
    STAFF_AUDIENCE,
    STAFF_KID,
    TRAVERSAL_KID,
    key_folder,
    kid_path,
    staff_keys,
    verify_with_kid_path,
)
from .malleability import (
    ED25519_ORDER,
    P256_ORDER,
    JtiDenylist,
    TokenHashDenylist,
    malleability_comparison,
    malleate_ed25519,
    malleate_es256,
)
from .modulus import (
    MAX_EXPONENT,
    ORDERS_AUDIENCE,
    PEM_FORMS,
    SHA256_DIGEST_INFO,
    SMALL_FACTOR_LIMIT,
    ModulusRecovery,
    RecoveryFailed,
    confusion_tokens,
    pkcs1_v15_sha256,
    recover_rsa_modulus,
)

__all__ = [
    "ATTACKER_JWKS_URL", "COMMON_SECRETS", "ED25519_ORDER", "KEY_FOLDER", "MAX_EXPONENT", "NONE_CASINGS",
    "ORDERS_AUDIENCE", "OTHER_AUDIENCE", "P256_ORDER", "PEM_FORMS", "REQUIRED_CLAIMS", "ROBOTS_TXT",
    "ROBOTS_TXT_PATH", "SHA256_DIGEST_INFO", "SHOP_AUDIENCE", "SHOP_ISSUER", "SHOP_JWKS_URL", "SHOP_KID",
    "SMALL_FACTOR_LIMIT", "STAFF_AUDIENCE", "STAFF_KID", "TRAVERSAL_KID", "CrackResult", "JtiDenylist",
    "ModulusRecovery", "RecoveryFailed", "Rejected", "TokenHashDenylist", "b64url_decode",
    "b64url_encode", "confusion_tokens", "crack_hs256", "fake_web", "forge_unsigned", "jwks_document",
    "key_folder", "kid_path", "malleability_comparison", "malleate_ed25519", "malleate_es256",
    "pkcs1_v15_sha256", "public_jwk", "recover_rsa_modulus", "side_by_side", "sign_hs256",
    "sign_with_embedded_jwk", "sign_with_jku", "split_token", "staff_keys", "tamper",
    "verify_with_header_jwk", "verify_with_jku", "verify_with_kid_path", "vulnerable_verify",
]
