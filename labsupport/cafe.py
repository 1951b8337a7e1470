"""The article's cafe analogy as a small, seeded simulation in plain Python (lesson 01).

Customers order over several visits ("a flat white", then "make that oat milk", ...), each
building on the order so far. Where that order lives between visits is the lesson:
``remembering`` baristas keep notes in their own memory (a stateful server); ``ticket``
baristas keep nothing, the customer carries a self-contained ticket with the whole order
(a signed cookie or token); ``order-book`` baristas share one book behind the counter (an
external session store). A dispatcher (``round-robin``, seeded ``random``, sticky ``regular``)
sends each visit to a barista on duty; a barista may go on break (their notes go with them)
or a new one start. A customer served wrong gives up, like a user who loses their session.
"""
from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .errors import LabError, UnknownChoice
from .plots import LabFigure, new_figure
from .tables import Table

KINDS = ("remembering", "ticket", "order-book")
"""Where the order so far lives: a barista's own notes, the customer's ticket, a shared book."""
DISPATCHERS = ("round-robin", "random", "regular")
"""How a visit is sent to a barista on duty (``regular`` is sticky)."""
CAFE_EVENTS = ("break", "start")
"""What may happen before a visit round, written like ``"break Ben"`` or ``"start"``."""
ORDER = (("a flat white", "flat white"), ("make that oat milk", "oat milk"), ("add an extra shot", "extra shot"),
         ("make it large", "large"), ("and a croissant", "croissant"))
"""What a customer says at each visit, and what it adds to the order."""
NAMES = ("Ana", "Ben", "Cleo", "Dev", "Eve", "Finn", "Gus", "Hana")


class CafeError(LabError):
    """A cafe that cannot run as asked, e.g. with nobody on duty (lesson 01)."""


@dataclass(frozen=True)
class Ticket:
    """A self-contained order ticket: who ordered and the whole order so far (lesson 01)."""

    customer: str
    order: tuple[str, ...]


@dataclass(frozen=True)
class Visit:
    """One visit to the counter, as plain data for tables and plots (lesson 01)."""

    customer: str
    visit: int
    asked: str
    barista: str
    served: str
    correct: bool
    reason: str | None = None


@dataclass(frozen=True)
class CafeRun:
    """What happened in one service: every visit in order, and who got their whole order right."""

    visits: tuple[Visit, ...]
    customers: tuple[str, ...]
    kind: str
    dispatcher: str
    baristas: int
    events: tuple[str, ...] = ()

    @property
    def right_customers(self) -> list[str]:
        """Customers whose every visit was served right."""
        wrong = {v.customer for v in self.visits if not v.correct}
        return [c for c in self.customers if c not in wrong]

    @property
    def share_right(self) -> float:
        """Share of customers whose whole order came out right."""
        return len(self.right_customers) / len(self.customers) if self.customers else 0.0

    def summary(self) -> Table:
        """One line: the setup, and how many customers got their whole order right."""
        return Table([{"baristas": f"{self.baristas} {self.kind}", "dispatcher": self.dispatcher,
                       "events": "; ".join(self.events) or "-", "visits": len(self.visits),
                       "customers": len(self.customers), "all right": len(self.right_customers),
                       "share right": round(self.share_right, 3)}])

    def table(self, limit: int = 12) -> Table:
        """The first ``limit`` visits: who asked what, who served, and what came out."""
        return Table([{"customer": v.customer, "visit": v.visit, "asked": v.asked, "barista": v.barista,
                       "served": v.served, "right": v.correct, "why not": v.reason}
                      for v in self.visits[:limit]])

    def __repr__(self) -> str:
        return (f"CafeRun(kind={self.kind!r}, dispatcher={self.dispatcher!r}, baristas={self.baristas}, "
                f"customers={len(self.customers)}, all_right={len(self.right_customers)})")


