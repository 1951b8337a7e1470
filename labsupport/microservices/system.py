"""Lesson 07's microservices: one gateway, three services, and the scenarios that show what they buy.

Users log in at the gateway once, then call the services directly, each through that service's
own balancer. Every scenario builds its own seeded system and runs in simulated time, so tokens
and tables reproduce. The cart service's database is embedded (its own fakeredis).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from werkzeug.test import Client, TestResponse

from ..accounts import Accounts, credentials
from ..clock import SimClock
from ..errors import ScenarioError
from ..ids import SeededIds
from ..store import SessionStore
from ..tables import Table
from .gateway import TOKEN_LIFETIME, Gateway
from .jwks import CACHE_MAX_AGE, JWKS_PATH
from .services import PATHS, SERVICES, Service


class Microservices:
    """A gateway and the services ``catalog``, ``cart`` and ``profile``, each with ``instances`` instances (lesson 07)."""

    def __init__(self, *, users: int = 20, instances: int = 2, key_seed: int = 70, seed: int = 0,
                 cache_max_age: float = CACHE_MAX_AGE, token_lifetime: int = TOKEN_LIFETIME) -> None:
        self.seed = seed
        self.accounts = Accounts.for_users(users)
        self.users = users
        self.gateway = Gateway(accounts=self.accounts, ids=SeededIds(f"microservices {seed} / gateway"),
                               key_seed=key_seed, lifetime=token_lifetime)
        self.carts = SessionStore(prefix=f"cart-service-{seed}")
        """The cart service's own database (embedded)."""
        self.services = {name: Service(name, instances=instances, fetch_jwks=self.gateway.fetch_jwks,
                                       carts=self.carts if name == "cart" else None, cache_max_age=cache_max_age)
                         for name in SERVICES}

    def login(self, index: int) -> str:
        """User ``index`` logs in at the gateway; their token."""
        user, password = credentials(index)
        response = Client(self.gateway.app).post("/login", json={"user": user, "password": password})
        if response.status_code != 200:
            raise ScenarioError(f"{user}'s login at the gateway", status=response.status_code)
        return str(response.get_json()["access_token"])

    def call(self, service: str, token: str, *, method: str = "GET", json: Any = None) -> TestResponse:
        """One request with ``token`` to ``service``, through that service's own balancer."""
        client = Client(self.services[service].balancer, use_cookies=False)
        return client.open(PATHS[service], method=method, json=json, headers={"Authorization": f"Bearer {token}"})

    def gateway_calls(self) -> dict[str, int]:
        """Requests the gateway answered: logins, and key fetches by service instances."""
        return {"logins": self.gateway.calls["/login"], "key fetches": self.gateway.calls[JWKS_PATH]}

    def __repr__(self) -> str:
        services = ", ".join(f"{name}: {len(s.alive_names())} up" for name, s in self.services.items())
        return f"Microservices(gateway signs with {self.gateway.signing_kid}; {services})"


def statuses(system: Microservices, tokens: Sequence[str]) -> dict[str, Counter[int]]:
    """Each token sent once to each service: the statuses, by service."""
    return {name: Counter(system.call(name, token).status_code for token in tokens) for name in system.services}


def _status_words(counts: Counter[int]) -> str:
    return ", ".join(f"{n} x {status}" for status, n in sorted(counts.items()))


# --- no gateway call per request ---------------------------------------------------------------


def gateway_load(*, users: int = 20, rounds: int = 10, seed: int = 0) -> Table:
    """Users log in once, then call every service ``rounds`` times; what the gateway saw, and what happens
    when it goes down."""
    system = Microservices(users=users, seed=seed)
    rows = []
    with SimClock() as clock:
        tokens = [system.login(i) for i in range(users)]
        sent = 0
        for phase, gateway_up in (("gateway up", True), ("gateway down", False)):
            system.gateway.up = gateway_up
            answered: Counter[int] = Counter()
            before = dict(system.gateway.calls)
            for _ in range(rounds):
                for counts in statuses(system, tokens).values():
                    answered.update(counts)
                clock.advance(1)
            sent += sum(answered.values())
            calls = system.gateway.calls
            rows.append({"phase": phase, "service requests": sum(answered.values()),
                         "answered": _status_words(answered),
                         "gateway: logins": calls["/login"] - before.get("/login", 0),
                         "gateway: key fetches": calls[JWKS_PATH] - before.get(JWKS_PATH, 0)})
        system.gateway.up = True
    instances = sum(len(s.servers) for s in system.services.values())
    return Table(rows, title=f"{users} users, {instances} service instances: gateway calls while services answer")


# --- independent failure and scaling ------------------------------------------------------------


def cart_outage(*, users: int = 20, seed: int = 0) -> Table:
    """Every cart instance is killed; each user then calls each service once."""
    system = Microservices(users=users, seed=seed)
    with SimClock():
        tokens = [system.login(i) for i in range(users)]
        before = statuses(system, tokens)
        system.services["cart"].kill_all()
        after = statuses(system, tokens)
    return Table([{"service": name, "instances up": len(system.services[name].alive_names()),
                   "before": _status_words(before[name]), "after every cart instance died": _status_words(after[name])}
                  for name in system.services], title=f"{users} users call each service, before and after")


