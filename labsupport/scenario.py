"""A seeded lab: a cluster, its balancer and a crowd of users, and the journeys they make (lesson 00).

Users interleave in an order drawn from the lab's own seeded generator: in every round,
each user still on a journey makes one request, in a shuffled order. Cluster events
(kill, revive, restart, scale, ...) happen between rounds. Time is simulated.
"""
from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .accounts import Accounts
from .balancer import LoadBalancer, Policy
from .clients import RequestRecord, SimUser
from .clock import SimClock
from .cluster import Cluster
from .errors import LabError, UnknownChoice
from .ids import IdSource, SeededIds
from .sessions import StrategySpec, strategy_spec
from .shop import DEMO_USERS
from .store import SessionStore
from .tables import Table
from .tokens import TokenKeys

EVENTS = ("kill", "revive", "restart", "rolling_restart", "add_server", "remove_server", "scale")
"""What may happen to the cluster between rounds, written like ``"kill s2"`` or ``"scale 5"``."""

Events = Mapping[int, str | Sequence[str]]


@dataclass(frozen=True)
class JourneyRun:
    """What happened in one run: every request in order, as plain records.

    A user whose login failed never started a journey: they count neither as kept nor as lost
    (``failed_logins``), so a share of journeys kept speaks only of sessions that existed.
    """

    records: tuple[RequestRecord, ...]
    users: tuple[str, ...]
    strategy: str
    policy: str

    def journey_kept(self, user: str) -> bool:
        """True when ``user`` logged in and every request they made was kept."""
        mine = [r for r in self.records if r.user == user]
        return bool(mine) and all(r.kept for r in mine)

    @property
    def failed_logins(self) -> list[str]:
        """Users whose login failed: they never had a session to keep or lose."""
        failed = {r.user for r in self.records if r.step == 0 and not r.kept}
        return [u for u in self.users if u in failed]

    @property
    def started_users(self) -> list[str]:
        """Users who logged in."""
        started = {r.user for r in self.records if r.step == 0 and r.kept}
        return [u for u in self.users if u in started]

    @property
    def kept_users(self) -> list[str]:
        """Users who logged in and whose whole journey kept its session."""
        failed = {r.user for r in self.records if not r.kept}
        return [u for u in self.started_users if u not in failed]

    @property
    def lost_users(self) -> list[str]:
        """Users who logged in and lost their session at some later step."""
        failed = {r.user for r in self.records if not r.kept}
        return [u for u in self.started_users if u in failed]

    @property
    def share_kept(self) -> float:
        """Share of started journeys that kept their session to the end."""
        started = len(self.started_users)
        return len(self.kept_users) / started if started else 0.0

    def served(self) -> dict[str, int]:
        """Requests answered by each server (failed ones included)."""
        return dict(sorted(Counter(r.server for r in self.records if r.server).items(),
                           key=lambda kv: int(kv[0][1:])))

    def summary(self) -> Table:
        """One line: requests, users, journeys kept, by strategy and policy (and failed logins, if any)."""
        row: dict[str, object] = {
            "strategy": self.strategy, "policy": self.policy, "requests": len(self.records),
            "users": len(self.users), "journeys kept": len(self.kept_users),
            "share kept": round(self.share_kept, 3),
        }
        if self.failed_logins:
            row["logins failed"] = len(self.failed_logins)
        return Table([row])

    def lost(self, limit: int = 10) -> Table:
        """The first ``limit`` requests that did not keep their session, with the reason each was given."""
        return Table([{"seq": r.seq, "user": r.user, "step": r.step, "action": r.action, "server": r.server,
                       "status": r.status, "reason": r.reason} for r in self.records if not r.kept][:limit],
                     columns=["seq", "user", "step", "action", "server", "status", "reason"])

    def table(self, limit: int = 10) -> Table:
        """The first ``limit`` requests as a table."""
        return Table([{"seq": r.seq, "user": r.user, "step": r.step, "action": r.action,
                       "server": r.server, "status": r.status, "kept": r.kept, "reason": r.reason}
                      for r in self.records[:limit]])

    def __repr__(self) -> str:
        failed = f", logins_failed={len(self.failed_logins)}" if self.failed_logins else ""
        return (f"JourneyRun(strategy={self.strategy!r}, policy={self.policy!r}, requests={len(self.records)}, "
                f"users={len(self.users)}, journeys_kept={len(self.kept_users)}{failed})")


