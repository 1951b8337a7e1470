"""Measurements behind lesson 02, each returning a plain ``Table`` beside its theory.

Every function builds its own seeded labs, so calling it twice gives the same table.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .balancer import make_policy, remapped_share
from .clients import SimUser
from .plots import sampling_error
from .scenario import Lab
from .sessions import ReplicatedMemorySessions
from .tables import Table


def journeys_vs_servers(*, servers: Iterable[int] = range(1, 9), steps: int = 3, users: int = 400,
                        policies: Sequence[str] = ("round-robin", "random"), seed: int = 0) -> Table:
    """Share of k-step journeys kept with in-memory sessions, against (1/N)^(k-1) and its sampling noise."""
    rows = []
    for n in servers:
        row: dict[str, object] = {"servers": n}
        for policy in policies:
            lab = Lab(servers=n, strategy="memory", policy=policy, users=users, seed=seed + n)
            row[policy] = round(lab.run_journeys(steps).share_kept, 3)
        theory = (1 / n) ** (steps - 1)
        row["theory"] = round(theory, 3)
        row["± 2 SE"] = round(2 * sampling_error(theory, users), 3)
        rows.append(row)
    return Table(rows, title=f"share of {steps}-step journeys kept, in-memory sessions, {users} users "
                             "(± 2 SE: where a share measured on that many users lands 95% of the time)")


def sticky_failover(*, servers: Iterable[int] = range(2, 9), users: int = 400, steps: int = 4,
                    seed: int = 0) -> Table:
    """Share of users who lose their session when server s1 of N sticky servers dies mid-journey."""
    rows = []
    for n in servers:
        lab = Lab(servers=n, strategy="memory", policy="sticky", users=users, seed=seed + n)
        run = lab.run_journeys(steps, events={2: "kill s1"})
        rows.append({"servers": n, "lost": round(len(run.lost_users) / users, 3), "theory": round(1 / n, 3)})
    return Table(rows, title="sticky sessions: share of users logged out when one server dies")


def rolling_restart_loss(*, servers: int = 3, users: int = 200, seed: int = 0,
                         strategies: Sequence[str] = ("memory", "signed-cookie")) -> Table:
    """A rolling deploy (restart s1, then s2, ... one per round) under sticky balancing."""
    rows = []
    events = {round_no: f"restart s{round_no - 1}" for round_no in range(2, servers + 2)}
    for strategy in strategies:
        lab = Lab(servers=servers, strategy=strategy, policy="sticky", users=users, seed=seed)
        run = lab.run_journeys(servers + 2, events=events)
        rows.append({"strategy": strategy, "users": users, "logged out": len(run.lost_users),
                     "share logged out": round(len(run.lost_users) / users, 3)})
    return Table(rows, title=f"rolling restart of {servers} sticky servers, one per round")


def scale_out_remap(*, before: int = 4, after: int = 5, clients: int = 2000,
                    policies: Sequence[str] = ("hash-modulo", "consistent-hash")) -> Table:
    """Share of clients a hash policy sends to another server when N changes, against theory."""
    addresses = [SimUser.address_for(i) for i in range(clients)]
    old = [f"s{i}" for i in range(1, before + 1)]
    new = [f"s{i}" for i in range(1, after + 1)]
    theory = {"hash-modulo": _modulo_remap_theory(before, after), "consistent-hash": abs(after - before) / max(before, after)}
    rows = [{"policy": p, "remapped": round(remapped_share(make_policy(p), addresses, old, new), 3),
             "theory": round(theory[p], 3)} for p in policies]
    return Table(rows, title=f"clients remapped when scaling {before} -> {after} servers")


def _modulo_remap_theory(before: int, after: int) -> float:
    """Share of hash values h with h mod before != h mod after (uniform h)."""
    from math import lcm

    period = lcm(before, after)
    return sum(h % before != h % after for h in range(period)) / period


def scale_out_loss(*, before: int = 4, users: int = 400, steps: int = 4, seed: int = 0,
                   policies: Sequence[str] = ("hash-modulo", "consistent-hash")) -> Table:
    """Memory sessions behind a hash policy: share of users logged out when one server is added."""
    rows = []
    for policy in policies:
        lab = Lab(servers=before, strategy="memory", policy=policy, users=users, seed=seed)
        run = lab.run_journeys(steps, events={2: "add_server"})
        rows.append({"policy": policy, "lost": round(len(run.lost_users) / users, 3)})
    return Table(rows, title=f"memory sessions: users logged out when scaling {before} -> {before + 1} servers")


MEMORY_SETUPS = (("memory", "sticky"), ("replicated", "round-robin"), ("signed-cookie", "round-robin"))
"""The (strategy, policy) pairs ``memory_per_server`` compares unless told otherwise (lesson 02)."""


def memory_per_server(*, user_counts: Iterable[int] = (0, 100, 200, 400, 600, 800, 1000), servers: int = 4,
                      steps: int = 3, seed: int = 0,
                      setups: Sequence[tuple[str, str]] = MEMORY_SETUPS) -> Table:
    """Bytes of session data the busiest server holds as users grow, for each (strategy, policy) in ``setups``.

    One lab per setup grows its crowd in batches: the users up to each count make their journeys,
    then the busiest server's memory is read. Lesson 02 compares sticky memory, replication and the
    signed cookie; lesson 03 adds JWT.
    """
    counts = sorted(set(user_counts))
    held: dict[str, list[int]] = {}
    for strategy, policy in setups:
        lab = Lab(servers=servers, strategy=strategy, policy=policy, users=max(counts, default=0), seed=seed)
        held[strategy] = []
        done = 0
        for count in counts:
            if count > done:
                lab.run_journeys(steps, who=range(done, count))
                done = count
            held[strategy].append(max(lab.cluster.memory().values()))
    rows = [{"users": count, **{strategy: held[strategy][i] for strategy, _ in setups}}
            for i, count in enumerate(counts)]
    return Table(rows, title=f"bytes of session data held by the busiest of {servers} servers")


CHURN_EVENTS: dict[int, str | list[str]] = {2: "kill s1", 3: ["revive s1", "add_server"], 4: "rolling_restart"}
"""A busy afternoon for a cluster: a crash, a comeback and a new server, then a rolling deploy (lesson 03)."""


def journeys_under_churn(*, setups: Sequence[tuple[str, str]] = (("memory", "round-robin"), ("memory", "sticky"),
                                                                  ("signed-cookie", "round-robin"),
                                                                  ("jwt", "round-robin")),
                         servers: int = 3, users: int = 200, steps: int = 6, seed: int = 0,
                         events: Mapping[int, str | Sequence[str]] | None = None) -> Table:
    """Journeys kept by each (strategy, policy) while servers die, come back, join and restart (``CHURN_EVENTS``)."""
    rows = []
    for strategy, policy in setups:
        lab = Lab(servers=servers, strategy=strategy, policy=policy, users=users, seed=seed)
        run = lab.run_journeys(steps, events=CHURN_EVENTS if events is None else events)
        rows.append({"strategy": strategy, "policy": policy, "journeys kept": len(run.kept_users),
                     "share kept": round(run.share_kept, 3)})
    return Table(rows, title=f"{users} users x {steps} steps on {servers} servers: kill, revive, add, rolling restart")


def skewed_lengths(users: int, *, heavy: int, heavy_steps: int, light_steps: int) -> list[int]:
    """Journey lengths for a skewed workload: the first ``heavy`` users make many more requests."""
    return [heavy_steps if i < heavy else light_steps for i in range(users)]


def load_imbalance(*, servers: int = 4, users: int = 100, heavy: int = 4, heavy_steps: int = 80,
                   light_steps: int = 4, seed: int = 0) -> Table:
    """Requests per server with a few heavy users: sticky (memory) vs round robin (signed cookie)."""
    lengths = skewed_lengths(users, heavy=heavy, heavy_steps=heavy_steps, light_steps=light_steps)
    rows = []
    for strategy, policy in (("memory", "sticky"), ("signed-cookie", "round-robin")):
        lab = Lab(servers=servers, strategy=strategy, policy=policy, users=users, seed=seed)
        served = lab.run_journeys(lengths).served()
        mean = sum(served.values()) / servers
        rows.append({"policy": policy, "strategy": strategy, **served,
                     "busiest / mean": round(max(served.values()) / mean, 2)})
    return Table(rows, title=f"requests per server: {heavy} heavy users of {users}")


def replication_traffic(*, servers: Iterable[int] = range(1, 9), users: int = 100, steps: int = 4,
                        seed: int = 0) -> Table:
    """Replication messages sent for the same workload as N grows, against saves x (N - 1)."""
    rows = []
    for n in servers:
        lab = Lab(servers=n, strategy="replicated", policy="round-robin", users=users, seed=seed)
        run = lab.run_journeys(steps)
        writes = sum(s.strategy.replication_writes for s in lab.cluster.servers.values()
                     if isinstance(s.strategy, ReplicatedMemorySessions))
        saves = sum(r.status == 200 for r in run.records)
        rows.append({"servers": n, "session writes": saves, "replication messages": writes,
                     "theory": saves * (n - 1), "journeys kept": len(run.kept_users)})
    return Table(rows, title=f"session replication: messages for {users} users x {steps} steps")
