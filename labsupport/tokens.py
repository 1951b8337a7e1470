"""Issue and verify the shop's JSON Web Tokens with PyJWT (lesson 03; used by lessons 04, 05, 07).

Everything that makes a JWT safe is PyJWT's own work: this module only fixes the choices a
server must make and never leave to the token:

- the algorithm is pinned (``algorithms=[...]`` with exactly one entry), so a token cannot
  choose ``none`` or swap HS256 for RS256;
- ``sub``, ``iat``, ``exp``, ``jti``, ``iss`` and ``aud`` are required, and ``iss``/``aud``
  must match this shop;
- ``exp`` is always checked (with an explicit ``leeway``): simulated time (``SimClock``)
  moves the clock PyJWT reads, so no check is ever switched off;
- every PyJWT exception becomes a ``TokenRejected`` with a short ``code`` and a reason in words.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import keys as demo_keys
from .errors import LabError, TokenRejected

ALGORITHMS = ("HS256", "EdDSA")
"""The two algorithms the course signs with: a shared HMAC secret, or an Ed25519 key pair."""

ISSUER = "https://login.shop.example"
"""Who issues the shop's tokens (the ``iss`` claim every server insists on)."""

AUDIENCE = "shop-api"
"""Who the shop's tokens are for (the ``aud`` claim every server insists on)."""

REQUIRED_CLAIMS = ("sub", "iat", "exp", "jti", "iss", "aud")
"""Claims a token must carry; PyJWT refuses a token without any of them."""

MAX_TOKEN_LENGTH = 8192
"""Longest token a server reads (characters): about what real servers allow in one header line."""


@dataclass(frozen=True, repr=False)
class TokenKeys:
    """The key material for one algorithm: what signs, and what verifies.

    With HS256 both are the same shared secret. With EdDSA the private key signs and the
    public key verifies; ``verify_only()`` drops the private half, as another service would hold it.
    """

    algorithm: str
    signing_key: str | Ed25519PrivateKey | None
    verifying_key: str | Ed25519PublicKey
    label: str

    @classmethod
    def hs256(cls, secret: str = demo_keys.DEMO_HMAC_SECRET) -> TokenKeys:
        """HS256 with a shared secret (default: the course's public demo secret)."""
        return cls("HS256", secret, secret, "shared secret")

    @classmethod
    def eddsa(cls, seed: int = 0) -> TokenKeys:
        """EdDSA with the Ed25519 key derived from ``seed``: the same seed signs the same bytes."""
        private = demo_keys.ed25519_private_key(seed)
        return cls("EdDSA", private, private.public_key(), f"Ed25519 seed {seed}")

    @property
    def can_sign(self) -> bool:
        """True when these keys include a signing key."""
        return self.signing_key is not None

    def verify_only(self) -> TokenKeys:
        """The same keys without the signing half: what a service that only verifies gets."""
        if self.algorithm == "HS256":
            raise LabError("with HS256 the verifying key IS the signing key: whoever can verify can also sign; "
                           "use EdDSA to hand out a key that only verifies")
        return TokenKeys(self.algorithm, None, self.verifying_key, f"{self.label}, public key only")

    def __repr__(self) -> str:
        return f"TokenKeys({self.algorithm}, {self.label})"


REASONS: tuple[tuple[type[jwt.PyJWTError], str, str], ...] = (
    (jwt.ExpiredSignatureError, "expired", "token expired: its exp time has passed"),
    (jwt.ImmatureSignatureError, "not-yet-valid", "token not valid yet: its iat or nbf lies in the future"),
    (jwt.MissingRequiredClaimError, "missing-claim", "token lacks a required claim"),
    (jwt.InvalidAudienceError, "wrong-audience", "wrong audience: the token was issued for another service"),
    (jwt.InvalidIssuerError, "wrong-issuer", "wrong issuer: the token was not issued by this shop's login"),
    (jwt.InvalidAlgorithmError, "algorithm-not-allowed", "algorithm not allowed: this server accepts only"),
    (jwt.InvalidSignatureError, "bad-signature",
     "bad signature: the token was changed, or signed with another key"),
    (jwt.exceptions.InvalidSubjectError, "bad-claim", "bad sub claim: it must be a string"),
    (jwt.exceptions.InvalidJTIError, "bad-claim", "bad jti claim: it must be a string"),
    (jwt.InvalidIssuedAtError, "bad-claim", "bad iat claim: it must be a number"),
    (jwt.DecodeError, "malformed", "malformed token: not three base64url parts holding a JSON header and payload"),
    (jwt.InvalidKeyError, "bad-key", "the key does not fit this algorithm"),
    (jwt.PyJWTError, "invalid", "invalid token: a claim has the wrong type or value"),
)
"""How each PyJWT exception becomes a rejection: (exception class, code, reason). First match wins.

The reason is always the course's own words; PyJWT's exception class name travels as ``detail``."""


def rejection(error: jwt.PyJWTError, *, algorithm: str | None = None) -> TokenRejected:
    """The ``TokenRejected`` for a PyJWT exception; raise it ``from error``."""
    code, reason = "invalid", "invalid token"
    for cls, code, reason in REASONS:
        if isinstance(error, cls):
            break
    claim = getattr(error, "claim", None)
    if isinstance(error, jwt.MissingRequiredClaimError):
        reason = f"token lacks the required claim {claim!r}"
    elif isinstance(error, jwt.InvalidAlgorithmError):
        reason = f"{reason} {algorithm}" if algorithm else "algorithm not allowed"
    return TokenRejected(reason, code=code, claim=claim, detail=type(error).__name__)


