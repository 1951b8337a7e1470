"""Exercises of lesson 03: reading a JWT by hand, leeway, cookie attributes, and how much a cookie holds.

Every expected answer is measured: real tokens from the shop, PyJWT's own exp check under
simulated time, the Set-Cookie header the shop really sends, Werkzeug's own size warning.
"""
from __future__ import annotations

import warnings
from typing import Any

from werkzeug.test import Client

from ..clock import SimClock
from ..scenario import Lab
from ..tokens import TokenKeys, Tokens
from .base import Exercise, Wrong, expect_choice, expect_number, number_or_none

READ_CARTS: tuple[list[str], ...] = ([], ["tea"], ["tea", "cakes"], ["ab"], ["café", "crème brûlée"], ["x" * 64] * 3,
                                     ["~~~"], ["???"])
"""Exercise 03.1: carts of different lengths, so the payloads need every kind of base64 padding, and carts
whose payloads hold base64url's own characters ``-`` and ``_`` (a standard base64 decoder misreads them)."""

LATE = {"lifetime": 60, "presented_after": 63}
"""Exercise 03.2: a 60 s token presented 63 s after it was issued."""

COOKIE_ATTRIBUTES = ("HttpOnly", "Secure", "SameSite", "Path", "Max-Age")
"""Exercise 03.3: the attributes the jwt-cookie login sets on its access cookie."""

ITEM = "0123456789abcdef" * 4
"""Exercise 03.4: one 64-character cart item (the shop's longest)."""
COOKIE_LIMIT = 4093
"""Werkzeug warns above this many bytes in one Set-Cookie header (what browsers reliably keep)."""


def sample_tokens() -> list[tuple[str, dict[str, Any]]]:
    """Exercise 03.1: (token, its verified payload) for tokens the shop issues with the carts above."""
    tokens = Tokens(TokenKeys.hs256())
    out = []
    with SimClock():
        for i, cart in enumerate(READ_CARTS):
            token = tokens.issue(f"user{i:03d}", lifetime=300, jti=f"s1-{i + 1}",
                                 claims={"roles": ["customer"], "cart": cart})
            out.append((token, tokens.verify(token)))
    return out


def _check_read_payload(answer: Any) -> str:
    if not callable(answer):
        raise Wrong("answer should be a function: def read_payload(token): return {...}")
    for token, payload in sample_tokens():
        try:
            got = answer(token)
        except Exception as e:
            if "padding" in str(e).lower():
                raise Wrong(f"read_payload raised {type(e).__name__}: {e}. base64url drops the '=' padding; "
                            "add it back: part + '=' * (-len(part) % 4).") from None
            raise Wrong(f"read_payload raised {type(e).__name__}: {e}") from None
        if isinstance(got, (bytes, str)):
            raise Wrong(f"read_payload returned {type(got).__name__}; decode the JSON too (json.loads) and "
                        "return the dict.")
        if got != payload:
            if isinstance(got, dict) and got.get("alg"):
                raise Wrong("that is the header (part 0); the payload is the middle part (part 1).")
            raise Wrong(f"for a token with cart {payload['cart']!r}, read_payload returned {got!r}.")
    return (f"your function read {len(READ_CARTS)} payloads without the key, one of them with non-ASCII "
            "items. Anyone holding a token can do the same: a JWT is signed, not encrypted.")


def smallest_leeway(*, lifetime: int = LATE["lifetime"], presented_after: int = LATE["presented_after"]) -> int:
    """Exercise 03.2, measured: the smallest whole leeway at which PyJWT accepts the late token."""
    with SimClock() as clock:
        token = Tokens().issue("alice", lifetime=lifetime, jti="t-1")
        clock.advance(presented_after)
        for leeway in range(0, presented_after + 2):
            try:
                Tokens(leeway=leeway).verify(token)
                return leeway
            except Exception:
                continue
    raise RuntimeError("no leeway accepted the token")


def _check_leeway(answer: Any) -> str:
    expected = smallest_leeway()
    late = LATE["presented_after"] - LATE["lifetime"]
    if number_or_none(answer) == late:
        raise Wrong(f"with leeway={late} PyJWT still refuses: it counts a token as expired when "
                    "exp <= now - leeway, so the boundary itself is already too late.")
    expect_number(answer, expected, tolerance=0, what="the smallest leeway")
    return (f"{expected} s, measured with PyJWT's own check under simulated time. Leeway forgives clock skew "
            "between servers; keep it to a few seconds, or it quietly lengthens every token's life.")