class Cafe:
    """One seeded cafe. Build a new one for every scenario, so re-running a cell repeats it (lesson 01).

    >>> Cafe(baristas=3, kind="ticket", dispatcher="random", customers=10, seed=1).run().share_right
    1.0
    """

    def __init__(self, *, baristas: int = 3, kind: str = "remembering", dispatcher: str = "round-robin",
                 customers: int = 12, visits: int = 3, seed: int = 0) -> None:
        for what, value, known in (("barista kind", kind, KINDS), ("dispatcher", dispatcher, DISPATCHERS)):
            if value not in known:
                raise UnknownChoice(what, value, list(known))
        if baristas < 1 or customers < 1:
            raise CafeError(f"a cafe needs at least one barista and one customer, got {baristas} and {customers}")
        if not 1 <= visits <= len(ORDER):
            raise CafeError(f"visits must be between 1 and {len(ORDER)}, got {visits}")
        self.kind, self.dispatcher, self.visits, self.seed = kind, dispatcher, visits, seed
        self.rng = random.Random(seed)
        self.staff: list[str] = []
        self.on_break: set[str] = set()
        self.notes: dict[str, dict[str, list[str]]] = {}
        """Each barista's own memory, by name: customer -> order so far (``remembering`` baristas)."""
        for _ in range(baristas):
            self.hire()
        self.customers = [f"c{i + 1:0{max(2, len(str(customers)))}d}" for i in range(customers)]
        self.tickets: dict[str, Ticket] = {}
        """The ticket each customer carries in their pocket (``ticket`` baristas)."""
        self.order_book: dict[str, list[str]] = {}
        """The shared book behind the counter (``order-book`` baristas)."""
        self.regulars: dict[str, str] = {}
        self._turn = 0
        self._last: dict[str, str] = {}

    def on_duty(self) -> list[str]:
        """Names of the baristas serving now."""
        return [name for name in self.staff if name not in self.on_break]

    def hire(self) -> str:
        """A new barista starts, with an empty memory; returns their name."""
        n = len(self.staff)
        self.staff.append(NAMES[n] if n < len(NAMES) else f"B{n + 1}")
        self.notes[self.staff[-1]] = {}
        return self.staff[-1]

    def apply(self, event: str) -> None:
        """Do one event: ``"break Ben"`` (Ben leaves, with his notes) or ``"start"`` (a new barista)."""
        verb, *args = event.split()
        if verb not in CAFE_EVENTS or len(args) != (1 if verb == "break" else 0):
            raise UnknownChoice("cafe event", event, ["break <name>", "start"])
        if verb == "start":
            self.hire()
            return
        if args[0] not in self.staff:
            raise UnknownChoice("barista", args[0], self.staff)
        self.on_break.add(args[0])
        self.notes[args[0]].clear()

    def _dispatch(self, customer: str) -> str:
        names = self.on_duty()
        if not names:
            raise CafeError("nobody is on duty: every barista is on break")
        if self.dispatcher == "random":
            return self.rng.choice(names)
        if self.dispatcher == "regular" and self.regulars.get(customer) in names:
            return self.regulars[customer]
        self._turn += 1
        self.regulars[customer] = names[(self._turn - 1) % len(names)]
        return self.regulars[customer]

    def _serve(self, customer: str, visit: int, barista: str) -> Visit:
        asked, item = ORDER[visit - 1]
        book = self.notes[barista] if self.kind == "remembering" else self.order_book
        ticket = self.tickets.get(customer) if self.kind == "ticket" else None
        known = [] if visit == 1 else list(ticket.order) if ticket else book.get(customer, [])
        order = [*known, item]
        if self.kind == "ticket":
            self.tickets[customer] = Ticket(customer, tuple(order))
        else:
            book[customer] = order
        correct = order == [i for _, i in ORDER[:visit]]
        before, self._last[customer] = self._last.get(customer, ""), barista
        gone = " and went on break, notes and all" if before in self.on_break else ""
        reason = None if correct else f"{barista} has no notes for {customer}: {before} took the order so far{gone}"
        return Visit(customer, visit, asked, barista, " + ".join(order), correct, reason)

    def run(self, *, events: Mapping[int, str | Sequence[str]] | None = None) -> CafeRun:
        """Each customer makes ``visits`` visits, in a shuffled (seeded) order per round, giving up when
        served wrong; ``events`` maps a visit number to what happens just before that round."""
        events = dict(events or {})
        outside = [n for n in events if not 1 <= n <= self.visits]
        if outside:
            raise CafeError(f"events at visit {outside[0]}, but visits are numbered 1 to {self.visits}")
        staff, done, waiting, visits = len(self.staff), [], list(self.customers), []
        for number in range(1, self.visits + 1):
            planned = events.get(number, ())
            for event in [planned] if isinstance(planned, str) else planned:
                self.apply(event)
                done.append(f"{event} before visit {number}")
            order = list(waiting)
            self.rng.shuffle(order)
            for customer in order:
                visits.append(self._serve(customer, number, self._dispatch(customer)))
                if not visits[-1].correct:
                    waiting.remove(customer)
        return CafeRun(tuple(visits), tuple(self.customers), self.kind, self.dispatcher, staff, tuple(done))

    def where_is_the_order(self, limit: int = 6) -> Table:
        """For the first ``limit`` customers: which baristas' notes, ticket or book hold their order."""
        return Table([{"customer": c,
                       "in baristas' notes": ", ".join(b for b in self.staff if c in self.notes[b]) or "-",
                       "on the customer's ticket": " + ".join(self.tickets[c].order) if c in self.tickets else "-",
                       "in the order book": " + ".join(self.order_book[c]) if c in self.order_book else "-"}
                      for c in self.customers[:limit]])

    def __repr__(self) -> str:
        return (f"Cafe(kind={self.kind!r}, dispatcher={self.dispatcher!r}, on_duty={self.on_duty()}, "
                f"customers={len(self.customers)}, visits={self.visits}, seed={self.seed})")


def visit_timeline(run: CafeRun, *, customers: int = 12, title: str | None = None) -> LabFigure:
    """Which barista served each visit of the first ``customers`` customers: right (o) or wrong (X)."""
    rows = {c: i for i, c in enumerate(run.customers[:customers])}
    fig, (ax,) = new_figure(8, 0.35 * len(rows) + 1.6)
    for i, barista in enumerate(dict.fromkeys(v.barista for v in run.visits)):
        for right in (True, False):
            mine = [v for v in run.visits if v.barista == barista and v.correct is right and v.customer in rows]
            ax.scatter([v.visit for v in mine], [rows[v.customer] for v in mine], s=260 if right else 200,
                       marker="o" if right else "X", color=f"C{i % 10}", edgecolors="none" if right else "black",
                       label=barista if right else None, zorder=3)
            for v in mine:
                ax.annotate(barista[0], (v.visit, rows[v.customer]), ha="center", va="center", fontsize=7,
                            color="white", zorder=4)
    ax.set_yticks(range(len(rows)), list(rows))
    ax.invert_yaxis()
    ax.set_xticks(range(1, max((v.visit for v in run.visits), default=1) + 1))
    ax.set(xlabel="visit (X = order wrong, the customer gives up)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, markerscale=0.6)
    ax.set_title(title or f"{run.kind} baristas, {run.dispatcher}: "
                          f"{len(run.right_customers)} of {len(run.customers)} orders right")
    return fig