class Tokens:
    """One shop's token rules: keys, issuer, audience, required claims, leeway.

    >>> from labsupport.clock import SimClock
    >>> tokens = Tokens(TokenKeys.hs256())
    >>> with SimClock():
    ...     token = tokens.issue("alice", lifetime=60, jti="t-1")
    ...     tokens.verify(token)["sub"]
    'alice'
    """

    issuer_claims: ClassVar[tuple[str, ...]] = ("iss", "sub", "aud", "iat", "exp", "jti")

    def __init__(
        self,
        keys: TokenKeys | None = None,
        *,
        issuer: str = ISSUER,
        audience: str = AUDIENCE,
        leeway: float = 0,
        required: Sequence[str] = REQUIRED_CLAIMS,
    ) -> None:
        self.keys = keys if keys is not None else TokenKeys.hs256()
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.required = tuple(required)

    @property
    def algorithm(self) -> str:
        """The one algorithm these tokens are signed and verified with."""
        return self.keys.algorithm

    def issue(self, subject: str, *, lifetime: float, jti: str, claims: Mapping[str, Any] | None = None) -> str:
        """A signed token for ``subject``, valid for ``lifetime`` seconds from now (simulated or real).

        ``iss``, ``sub``, ``aud``, ``iat``, ``exp`` and ``jti`` come first; ``claims`` adds the rest.
        """
        if not isinstance(subject, str) or not subject:
            raise TypeError(f"sub must be a non-empty string (RFC 7519; PyJWT rejects others), not {subject!r}")
        if self.keys.signing_key is None:
            raise LabError(f"{self.keys!r} cannot sign: it holds only the public key")
        now = int(time.time())
        payload: dict[str, Any] = {"iss": self.issuer, "sub": subject, "aud": self.audience,
                                   "iat": now, "exp": now + int(lifetime), "jti": jti}
        extra = dict(claims or {})
        clash = sorted(set(extra) & set(self.issuer_claims))
        if clash:
            raise ValueError(f"claims {clash} are set by issue() itself")
        payload.update(extra)
        return jwt.encode(payload, self.keys.signing_key, algorithm=self.keys.algorithm)

    # shown in lesson 03
    def verify(self, token: object) -> dict[str, Any]:
        """The token's claims, after PyJWT checked signature, algorithm, required claims, exp, iss and aud.

        Raises ``TokenRejected`` (401) with a reason for anything else, garbage included.
        """
        if not isinstance(token, str):
            raise TokenRejected(f"malformed token: expected text, got {type(token).__name__}", code="malformed")
        if not token.isascii():
            raise TokenRejected("malformed token: a JWT is ASCII text (base64url parts and dots)", code="malformed")
        if len(token) > MAX_TOKEN_LENGTH:
            raise TokenRejected(f"token too long: {len(token)} characters, this server reads at most "
                                f"{MAX_TOKEN_LENGTH}", code="too-long")
        try:
            return jwt.decode(
                token,
                self.keys.verifying_key,
                algorithms=[self.keys.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(self.required)},
            )
        except jwt.PyJWTError as e:
            raise rejection(e, algorithm=self.keys.algorithm) from e

    def __repr__(self) -> str:
        return (f"Tokens({self.keys.algorithm}, iss={self.issuer!r}, aud={self.audience!r}, "
                f"leeway={self.leeway:g} s)")


def bearer_token(header: str | None) -> str | None:
    """The token in an ``Authorization: Bearer <token>`` header; ``None`` when there is no header.

    Anything else that is not a bearer token is a ``TokenRejected`` (401), never a crash: the
    article's ``split(' ')[1]`` would throw on a missing header and on ``"Bearer"`` alone.
    """
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if not scheme:
        raise TokenRejected("empty Authorization header: send 'Authorization: Bearer <token>'", code="no-token")
    if scheme.lower() != "bearer":
        raise TokenRejected(f"unsupported authorization scheme {_short(scheme, 20)!r}: send 'Bearer <token>'",
                            code="bad-scheme")
    token = token.strip()
    if not token:
        raise TokenRejected("no token after 'Bearer': send 'Bearer <token>'", code="no-token")
    return token


def peek(token: str) -> dict[str, Any]:
    """Header and payload of ``token``, read WITHOUT any check (for display: reading is not verifying)."""
    try:
        header, payload, _signature = token.split(".")
        return {"header": _b64json(header), "payload": _b64json(payload)}
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError) as e:
        raise TokenRejected("malformed token: not three base64url parts holding a JSON header and payload",
                            code="malformed", detail=type(e).__name__) from e


def remaining_lifetime(claims: Mapping[str, Any], *, leeway: float = 0) -> int:
    """Whole seconds until the token with these (verified) claims expires; at least 1.

    With ``leeway``, the seconds until a verifier with that leeway refuses it: what a denylist
    entry must outlive, or the token is accepted again in the leeway after ``exp``.
    """
    return max(1, math.ceil(float(claims["exp"]) + leeway - time.time()))


def _b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = [
    "ALGORITHMS", "AUDIENCE", "ISSUER", "MAX_TOKEN_LENGTH", "REASONS", "REQUIRED_CLAIMS",
    "TokenKeys", "TokenRejected", "Tokens", "bearer_token", "peek", "rejection", "remaining_lifetime",
]
