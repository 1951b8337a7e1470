"""The measured comparison as one figure: a panel per measure, a bar per setup (lesson 07)."""
from __future__ import annotations

from collections.abc import Callable

from ..plots import KEPT_COLOR, LOST_COLOR, THEORY_COLOR, LabFigure
from .suite import PER_USERS, REVOCATION_HORIZON, Measurements, Suite, margin

Panel = tuple[str, Callable[[Measurements], float]]


def panels(suite: Suite) -> list[Panel]:
    """(title, value of one setup) for each panel; lower is better in every panel but the first."""
    users = next(iter(suite)).users
    return [
        ("journeys kept under round robin (share)", lambda m: m.kept_round_robin / m.users),
        (f"logged out when a server dies (of {users})", lambda m: m.logged_out["server dies"]),
        (f"logged out by a rolling deploy (of {users})", lambda m: m.logged_out["rolling deploy"]),
        (f"refused while the store is down (of {users})", lambda m: m.refused_store_outage),
        (f"KB per server per {PER_USERS:,} users", lambda m: m.memory.per()[0] / 1000),
        ("bytes added to each request", lambda m: m.price.bytes_full_cart),
        ("store round trips per page view", lambda m: m.price.round_trips_read),
        ("hours a copy works after logout", lambda m: (REVOCATION_HORIZON if m.revocation_seconds is None
                                                       else m.revocation_seconds) / 3600),
    ]


def tradeoff_chart(suite: Suite) -> LabFigure:
    """Eight small bar charts, one per measure: stateful setups in red, stateless in green.

    The first panel shows sampling noise (two standard errors); in the last, a copy that still
    worked after a day is drawn at the day's end, hatched.
    """
    fig = LabFigure(figsize=(12, 6.4), layout="constrained")
    axes = fig.subplots(2, 4, sharey=True).flatten()
    names = suite.names
    colors = [LOST_COLOR if suite[n].setup.stateful else KEPT_COLOR for n in names]
    for index, (ax, (title, read)) in enumerate(zip(axes, panels(suite))):
        values = [read(suite[n]) for n in names]
        errors = [margin(suite[n].kept_round_robin, suite[n].users) for n in names] if index == 0 else None
        bars = ax.barh(names, values, color=colors, xerr=errors, ecolor=THEORY_COLOR, capsize=3)
        if index == len(axes) - 1:
            for bar, name in zip(bars, names):
                if suite[name].revocation_seconds is None:
                    bar.set_hatch("//")
                    bar.set_edgecolor("white")
        ax.set_title(title, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(labelsize=8)
    axes[0].invert_yaxis()
    fig.suptitle("Every setup through the same scenarios (red: stateful servers, green: stateless servers)")
    return fig


__all__ = ["panels", "tradeoff_chart"]