class Lab:
    """One seeded experiment. Build a new one for every scenario, so re-running a cell repeats it.

    Everything random in it comes from streams derived from ``seed``, each its own: the order
    users take turns (``rng``), the ``random`` balancing policy, and each server's ids. It
    creates the accounts its users log in with (and the shop's demo users). A strategy that
    needs a store gets a new one with a prefix of its own (the Redis at ``REDIS_URL``, if set).
    ``token_keys`` sign the JWT strategies' tokens (default: the course's HS256 demo secret).

    >>> lab = Lab(servers=3, strategy="memory", policy="round-robin", users=10, seed=1)
    >>> lab.run_journeys(steps=1).share_kept
    1.0
    """

    def __init__(
        self,
        *,
        servers: int = 3,
        strategy: str | StrategySpec = "memory",
        policy: str | Policy = "round-robin",
        users: int = 100,
        seed: int = 0,
        store: SessionStore | None = None,
        token_keys: TokenKeys | None = None,
    ) -> None:
        if users < 0:
            raise ValueError(f"a lab needs zero or more users, not {users}")
        self.seed = seed
        self.rng = random.Random(seed)
        """The order users take turns in (the lab's shuffling stream)."""
        spec = strategy_spec(strategy)
        if store is None and spec.needs_store:
            store = SessionStore.from_env(prefix=f"lab{seed}")
            store.clear()  # the prefix is new; clearing it is this lab's explicit claim on it
        self.store = store
        """The session store shared by the servers (``None`` when the strategy needs none)."""
        self.accounts = Accounts.for_users(max(users, DEMO_USERS))
        """The accounts every user of this lab logs in with."""
        self.cluster = Cluster(servers, strategy=spec, store=store, accounts=self.accounts, ids=self.ids_for,
                               token_keys=token_keys)
        self.balancer = LoadBalancer(self.cluster, policy, seed=f"lab {seed} / balancer")
        self.users = [SimUser(self.balancer, i) for i in range(users)]
        self._seq = 0

    @property
    def shared_store(self) -> SessionStore:
        """The session store, for a lab whose strategy has one (``LabError`` otherwise)."""
        if self.store is None:
            raise LabError(f"this lab's {self.cluster.strategy_name!r} sessions use no session store")
        return self.store

    def ids_for(self, server: str, boot: int) -> IdSource:
        """The seeded id stream of ``server`` in its ``boot``-th life: never the same twice."""
        return SeededIds(f"lab {self.seed} / ids / {server} / boot {boot}")

    def apply(self, event: str) -> None:
        """Do one cluster event, e.g. ``"kill s2"``, ``"scale 5"``, ``"rolling_restart"``."""
        verb, *args = event.split()
        if verb not in EVENTS:
            raise UnknownChoice("cluster event", event, list(EVENTS))
        values = [_number_or_name(a) for a in args]
        getattr(self.cluster, verb)(*values)

    def run_journeys(self, steps: int | Sequence[int] = 5, *, events: Events | None = None,
                     think_time: float = 1.0, who: Sequence[int] | None = None) -> JourneyRun:
        """Every user logs in and makes ``steps - 1`` more requests; a user who loses the session stops.

        ``steps`` may give one length per user (a skewed workload). ``events`` maps a round
        number to what happens to the cluster just before that round (round 0 is the logins).
        Simulated time moves ``think_time`` seconds per round. ``who`` (user indices) lets only
        some of the lab's users make journeys, the others wait: a lab can grow its crowd in batches.
        """
        chosen = list(range(len(self.users))) if who is None else list(who)
        lengths = [steps] * len(chosen) if isinstance(steps, int) else list(steps)
        if len(lengths) != len(chosen):
            raise ValueError(f"steps gives {len(lengths)} journey lengths for {len(chosen)} users")
        if any(n < 1 for n in lengths):
            raise ValueError("every journey needs at least 1 step (the login)")
        events = events or {}
        records: list[RequestRecord] = []
        failed: set[int] = set()
        with SimClock() as clock:
            for round_no in range(max(lengths, default=0)):
                for event in _as_list(events.get(round_no, ())):
                    self.apply(event)
                active = [i for i, n in zip(chosen, lengths) if n > round_no and i not in failed]
                self.rng.shuffle(active)
                for i in active:
                    record = self.users[i].journey_step(round_no, self._seq)
                    self._seq += 1
                    records.append(record)
                    if not record.kept:
                        failed.add(i)
                clock.advance(think_time)
        return JourneyRun(tuple(records), tuple(self.users[i].name for i in chosen),
                          self.cluster.strategy_name, self.balancer.policy.name)

    def __repr__(self) -> str:
        return (f"Lab(servers={self.cluster.alive_names()}, strategy={self.cluster.strategy_name!r}, "
                f"policy={self.balancer.policy.name!r}, users={len(self.users)}, seed={self.seed})")


def _number_or_name(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text


def _as_list(events: str | Sequence[str]) -> list[str]:
    return [events] if isinstance(events, str) else list(events)
