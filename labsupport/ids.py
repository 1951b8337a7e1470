"""Where ids come from: session ids, token ids (``jti``) and token families (lessons 02, 03, 05, 06).

An id must be unguessable and must never collide (RFC 7519, 4.1.7 for ``jti``), so it carries
128 random bits. Outside the simulator they come from ``secrets``, always. Inside a seeded lab
each server draws from its own seeded stream (``SeededIds``), derived from the lab's seed, the
server's name and its boot, so a stored lesson output (a decoded ``jti``) reproduces, and a
restarted server never repeats an id it gave out before. No per-process counter anywhere:
two processes counting from 1 hand out the same ids.
"""
from __future__ import annotations

import base64
import random
import secrets
from typing import Protocol

ID_BYTES = 16
"""Random bytes in every id: 128 bits."""

SESSION_ID_PREFIX = "sid_"
"""What session ids start with, so a reader (and nbval's sanitizer) can tell them apart."""


class IdSource(Protocol):
    """Makes a new id: ``prefix`` followed by 128 random bits in base64url (22 characters)."""

    def __call__(self, prefix: str = "") -> str: ...


class SecretIds:
    """Ids from the operating system's randomness (``secrets``): the default, and always for real processes."""

    def __call__(self, prefix: str = "") -> str:
        return prefix + secrets.token_urlsafe(ID_BYTES)

    def __repr__(self) -> str:
        return "SecretIds()"


class SeededIds:
    """Ids from a seeded stream: reproducible inside a lab, never for real use.

    ``seed`` is text such as ``"lab 0 / ids / s1 / boot 1"``; Python seeds ``random`` from a
    string's SHA-512, so the stream is the same in every process and on every run.
    """

    def __init__(self, seed: str) -> None:
        self.seed = seed
        self._rng = random.Random(seed)

    def __call__(self, prefix: str = "") -> str:
        return prefix + base64.urlsafe_b64encode(self._rng.randbytes(ID_BYTES)).decode().rstrip("=")

    def __repr__(self) -> str:
        return f"SeededIds({self.seed!r})"


# shown in lesson 06
def new_session_id() -> str:
    """An unguessable session id: 128 random bits from ``secrets``, with a readable prefix."""
    return SESSION_ID_PREFIX + secrets.token_urlsafe(16)


__all__ = ["ID_BYTES", "SESSION_ID_PREFIX", "IdSource", "SecretIds", "SeededIds", "new_session_id"]
