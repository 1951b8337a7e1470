"""Two tabs of one user at once, against real processes (lesson 08): cart updates, and refreshes.

Each driver fires the two tabs' requests together (a ``threading.Barrier`` on the client) and
counts what the shop made of them. The tabs share one browser's storage: the same cookies, the
same tokens.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from .cart_race import TABS, WAYS
from .crowd import NO_ANSWER, RealUser, body_of, shared_transport
from .errors import BadSetup, RealProcessError

ITEM = "tea"

REUSE = "refresh token reuse detected"
RACE = "refresh already done"
"""The starts of the shop's reasons for a replayed refresh token and for a lost race within the grace window."""


def at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response | None]:
    """Run ``calls`` in threads released together; a call without an HTTP answer gives ``None``."""
    start = threading.Barrier(len(calls))

    def fire(call: Callable[[], httpx.Response]) -> httpx.Response | None:
        start.wait()
        try:
            return call()
        except httpx.TransportError:
            return None

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(fire, calls))


def status(response: httpx.Response | None) -> int:
    """The status of an answer, ``NO_ANSWER`` for none."""
    return NO_ANSWER if response is None else response.status_code


def reason(response: httpx.Response | None) -> str:
    """The shop's reason in a JSON error answer, ``""`` otherwise."""
    body = body_of(response) if response is not None else None
    return str(body.get("reason", "")) if isinstance(body, dict) else ""


def cart_race(url: str, *, way: str, rounds: int = 20, user_index: int = 0) -> dict[str, Any]:
    """``rounds`` rounds of two tabs each adding one ``tea`` at once, the ``way`` given; what the cart ends with."""
    if way not in WAYS:
        raise BadSetup(f"unknown way {way!r}; the ways are {', '.join(WAYS)}")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= 200:
        raise BadSetup(f"rounds={rounds!r} must be a whole number from 1 to 200")
    transport = shared_transport()
    first = RealUser(user_index, base_url=url, transport=transport)
    second = httpx.Client(base_url=url, transport=transport, timeout=first.client.timeout)
    try:
        if first.login().status_code != 200:
            raise RealProcessError(f"{first.name} could not log in to the race app")
        second.cookies.update(first.client.cookies)  # one browser: both tabs send the same session cookie
        answers: list[httpx.Response | None] = []
        for turn in range(rounds):
            body = {"item": ITEM, "round": turn}
            answers += at_once([partial(first.client.post, f"/race/{way}", json=body),
                                partial(second.post, f"/race/{way}", json=body)])
        replies = [body_of(a) if a is not None else None for a in answers]
        if way == "hash-field":
            held = body_of(first.client.get("/race/hash-field"))["quantities"].get(ITEM, 0)
        else:
            held = body_of(first.client.get("/cart"))["cart"].count(ITEM)
    finally:
        first.close()
        second.close()
        transport.close()
    ok = sum(status(a) == 200 for a in answers)
    return {"way": way, "updates sent": TABS * rounds, "answered 200": ok, f"{ITEM} in the cart": held,
            "updates lost": ok - held,
            "refused, retried": sum(int(r.get("refused", 0)) for r in replies if isinstance(r, dict)),
            "barrier met": sum(bool(r.get("barrier_met")) for r in replies if isinstance(r, dict)) // TABS}


def refresh_race(url: str, *, grace: float, pairs: int = 10, first_user: int = 0) -> dict[str, Any]:
    """``pairs`` users each refresh from two tabs at once with one refresh token; later, the token is replayed.

    The tabs keep whichever new tokens came back. Counts: answers to the race, false reuse
    alarms, sessions alive after it; then, once the grace window is over, the replay of each
    spent token, and whether the session survived that.
    """
    if isinstance(pairs, bool) or not isinstance(pairs, int) or not 1 <= pairs <= 100:
        raise BadSetup(f"pairs={pairs!r} must be a whole number from 1 to 100")
    transport = shared_transport()
    people = [RealUser(first_user + i, base_url=url, transport=transport) for i in range(pairs)]
    race: Counter[str] = Counter()
    alive_after_race = 0
    spent: list[str] = []
    try:
        last_race = time.monotonic()
        for person in people:
            if person.login().status_code != 200:
                raise RealProcessError(f"{person.name} could not log in")
            token = person.tokens["refresh_token"]
            spent.append(token)
            answers = at_once([partial(person.client.post, "/refresh", json={"refresh_token": token})] * TABS)
            last_race = time.monotonic()
            for answer in answers:
                race[_kind(answer)] += 1
                body = body_of(answer) if answer is not None and answer.status_code == 200 else None
                if isinstance(body, dict):  # the tab that won: its tokens are the ones the browser keeps
                    person.tokens.update({k: v for k, v in body.items() if k.endswith("_token")})
            alive_after_race += person.request("GET", "/profile").status_code == 200
        time.sleep(max(0.0, last_race + grace + 0.5 - time.monotonic()))
        replays = Counter(_kind(p.client.post("/refresh", json={"refresh_token": t})) for p, t in zip(people, spent))
        alive_after_replay = sum(p.request("GET", "/profile").status_code == 200 for p in people)
    finally:
        for person in people:
            person.close()
        transport.close()
    return {"grace (s)": grace, "races": pairs, "409 lost the race": race["409 race"],
            "401 reuse alarm": race["401 reuse"], "sessions alive after the race": alive_after_race,
            "replays refused": sum(n for kind, n in replays.items() if kind.startswith("401")),
            "replays raising the alarm": replays["401 reuse"], "sessions alive after the replay": alive_after_replay}


def _kind(response: httpx.Response | None) -> str:
    """``"200"``, ``"409 race"``, ``"401 reuse"``, or the status and the start of the reason."""
    found = status(response)
    text = reason(response)
    if found == 409 and text.startswith(RACE):
        return "409 race"
    if found == 401 and text.startswith(REUSE):
        return "401 reuse"
    return str(found) if found == 200 else f"{found} {text[:40]}"


__all__ = ["ITEM", "at_once", "cart_race", "refresh_race"]
