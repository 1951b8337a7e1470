"""DELIBERATELY VULNERABLE - for the attack lab only; used by nothing else (lesson 04): the side-by-side record.

One attack token through a vulnerable verifier and through the hardened one (PyJWT), as a plain
record; the lesson's results table and verdict grid are built from these records.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import jwt

from ..errors import LabError
from .classic import vulnerable_verify
from .common import Rejected


def _configured(key: str | bytes | None) -> Callable[[str], Any]:
    """``vulnerable_verify`` with the service's configured ``key``."""
    if key is None:
        raise LabError("side_by_side needs vulnerable_key (for vulnerable_verify) or a vulnerable verifier")
    configured = key
    return lambda token: vulnerable_verify(token, configured)


def side_by_side(attack: str, token: str, *, hardened: Callable[[str], Any],
                 vulnerable_key: str | bytes | None = None,
                 vulnerable: Callable[[str], Any] | None = None) -> dict[str, str]:
    """Run one attack token through a vulnerable verifier and through ``hardened`` (PyJWT).

    ``hardened`` is the notebook's own PyJWT call, e.g. ``lambda t: jwt.decode(t, ...)``.
    The vulnerable side is ``vulnerable_verify(token, vulnerable_key)``, or ``vulnerable`` when
    given: another careless reader, such as PyJWT with ``verify_signature`` off or one of the
    lab's verifiers with a named mistake (``verify_with_header_jwk``...). It accepts unless it
    raises ``Rejected`` or a PyJWT error.
    Returns a plain record: attack, vulnerable verdict and reason, hardened verdict, and
    ``reason``: the PyJWT exception class and message (or the warnings PyJWT gave when it
    accepted). Warnings are caught and reported, never printed.
    """
    check = vulnerable if vulnerable is not None else _configured(vulnerable_key)
    try:
        check(token)
        verdict_v, vulnerable_reason = "accepted", ""
    except Rejected as e:
        verdict_v, vulnerable_reason = "rejected", e.reason
    except jwt.PyJWTError as e:
        verdict_v, vulnerable_reason = "rejected", f"{type(e).__name__}: {e}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            hardened(token)
            verdict, reason = "accepted", ""
        except jwt.PyJWTError as e:
            verdict, reason = "rejected", f"{type(e).__name__}: {e}"
    warned = sorted({w.category.__name__ for w in caught})
    if warned:
        reason = "; ".join([*([reason] if reason else []), f"PyJWT warned: {', '.join(warned)}"])
    return {"attack": attack, "vulnerable": verdict_v, "vulnerable reason": vulnerable_reason,
            "hardened": verdict, "reason": reason}


__all__ = ["side_by_side"]