def scale_out(*, service: str = "catalog", before: int = 2, after: int = 6, users: int = 30, seed: int = 0) -> Table:
    """Tokens issued while ``service`` ran ``before`` instances, used after it scaled to ``after``.

    Per instance: requests answered, refused, and what the instance fetched before it could answer
    (the gateway's public keys, nothing about any user).
    """
    system = Microservices(users=users, instances=before, seed=seed)
    target = system.services[service]
    with SimClock():
        tokens = [system.login(i) for i in range(users)]
        statuses(system, tokens)
        first = set(target.servers)
        target.scale(after)
        served: Counter[str] = Counter()
        refused: Counter[str] = Counter()
        for _ in range(2):
            for token in tokens:
                response = system.call(service, token)
                (served if response.status_code == 200 else refused)[response.headers.get("X-Served-By", "")] += 1
    rows = [{"instance": name, "started": "before the logins" if name in first else "after the logins",
             "answered 200": served[name], "refused": refused[name], "key fetches": i.cache.fetches,
             "what it holds": f"public keys {', '.join(i.cache.kids())}"}
            for name, i in target.servers.items()]
    return Table(rows, title=f"{service}: {before} -> {after} instances, {users} users' tokens sent twice each")


# --- key rotation ----------------------------------------------------------------------------------


def check_everywhere(service: Service, token: str) -> str:
    """``token`` sent to every live instance of ``service`` directly: ``"accepted 2/2"``, or why it was refused."""
    answers = [Client(service.servers[name].app, use_cookies=False).get(
        PATHS[service.name], headers={"Authorization": f"Bearer {token}"}) for name in service.alive_names()]
    accepted = sum(a.status_code == 200 for a in answers)
    if accepted == len(answers):
        return f"accepted {accepted}/{len(answers)}"
    reasons = sorted({str((a.get_json() or {}).get("detail") or a.status_code) for a in answers
                      if a.status_code != 200})
    return f"accepted {accepted}/{len(answers)}; refused: {', '.join(reasons)}"


ROTATION_STEPS: tuple[tuple[int, str], ...] = (
    (0, "user000 logs in: token A, signed with key-1"),
    (200, "the gateway adds key-2 and signs new tokens with it"),
    (599, "A is 599 s old"),
    (600, "A expires (tokens live 600 s)"),
    (601, "no key-1 token is alive: the gateway retires key-1; a thief with key-1's private key signs L"),
    (898, "the instances' copies of the keys date from t = 599, before the retirement"),
    (899, "their copies are 300 s old: fetched again, without key-1"),
)
"""The rotation timeline lesson 07 plays, in simulated seconds."""


def rotation_timeline(*, service: str = "profile", key_seed: int = 70, new_key_seed: int = 71,
                      steps: Sequence[tuple[int, str]] = ROTATION_STEPS, seed: int = 0) -> Table:
    """Key rotation with ``kid``, second by second: what every instance of ``service`` says to each token.

    A is user000's token from t = 0 (the first key); "new login" is user001 logging in afresh at
    each step (signed with whatever key the gateway signs with then); L is signed with the first
    key after its retirement, as someone who stole the old private key would. Keys are cached
    ``CACHE_MAX_AGE`` s; tokens live ``TOKEN_LIFETIME`` s.
    """
    system = Microservices(users=2, key_seed=key_seed, seed=seed)
    target = system.services[service]
    old_token, leaked_token = "", ""
    rows = []
    with SimClock() as clock:
        for at, what in steps:
            clock.advance(at - clock.elapsed)
            if not old_token:
                old_token = system.login(0)
            if "adds key-2" in what:
                system.gateway.add_key(new_key_seed)
            if "retires key-1" in what:
                system.gateway.retire_key("key-1")
                thief = Gateway(accounts=system.accounts, ids=SeededIds("the thief"), key_seed=key_seed)
                leaked_token = thief.issue("user000", ["customer", "admin"])
            fresh = system.login(1)
            rows.append({"t (s)": at, "what happens": what, "A (key-1)": check_everywhere(target, old_token),
                         f"new login ({system.gateway.signing_kid})": check_everywhere(target, fresh),
                         "L (leaked key-1)": check_everywhere(target, leaked_token) if leaked_token else "",
                         "JWKS lists": ", ".join(system.gateway.published),
                         "key fetches so far": target.jwks_fetches()})
    columns = ["t (s)", "what happens", "A (key-1)", "new login", "L (leaked key-1)", "JWKS lists",
               "key fetches so far"]
    for row in rows:
        kid_column = next(key for key in row if key.startswith("new login"))
        row["new login"] = f"{row.pop(kid_column)} ({kid_column[11:-1]})"
    return Table(rows, columns=columns,
                 title=f"rotating the gateway's key, seen by the {len(target.servers)} {service} instances "
                       f"(keys cached {CACHE_MAX_AGE} s, tokens live {TOKEN_LIFETIME} s)")


__all__ = ["ROTATION_STEPS", "Microservices", "cart_outage", "check_everywhere", "gateway_load",
           "rotation_timeline", "scale_out", "statuses"]
