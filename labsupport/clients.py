"""Simulated users: each owns one browser (werkzeug's cookie jar) that talks only to the balancer (lesson 00).

A journey is a login followed by ``k - 1`` "add to cart" requests. A step is kept when it
returns 200 and the cart holds exactly the items added so far.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Response

from .browser import Browser

from .accounts import credentials
from .errors import ScenarioError


@dataclass(frozen=True)
class RequestRecord:
    """One request a simulated user made, as plain data for tables and plots."""

    seq: int
    user: str
    step: int
    action: str
    status: int
    server: str | None
    kept: bool
    reason: str | None = None


class SimUser:
    """One user of the shop with their own cookie jar, addressing only the balancer."""

    def __init__(self, balancer: Callable[..., Iterable[bytes]], index: int) -> None:
        self.index = index
        self.name, self.password = credentials(index)
        """What this user logs in with: the account ``Accounts.for_users`` makes for ``index``."""
        self.address = self.address_for(index)
        """What hash-based policies key on: a documentation-range IPv6 address (never dialled)."""
        self.client = Browser(balancer, address=self.address)
        self.cart: list[str] = []
        """The items this user has added: what a kept session must give back."""
        self.tokens: dict[str, str] = {}
        """Tokens the shop handed over in a JSON body (``access_token``, ``refresh_token``)."""

    @staticmethod
    def address_for(index: int) -> str:
        """The address of user ``index``: ``2001:db8::1``, ``2001:db8::2``, ..."""
        return f"2001:db8::{index + 1:x}"

    def request(self, method: str, path: str, json: Any = None, *,
                headers: Mapping[str, str] | None = None) -> Response:
        """Send one request through the balancer, from this user's address and cookie jar.

        A user holding an access token sends it as ``Authorization: Bearer``, as a browser
        app would, and keeps any token the answer's JSON body hands back.
        """
        sent = dict(headers or {})
        if "access_token" in self.tokens:
            sent.setdefault("Authorization", f"Bearer {self.tokens['access_token']}")
        response = self.client.send(method, path, json=json, headers=sent)
        carries_token = response.mimetype == "application/json" and b'_token"' in response.get_data()
        body = response.get_json(silent=True) if carries_token else None
        if isinstance(body, dict):
            self.tokens.update({k: v for k, v in body.items() if k.endswith("_token") and isinstance(v, str)})
        return response

    def login(self, password: str | None = None) -> Response:
        """Log in (with the right password unless told otherwise); a new session has an empty cart."""
        response = self.request("POST", "/login", {"user": self.name, "password": password or self.password})
        if response.status_code == 200:
            self.cart = []
        return response

    def add_item(self, item: str) -> Response:
        """Put ``item`` in the cart; the user remembers it only if the shop said yes."""
        response = self.request("POST", "/cart", {"item": item})
        if response.status_code == 200:
            self.cart.append(item)
        return response

    def journey_step(self, step: int, seq: int) -> RequestRecord:
        """Step 0 logs in; step ``j`` adds ``item<j>`` and checks the whole cart came back."""
        if step == 0:
            action, response = "login", self.login()
            kept = response.status_code == 200
        else:
            expected = [*self.cart, f"item{step}"]
            action, response = "add item", self.add_item(f"item{step}")
            body = response.get_json(silent=True)
            kept = response.status_code == 200 and isinstance(body, dict) and body.get("cart") == expected
        reason = None if kept else _reason(response)
        return RequestRecord(seq, self.name, step, action, response.status_code,
                             response.headers.get("X-Served-By"), kept, reason)

    def __repr__(self) -> str:
        return f"SimUser({self.name!r}, cart={self.cart})"


def expect_ok(response: Response, step: str) -> Response:
    """``response`` if it is a 200; else ``ScenarioError``: a step a scenario relies on failed (a simulator bug)."""
    if response.status_code != 200:
        raise ScenarioError(step, status=response.status_code, reason=_reason(response))
    return response


def _reason(response: Response) -> str:
    body = response.get_json(silent=True)
    if isinstance(body, dict) and "reason" in body:
        return str(body["reason"])
    if response.status_code == 200:
        return "cart lost: the server answered with a different cart"
    return f"HTTP {response.status_code}"
