"""What the attack-lab tests share: the services' keys, claims minted now, and each service's hardened
verifier written as lesson 04 writes it (PyJWT alone: algorithm pinned, audience, issuer, required
claims, keys fixed at configuration)."""
from __future__ import annotations

import time
from typing import Any

import jwt

import labsupport as lab
from labsupport import attacks

PRIVATE_KEY = lab.keys.rsa_private_key()
PUBLIC_PEM = lab.keys.public_pem(PRIVATE_KEY)
ATTACKER_KEY = lab.keys.attacker_rsa_private_key()
ORDERS_KEY = lab.keys.small_exponent_rsa_private_key()
ORDERS_PEM = lab.keys.public_pem(ORDERS_KEY)
REQUIRED = ["exp", "iat", "sub", "aud", "iss"]


def hardened(token: str, key: Any = PUBLIC_PEM, *, algorithm: str = "RS256",
             audience: str = attacks.SHOP_AUDIENCE, issuer: str = attacks.SHOP_ISSUER) -> dict[str, Any]:
    """The lesson's hardened verifier: PyJWT alone, algorithm pinned, audience, issuer, required claims."""
    return jwt.decode(token, key, algorithms=[algorithm], audience=audience, issuer=issuer,
                      options={"require": REQUIRED})


def hardened_staff(token: str) -> dict[str, Any]:
    """The staff API, hardened: the kid is looked up in the configured keys; an unknown kid is rejected."""
    kid = jwt.get_unverified_header(token).get("kid")
    configured = attacks.staff_keys()
    if not isinstance(kid, str) or kid not in configured:
        raise jwt.InvalidKeyError(f"unknown kid {kid!r}")
    return hardened(token, configured[kid], algorithm="HS256", audience=attacks.STAFF_AUDIENCE)


def hardened_orders(token: str) -> dict[str, Any]:
    """The order service, hardened: its own public key, RS256 pinned."""
    return hardened(token, ORDERS_PEM, audience=attacks.ORDERS_AUDIENCE)


def claims(sub: str = "ana", role: str = "customer", *, lifetime: int | None = 900,
           audience: str = attacks.SHOP_AUDIENCE, **extra: Any) -> dict[str, Any]:
    """Claims minted now (simulated time when inside ``lab.SimClock()``); ``lifetime=None``: no exp."""
    now = int(time.time())
    out: dict[str, Any] = {"sub": sub, "role": role, "iss": attacks.SHOP_ISSUER, "aud": audience, "iat": now}
    if lifetime is not None:
        out["exp"] = now + lifetime
    return {**out, **extra}


def mint(**kwargs: Any) -> str:
    """A genuine shop token from the login service."""
    return jwt.encode(claims(**kwargs), PRIVATE_KEY, algorithm="RS256")
