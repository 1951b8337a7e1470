"""The article's seven rows, each judged by the suite's numbers: agreed, qualified or corrected (lesson 07).

A verdict reads only deterministic measurements (counts, bytes, simulated seconds, the modelled
round trip), never a timing, so it is the same on every machine. Each rule says what it
compares; the evidence it prints is built from the numbers it read.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..store_experiments import MODELLED_RTT_MS
from ..tables import Table
from .suite import PER_USERS, Measurements, Suite


@dataclass(frozen=True)
class ArticleRow:
    """One row of the article's comparison table, in its own words."""

    feature: str
    stateless: str
    stateful: str


ARTICLE_ROWS: tuple[ArticleRow, ...] = (
    ArticleRow("Scalability", "Highly scalable (horizontal). Add/remove servers easily.",
            "Challenging to scale horizontally. Requires complex session replication/stickiness."),
    ArticleRow("Resilience/FT", "High. Server failures don't impact sessions.",
            "Low. Server failure can lead to session loss."),
    ArticleRow("Complexity", "Simpler server logic. Session logic externalized.",
            "More complex server logic for managing and synchronizing state."),
    ArticleRow("Session Mgmt.", "Client-side (JWT) or external session store.", "Server-side memory or local disk."),
    ArticleRow("Resource Usage", "Efficient. No server memory tied to client state.",
            "Less efficient. Server memory dedicated to client sessions."),
    ArticleRow("Load Balancing", "Any server can handle any request.",
            "Requires \"sticky sessions\" (client always hits same server)."),
    ArticleRow("Maintenance", "Easier to deploy, update, and manage individual services.",
            "More difficult due to state synchronization needs."),
)
"""The article's table, quoted."""

AGREED, QUALIFIED, CORRECTED = "agreed", "qualified", "corrected"


@dataclass(frozen=True)
class Verdict:
    """What the numbers say about one of the article's rows."""

    row: ArticleRow
    verdict: str
    evidence: str


def _names(group: list[Measurements]) -> str:
    return ", ".join(m.setup.name for m in group) or "none"


# shown in lesson 07
def _scalability(suite: Suite) -> tuple[str, str]:
    free = suite.stateless()
    broken = [m for m in free if m.kept_round_robin < m.users or m.logged_out["scale out"] > 0]
    calling = [m for m in free if m.price.round_trips_read > 0]
    memory = suite["memory"]
    evidence = (f"{_names(free)} kept at least {min(m.kept_round_robin for m in free)} of {memory.users} journeys "
                f"under round robin and lost at most {max(m.logged_out['scale out'] for m in free)} when a server joined; "
                f"memory kept {memory.kept_round_robin} of {memory.users} under round robin.")
    if broken:
        return CORRECTED, evidence + f" But {_names(broken)} lost journeys too."
    if calling:
        trips = max(m.price.round_trips_read for m in calling)
        return QUALIFIED, evidence + (f" But {_names(calling)} make {trips} store round trip{'s' * (trips != 1)} on "
                                      f"every page view ({MODELLED_RTT_MS} ms each, modelled): the store must scale "
                                      "with the servers.")
    return AGREED, evidence


def _resilience(suite: Suite) -> tuple[str, str]:
    free, held = suite.stateless(), suite.stateful()
    lost = [m for m in free if m.logged_out["server dies"] > 0]
    store_bound = [m for m in free if m.refused_store_outage > 0]
    losing = [m for m in held if m.logged_out["server dies"] > 0]
    evidence = (f"A server died: {_names(free)} lost at most {max(m.logged_out['server dies'] for m in free)} "
                "sessions; "
                + "; ".join(f"{m.setup.name} lost {m.logged_out['server dies']}" for m in held) + ".")
    if lost:
        return CORRECTED, evidence
    if store_bound:
        return QUALIFIED, evidence + (f" But while the store was down, {_names(store_bound)} refused up to "
                                      f"{max(m.refused_store_outage for m in store_bound)} of {store_bound[0].users} "
                                      "users: the store is the new single point of failure.")
    return (AGREED if losing else QUALIFIED), evidence


