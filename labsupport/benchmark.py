"""How fast the simulator is, as ratios and rates: ``python -m labsupport.benchmark``.

Prints simulated requests per second through the cluster, the per-request cost through
client, balancer and server divided by a raw WSGI call to the same Flask app, and how long
a dashboard interaction takes. Timings are best-of-N wall clock, so they vary between runs
and machines; the targets are for a 2-core machine.
"""
from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from typing import Any

from werkzeug.test import EnvironBuilder

from .scenario import Lab
from .tables import Table
from .widgets import ClusterDashboard, DashboardSettings

RATIO_TARGET = 2.5
DASHBOARD_TARGET_MS = 250.0
REDRAW_TARGET_MS = 100.0


def best_of(repeats: int, action: Callable[[], Any]) -> float:
    """The fastest of ``repeats`` runs of ``action``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def scenario_rate(strategy: str, policy: str, *, users: int = 200, steps: int = 5, repeats: int = 5) -> dict[str, Any]:
    """Simulated requests per second for a 1,000-request scenario (fresh seeded lab each run)."""
    counts = []

    def run() -> None:
        counts.append(len(Lab(servers=3, strategy=strategy, policy=policy, users=users, seed=0)
                          .run_journeys(steps).records))

    seconds = best_of(repeats, run)
    return {"strategy": strategy, "policy": policy, "requests": counts[0],
            "requests/s": round(counts[0] / seconds)}


def cluster_vs_raw(strategy: str, policy: str, *, requests: int = 2000, repeats: int = 5) -> dict[str, Any]:
    """Cost of ``GET /profile`` through user -> balancer -> server, divided by a raw WSGI call."""
    lab = Lab(servers=3, strategy=strategy, policy=policy, users=1, seed=0)
    user = lab.users[0]
    if user.login().status_code != 200:
        raise RuntimeError("benchmark user could not log in")
    jar = [user.client.get_cookie(name) for name in ("sid", "session", "lb")]
    cookie = "; ".join(f"{c.key}={c.value}" for c in jar if c is not None)
    server = lab.cluster.server(user.request("GET", "/profile").headers["X-Served-By"])
    environ = EnvironBuilder(path="/profile", headers={"Cookie": cookie},
                             environ_base={"REMOTE_ADDR": user.address}).get_environ()

    def through_cluster() -> None:
        for _ in range(requests):
            assert user.request("GET", "/profile").status_code == 200

    def raw_wsgi() -> None:
        status: list[str] = []

        def start_response(s: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            status.append(s)

        for _ in range(requests):
            body = b"".join(server.app(dict(environ, **{"wsgi.input": io.BytesIO()}), start_response))
            assert body
        assert status[-1].startswith("200")

    cluster_s = best_of(repeats, through_cluster) / requests
    raw_s = best_of(repeats, raw_wsgi) / requests
    return {"strategy": strategy, "policy": policy, "through cluster (us)": round(cluster_s * 1e6, 1),
            "raw WSGI (us)": round(raw_s * 1e6, 1), "ratio": round(cluster_s / raw_s, 2),
            "target": f"<= {RATIO_TARGET}", "met": cluster_s / raw_s <= RATIO_TARGET}


def dashboard_timings(*, repeats: int = 7) -> list[dict[str, Any]]:
    """A dashboard interaction (re-run a 1,000-request scenario and redraw), and the redraw alone."""
    dashboard = ClusterDashboard(DashboardSettings(policy="sticky", sessions="memory"))
    assert dashboard.run is not None and len(dashboard.run.records) == 1000
    interaction = [best_of(1, dashboard.refresh) for _ in range(repeats)]
    redraw = [best_of(1, dashboard.redraw) for _ in range(repeats)]
    rows = []
    for name, times, target in (("re-run 1,000 requests + redraw", interaction, DASHBOARD_TARGET_MS),
                                ("redraw alone", redraw, REDRAW_TARGET_MS)):
        best, median = min(times) * 1000, statistics.median(times) * 1000
        rows.append({"dashboard": name, "best (ms)": round(best, 1), "median (ms)": round(median, 1),
                     "target": f"< {target:g} ms", "met": median < target})
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print three tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (for a smoke run)")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else 5
    setups = [("memory", "sticky"), ("signed-cookie", "round-robin"), ("replicated", "round-robin")]
    print(Table([scenario_rate(s, p, repeats=repeats) for s, p in setups],
                title="simulated requests per second (200 users x 5 steps, 3 servers)"), end="\n\n")
    print(Table([cluster_vs_raw(s, p, repeats=repeats, requests=500 if args.quick else 2000) for s, p in setups],
                title="per-request cost: through the cluster / raw WSGI call to the same app"), end="\n\n")
    print(Table(dashboard_timings(repeats=3 if args.quick else 7), title="dashboard interaction"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
