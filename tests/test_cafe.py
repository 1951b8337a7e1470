"""The cafe simulation of lesson 01: deterministic, and each barista kind fails (or not) where it should."""
from __future__ import annotations

import pytest

import labsupport as lab
from labsupport.cafe import KINDS, Cafe, CafeError, CafeRun, Ticket, visit_timeline


def run(events: dict | None = None, **options) -> CafeRun:
    options = {"baristas": 3, "customers": 12, "visits": 3, "seed": 1, **options}
    return Cafe(**options).run(events=events)


def test_same_seed_same_service_and_reprs_are_stable() -> None:
    first, second = run(dispatcher="random"), run(dispatcher="random")
    assert first == second
    assert repr(first) == repr(second)
    assert "0x" not in repr(first) + repr(Cafe(seed=1))
    assert repr(Cafe(seed=1)) == ("Cafe(kind='remembering', dispatcher='round-robin', on_duty=['Ana', 'Ben', 'Cleo'], "
                                  "customers=12, visits=3, seed=1)")


def test_different_seeds_can_differ_and_global_rng_is_untouched() -> None:
    import random
    random.seed(5)
    expected = random.random()
    random.seed(5)
    runs = {tuple(v.barista for v in run(dispatcher="random", seed=s).visits) for s in range(5)}
    assert len(runs) > 1
    assert random.random() == expected


@pytest.mark.parametrize("dispatcher", ["round-robin", "random", "regular"])
def test_one_remembering_barista_gets_every_order_right(dispatcher: str) -> None:
    result = run(baristas=1, kind="remembering", dispatcher=dispatcher)
    assert result.share_right == 1.0
    assert len(result.visits) == 12 * 3


@pytest.mark.parametrize("dispatcher", ["round-robin", "random"])
def test_remembering_baristas_behind_a_dispatcher_get_orders_wrong(dispatcher: str) -> None:
    result = run(kind="remembering", dispatcher=dispatcher, customers=60)
    assert result.share_right < 0.5
    wrong = [v for v in result.visits if not v.correct]
    assert wrong and all("has no notes for" in (v.reason or "") for v in wrong)
    assert all(v.visit > 1 for v in wrong)


def test_random_dispatcher_matches_theory() -> None:
    result = run(baristas=2, kind="remembering", dispatcher="random", customers=2000, seed=4)
    assert result.share_right == pytest.approx(0.25, abs=0.03)


def test_a_customer_served_wrong_gives_up() -> None:
    result = run(kind="remembering", dispatcher="round-robin")
    for customer in set(result.customers) - set(result.right_customers):
        mine = [v for v in result.visits if v.customer == customer]
        assert not mine[-1].correct and all(v.correct for v in mine[:-1])


@pytest.mark.parametrize("kind", ["ticket", "order-book"])
@pytest.mark.parametrize("dispatcher", ["round-robin", "random", "regular"])
def test_tickets_and_order_book_always_serve_right(kind: str, dispatcher: str) -> None:
    result = run(kind=kind, dispatcher=dispatcher, events={2: "break Ben", 3: "start"})
    assert result.share_right == 1.0
    assert len({v.barista for v in result.visits}) > 1


def test_sticky_regular_works_until_that_barista_goes_on_break() -> None:
    assert run(kind="remembering", dispatcher="regular").share_right == 1.0
    cafe = Cafe(baristas=3, kind="remembering", dispatcher="regular", customers=12, seed=1)
    result = cafe.run(events={3: "break Ben"})
    bens = {v.customer for v in result.visits if v.barista == "Ben"}
    assert bens and set(result.right_customers) == set(result.customers) - bens
    lost = [v for v in result.visits if not v.correct]
    assert all(v.visit == 3 and "Ben took the order so far and went on break" in (v.reason or "") for v in lost)
    assert cafe.on_duty() == ["Ana", "Cleo"]
    assert cafe.notes["Ben"] == {}
    assert result.events == ("break Ben before visit 3",)