def _complexity(suite: Suite) -> tuple[str, str]:
    free, held = suite.stateless(), suite.stateful()
    fewest_held = min(len(m.hooks) for m in held)
    heavy = [m for m in free if len(m.hooks) >= fewest_held]
    evidence = ("Session hooks implemented: " + ", ".join(f"{m.setup.name} {len(m.hooks)}" for m in suite) + ".")
    free_median = sorted(len(m.hooks) for m in free)[len(free) // 2]
    held_median = sorted(len(m.hooks) for m in held)[len(held) // 2]
    if free_median >= held_median:
        synchronizing = [m for m in held if len(m.hooks) > free_median]
        return CORRECTED, evidence + (
            f" The stateless setups fill in as many hooks as the stateful ones or more (median {free_median} "
            f"against {held_median}): the session logic did not leave the server, it became signing, verifying "
            "and a store client."
            + (f" Among the stateful ones, only synchronizing state adds hooks ("
               + ", ".join(f"{m.setup.name} {len(m.hooks)}" for m in synchronizing) + ")." if synchronizing else ""))
    if heavy:
        return QUALIFIED, evidence + (f" But {_names(heavy)} {'need' if len(heavy) > 1 else 'needs'} at least as "
                                      "many as the simplest stateful server: taking a token back puts session "
                                      "logic and a store back on the server.")
    return AGREED, evidence


def _session_management(suite: Suite) -> tuple[str, str]:
    free, held = suite.stateless(), suite.stateful()
    misplaced = [m for m in free if "server memory" in m.state_lives_in]
    held_elsewhere = [m for m in held if "server memory" not in m.state_lives_in]
    never = [m for m in free if m.revocation_seconds is None or m.revocation_seconds > 0]
    evidence = "Where the session lives: " + "; ".join(f"{m.setup.name}: {m.state_lives_in}" for m in suite) + "."
    if misplaced or held_elsewhere:
        return CORRECTED, evidence
    if never:
        window = "; ".join(f"{m.setup.name} {m.revocation_seconds} s" for m in never)
        return QUALIFIED, evidence + (f" The two are not alike: after logout a copied credential still worked "
                                      f"({window}), where a store's ended at once (0 s).")
    return AGREED, evidence


def _resources(suite: Suite) -> tuple[str, str]:
    free, held = suite.stateless(), suite.stateful()
    on_servers = [m for m in free if m.memory.busiest_server > 0]
    in_store = [m for m in free if m.memory.store > 0]
    id_bytes = min(m.price.bytes_full_cart for m in suite)
    heavy_wire = [m for m in free if m.price.bytes_full_cart > 2 * id_bytes]
    evidence = (f"Per {PER_USERS:,} users the busiest stateful server holds "
                + ", ".join(f"{m.setup.name} {m.memory.per()[0]:,}" for m in held)
                + f" bytes; every stateless server holds {max(m.memory.per()[0] for m in free)}.")
    if on_servers:
        return CORRECTED, evidence
    extra = []
    if in_store:
        extra.append("the store holds " + ", ".join(f"{m.setup.name} {m.memory.per()[1]:,}" for m in in_store)
                     + " bytes")
    if heavy_wire:
        extra.append("each request carries " + ", ".join(f"{m.setup.name} {m.price.bytes_full_cart}" for m in heavy_wire)
                     + f" bytes against a session id's {id_bytes}")
    if extra:
        return QUALIFIED, evidence + " But the state moved, it did not vanish: " + "; ".join(extra) + "."
    return AGREED, evidence


def _load_balancing(suite: Suite) -> tuple[str, str]:
    free, held = suite.stateless(), suite.stateful()
    pinned = [m for m in free if m.needs_sticky]
    unpinned = [m for m in held if not m.needs_sticky]
    evidence = ("Journeys kept under round robin: "
                + ", ".join(f"{m.setup.name} {m.kept_round_robin}/{m.users}" for m in suite) + ".")
    if pinned:
        return CORRECTED, evidence
    if unpinned:
        return QUALIFIED, evidence + (f" {_names(unpinned)} needs no sticky balancer: it pays with "
                                      f"{max(m.price.replication_messages_write for m in unpinned)} replication "
                                      "messages per write instead.")
    return AGREED, evidence


def _maintenance(suite: Suite) -> tuple[str, str]:
    free, held = suite.stateless(), suite.stateful()
    lost = [m for m in free if m.logged_out["rolling deploy"] > 0]
    losing = [m for m in held if m.logged_out["rolling deploy"] > 0]
    evidence = ("Users logged out by a rolling deploy: "
                + ", ".join(f"{m.setup.name} {m.logged_out['rolling deploy']}" for m in suite) + ".")
    if lost:
        return CORRECTED, evidence
    return (AGREED if losing else QUALIFIED), evidence


RULES: dict[str, Callable[[Suite], tuple[str, str]]] = {
    "Scalability": _scalability, "Resilience/FT": _resilience, "Complexity": _complexity,
    "Session Mgmt.": _session_management, "Resource Usage": _resources, "Load Balancing": _load_balancing,
    "Maintenance": _maintenance,
}
"""How each of the article's rows is judged, by its feature name."""


def judge(suite: Suite) -> list[Verdict]:
    """Every row of the article's table with its verdict and the evidence the numbers give."""
    return [Verdict(row, *RULES[row.feature](suite)) for row in ARTICLE_ROWS]


def verdict_table(suite: Suite) -> Table:
    """The article's wording beside the verdict of the numbers."""
    return Table([{"feature": v.row.feature, "article (stateless)": v.row.stateless, "article (stateful)": v.row.stateful,
                   "verdict": v.verdict, "what the numbers say": v.evidence} for v in judge(suite)],
                 title="The article's table, judged by the measurements above")


__all__ = ["AGREED", "CORRECTED", "QUALIFIED", "RULES", "ARTICLE_ROWS", "ArticleRow", "Verdict", "judge", "verdict_table"]
