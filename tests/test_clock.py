"""SimClock: time stands still until the simulation moves it."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from labsupport import EPOCH, SimClock

LONG_AGO = datetime(2001, 1, 1, tzinfo=timezone.utc)


def test_epoch_is_a_fixed_utc_instant() -> None:
    assert EPOCH == datetime(2026, 1, 5, 9, 0, 0, tzinfo=timezone.utc)


def test_time_is_frozen_inside_the_block() -> None:
    with SimClock() as clock:
        first = time.time()
        sum(range(200_000))  # real time passes; simulated time does not
        assert time.time() == first == EPOCH.timestamp()
        assert datetime.now(timezone.utc) == EPOCH
        assert clock.elapsed == 0.0
        assert clock.running


def test_advance_moves_the_clock_libraries_read() -> None:
    with SimClock() as clock:
        clock.advance(61)
        assert time.time() == EPOCH.timestamp() + 61
        assert datetime.now(timezone.utc) == EPOCH + timedelta(seconds=61)
        assert clock.elapsed == 61.0
        clock.advance(0.5)
        clock.advance(3600)
        assert clock.elapsed == 3661.5
        assert time.time() == EPOCH.timestamp() + 3661.5


def test_a_custom_start() -> None:
    start = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)
    with SimClock(start) as clock:
        assert time.time() == start.timestamp()
        clock.advance(10)
        assert clock.elapsed == 10.0
        assert repr(clock) == "SimClock(start=2030-06-01T12:00:00+00:00, +10 s)"


def test_repr_is_stable() -> None:
    clock = SimClock()
    assert repr(clock) == "SimClock(start=2026-01-05T09:00:00+00:00, stopped)"
    with clock:
        assert repr(clock) == "SimClock(start=2026-01-05T09:00:00+00:00, +0 s)"
        clock.advance(61)
        assert repr(clock) == "SimClock(start=2026-01-05T09:00:00+00:00, +61 s)"
        clock.advance(0.5)
        assert repr(clock) == "SimClock(start=2026-01-05T09:00:00+00:00, +61.5 s)"
    assert repr(clock) == "SimClock(start=2026-01-05T09:00:00+00:00, stopped)"


def test_advance_outside_the_block_raises() -> None:
    clock = SimClock()
    with pytest.raises(RuntimeError, match="inside `with SimClock"):
        clock.advance(1)
    with clock:
        clock.advance(1)
    with pytest.raises(RuntimeError):
        clock.advance(1)
    assert not clock.running and clock.elapsed == 0.0


def test_real_time_returns_after_the_block_even_on_error() -> None:
    with pytest.raises(ZeroDivisionError):
        with SimClock(LONG_AGO) as clock:
            assert time.time() == LONG_AGO.timestamp()
            clock.advance(5)
            1 / 0
    assert time.time() > LONG_AGO.timestamp() + 20 * 365 * 86400
    assert not clock.running


def test_a_clock_can_run_again_from_its_start() -> None:
    clock = SimClock()
    with clock:
        clock.advance(100)
    with clock:
        assert clock.elapsed == 0.0 and time.time() == EPOCH.timestamp()