def test_break_loses_notes_only_for_remembering_baristas() -> None:
    remembering = Cafe(kind="remembering", dispatcher="regular", seed=2)
    remembering.run()
    assert remembering.notes["Ben"]
    remembering.apply("break Ben")
    assert remembering.notes["Ben"] == {}
    ticket = Cafe(kind="ticket", dispatcher="regular", seed=2)
    ticket.run()
    tickets = dict(ticket.tickets)
    ticket.apply("break Ben")
    assert ticket.tickets == tickets
    assert all(t == Ticket(c, ("flat white", "oat milk", "extra shot")) for c, t in tickets.items())
    assert all(notes == {} for notes in ticket.notes.values())


def test_new_barista_serves_tickets_at_once_but_has_no_notes() -> None:
    ticket = run(kind="ticket", dispatcher="round-robin", events={2: "start"})
    dev = [v for v in ticket.visits if v.barista == "Dev"]
    assert dev and all(v.correct for v in dev)
    remembering = run(kind="remembering", dispatcher="regular", events={2: ["break Ana", "start"]})
    dev = [v for v in remembering.visits if v.barista == "Dev"]
    assert dev and not any(v.correct for v in dev)


def test_where_is_the_order_names_the_place() -> None:
    for kind, column in [("remembering", "in baristas' notes"), ("ticket", "on the customer's ticket"),
                         ("order-book", "in the order book")]:
        cafe = Cafe(kind=kind, baristas=1, seed=1)
        cafe.run()
        table = cafe.where_is_the_order(limit=3)
        assert len(table) == 3
        others = [c for c in table.columns if c not in ("customer", column)]
        assert all(row[column] != "-" for row in table.rows)
        assert all(row[c] == "-" for row in table.rows for c in others)


def test_summary_and_table_are_tables() -> None:
    result = run(kind="remembering", dispatcher="regular", events={3: "break Ben"})
    summary = result.summary()
    assert isinstance(summary, lab.Table) and summary[0]["share right"] == round(result.share_right, 3)
    assert summary[0]["events"] == "break Ben before visit 3"
    assert len(result.table(limit=5)) == 5
    assert result.table()[0]["served"] == "flat white"


def test_visit_timeline_returns_a_figure() -> None:
    fig = visit_timeline(run(kind="remembering"), customers=4)
    assert type(fig).__name__ == "LabFigure" and len(fig.axes) == 1
    assert fig.axes[0].get_title().endswith("orders right")


@pytest.mark.parametrize("options, kind", [
    ({"kind": "forgetful"}, "barista kind"),
    ({"dispatcher": "fastest"}, "dispatcher"),
])
def test_unknown_options_raise_unknown_choice(options: dict, kind: str) -> None:
    with pytest.raises(lab.UnknownChoice) as info:
        Cafe(**options)
    assert info.value.kind == kind and "choose one of" in str(info.value)


def test_bad_events_and_sizes_raise_lab_errors() -> None:
    with pytest.raises(lab.UnknownChoice, match="barista 'Zed'"):
        Cafe(seed=1).apply("break Zed")
    with pytest.raises(lab.UnknownChoice, match="cafe event"):
        Cafe(seed=1).apply("nap Ben")
    with pytest.raises(CafeError, match="nobody is on duty"):
        Cafe(baristas=1, seed=1).run(events={2: "break Ana"})
    with pytest.raises(CafeError, match="visits are numbered 1 to 3"):
        Cafe(seed=1).run(events={4: "start"})
    for options in ({"baristas": 0}, {"customers": 0}, {"visits": 0}, {"visits": 6}):
        with pytest.raises(CafeError):
            Cafe(**options)
    assert issubclass(CafeError, lab.LabError)


def test_every_kind_is_listed_and_exported() -> None:
    assert set(KINDS) == {"remembering", "ticket", "order-book"}
    assert lab.cafe.Cafe is Cafe and "cafe" in lab.__all__
