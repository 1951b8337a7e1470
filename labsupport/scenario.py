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

from .balancer import LoadBalancer, Policy
from .clients import RequestRecord, SimUser
from .clock import SimClock
from .cluster import Cluster
from .errors import UnknownChoice
from .sessions import StrategyFactory, needs_store
from .store import SessionStore
from .tables import Table

EVENTS = ("kill", "revive", "restart", "rolling_restart", "add_server", "remove_server", "scale")
"""What may happen to the cluster between rounds, written like ``"kill s2"`` or ``"scale 5"``."""

Events = Mapping[int, str | Sequence[str]]


@dataclass(frozen=True)
class JourneyRun:
    """What happened in one run: every request in order, as plain records."""

    records: tuple[RequestRecord, ...]
    users: tuple[str, ...]
    strategy: str
    policy: str

    def journey_kept(self, user: str) -> bool:
        """True when every request ``user`` made was kept (and they made at least one)."""
        mine = [r for r in self.records if r.user == user]
        return bool(mine) and all(r.kept for r in mine)

    @property
    def kept_users(self) -> list[str]:
        """Users whose whole journey kept its session."""
        failed = {r.user for r in self.records if not r.kept}
        return [u for u in self.users if u not in failed]

    @property
    def lost_users(self) -> list[str]:
        """Users who lost their session at some step."""
        failed = {r.user for r in self.records if not r.kept}
        return [u for u in self.users if u in failed]

    @property
    def share_kept(self) -> float:
        """Share of users whose whole journey kept its session."""
        return len(self.kept_users) / len(self.users) if self.users else 0.0

    def served(self) -> dict[str, int]:
        """Requests answered by each server (failed ones included)."""
        return dict(sorted(Counter(r.server for r in self.records if r.server).items(),
                           key=lambda kv: int(kv[0][1:])))

    def summary(self) -> Table:
        """One line: requests, users, journeys kept, by strategy and policy."""
        return Table([{
            "strategy": self.strategy, "policy": self.policy, "requests": len(self.records),
            "users": len(self.users), "journeys kept": len(self.kept_users),
            "share kept": round(self.share_kept, 3),
        }])

    def table(self, limit: int = 10) -> Table:
        """The first ``limit`` requests as a table."""
        return Table([{"seq": r.seq, "user": r.user, "step": r.step, "action": r.action,
                       "server": r.server, "status": r.status, "kept": r.kept, "reason": r.reason}
                      for r in self.records[:limit]])

    def __repr__(self) -> str:
        return (f"JourneyRun(strategy={self.strategy!r}, policy={self.policy!r}, requests={len(self.records)}, "
                f"users={len(self.users)}, journeys_kept={len(self.kept_users)})")


class Lab:
    """One seeded experiment. Build a new one for every scenario, so re-running a cell repeats it.

    >>> lab = Lab(servers=3, strategy="memory", policy="round-robin", users=10, seed=1)
    >>> lab.run_journeys(steps=1).share_kept
    1.0
    """

    def __init__(
        self,
        *,
        servers: int = 3,
        strategy: str | StrategyFactory = "memory",
        policy: str | Policy = "round-robin",
        users: int = 100,
        seed: int = 0,
        store: SessionStore | None = None,
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        if store is None and needs_store(strategy):
            store = SessionStore(prefix=f"lab{seed}")
        self.store = store
        """The session store shared by the servers (``None`` when the strategy needs none)."""
        self.cluster = Cluster(servers, strategy=strategy, store=store)
        self.balancer = LoadBalancer(self.cluster, policy, seed=seed)
        self.users = [SimUser(self.balancer, i) for i in range(users)]
        self._seq = 0

    def apply(self, event: str) -> None:
        """Do one cluster event, e.g. ``"kill s2"``, ``"scale 5"``, ``"rolling_restart"``."""
        verb, *args = event.split()
        if verb not in EVENTS:
            raise UnknownChoice("cluster event", event, list(EVENTS))
        values = [_number_or_name(a) for a in args]
        getattr(self.cluster, verb)(*values)

    def run_journeys(self, steps: int | Sequence[int] = 5, *, events: Events | None = None,
                     think_time: float = 1.0) -> JourneyRun:
        """Every user logs in and makes ``steps - 1`` more requests; a user who loses the session stops.

        ``steps`` may give one length per user (a skewed workload). ``events`` maps a round
        number to what happens to the cluster just before that round (round 0 is the logins).
        Simulated time moves ``think_time`` seconds per round.
        """
        lengths = [steps] * len(self.users) if isinstance(steps, int) else list(steps)
        if len(lengths) != len(self.users):
            raise ValueError(f"steps gives {len(lengths)} journey lengths for {len(self.users)} users")
        if any(n < 1 for n in lengths):
            raise ValueError("every journey needs at least 1 step (the login)")
        events = events or {}
        records: list[RequestRecord] = []
        failed: set[int] = set()
        with SimClock() as clock:
            for round_no in range(max(lengths, default=0)):
                for event in _as_list(events.get(round_no, ())):
                    self.apply(event)
                active = [i for i, n in enumerate(lengths) if n > round_no and i not in failed]
                self.rng.shuffle(active)
                for i in active:
                    record = self.users[i].journey_step(round_no, self._seq)
                    self._seq += 1
                    records.append(record)
                    if not record.kept:
                        failed.add(i)
                clock.advance(think_time)
        return JourneyRun(tuple(records), tuple(u.name for u in self.users),
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