def access_cookie_header() -> str:
    """Exercise 03.3, measured: the Set-Cookie header of the access cookie a jwt-cookie login sends."""
    shop = Lab(servers=1, strategy="jwt-cookie", users=0, seed=0)
    with SimClock():
        response = Client(shop.balancer).post("/login", json={"user": "alice", "password": "alice-password"})
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("access_token="))


WHY_NOT = {
    "httponly": "HttpOnly keeps page scripts from READING the cookie (XSS), but the browser still attaches it to "
                "a request another site makes it send.",
    "secure": "Secure only keeps the cookie off plain HTTP; a forged request over HTTPS carries it just the same.",
    "path": "Path limits which URLs of this site get the cookie; a forged request to that URL still gets it.",
    "max-age": "Max-Age says when the browser forgets the cookie; until then it rides along on forged requests.",
}


def _check_samesite(answer: Any) -> str:
    header = access_cookie_header()
    present = [a for a in COOKIE_ATTRIBUTES if a.lower() in header.lower()]
    choice = answer.strip().lower() if isinstance(answer, str) else None
    if choice in WHY_NOT:
        raise Wrong(WHY_NOT[choice])
    correct = "SameSite" if "SameSite" in present else "none"
    expect_choice(answer, correct, list(COOKIE_ATTRIBUTES))
    samesite = next(part.strip() for part in header.split(";") if part.strip().lower().startswith("samesite"))
    return (f"the shop sets {samesite}: the browser leaves the cookie off requests that other sites trigger "
            "(a cross-site form POST). That is defence in depth against CSRF, not the whole defence: it does not "
            "stop a sibling subdomain (same site), nor a GET that changes state; keep state changes on POST and "
            "check an anti-CSRF token or the Origin header as well.")


def cookie_capacity() -> int:
    """Exercise 03.4, measured: 64-character items a jwt-cookie cart holds before Werkzeug's size warning."""
    shop = Lab(servers=1, strategy="jwt-cookie", users=1, seed=0)
    user = shop.users[0]
    with SimClock(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        user.login()
        items = 0
        while True:
            before = len(caught)
            response = user.add_item(ITEM)
            if len(caught) > before or response.status_code != 200:
                return items
            items += 1


def _check_capacity(answer: Any) -> str:
    expected = cookie_capacity()
    if isinstance(answer, int) and not isinstance(answer, bool) and answer == expected + 1:
        raise Wrong(f"with {answer} items the cookie is already over {COOKIE_LIMIT} bytes: count the items that "
                    "still fit.")
    expect_number(answer, expected, tolerance=0, what="the number of items")
    return (f"{expected} items of 64 characters: each one costs about 88 bytes of base64url in the cookie "
            f"(64 characters, quotes and a comma, times 4/3), and the cookie must stay under {COOKIE_LIMIT} bytes.")


EXERCISES: list[Exercise] = [
    Exercise("03.1", "read a JWT's payload without the key",
             "Split the token on '.', take the middle part, add back the '=' padding base64url leaves off "
             "(part + '=' * (-len(part) % 4)), then base64.urlsafe_b64decode and json.loads.",
             _check_read_payload),
    Exercise("03.2", "the smallest leeway that lets a late token in",
             "PyJWT refuses a token when exp <= now - leeway. Here exp = iat + 60 and now = iat + 63. Or measure: "
             "issue a 60 s token inside `with lab.SimClock() as clock:`, clock.advance(63), and try "
             "lab.tokens.Tokens(leeway=...).verify(token) for growing leeways.", _check_leeway),
    Exercise("03.3", "the cookie attribute against cross-site requests",
             "CSRF works because the browser attaches cookies to requests that ANOTHER site makes it send. Which "
             "attribute tells the browser to look at where the request came from? Print the Set-Cookie headers "
             "of a jwt-cookie login.", _check_samesite),
    Exercise("03.4", "how many items fit in a token cookie",
             "Each request re-issues the tokens with the whole cart inside. Add 64-character items one by one in a "
             "jwt-cookie lab inside `with warnings.catch_warnings(record=True)` and `with lab.SimClock():`, and "
             "stop when Werkzeug warns that the cookie is too large. Count the items that still fit.",
             _check_capacity),
]
