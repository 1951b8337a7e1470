"""Simulated time that PyJWT, Flask cookies and the session store all obey (lesson 00).

Nothing here fakes an expiry check: time-machine moves the clock that the libraries read,
so their own checks run unchanged.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from types import TracebackType

import time_machine

EPOCH = datetime(2026, 1, 5, 9, 0, 0, tzinfo=timezone.utc)
"""Every scenario starts at this instant, so tokens and cookies minted in it reproduce."""


class SimClock:
    """A context manager that freezes time at ``start`` and moves it only when told.

    >>> with SimClock() as clock:
    ...     clock.advance(61)
    ...     clock.elapsed
    61.0
    """

    def __init__(self, start: datetime = EPOCH) -> None:
        self.start = start
        self._travel: time_machine.travel | None = None
        self._coordinates: time_machine.Traveller | None = None

    def __enter__(self) -> SimClock:
        self._travel = time_machine.travel(self.start, tick=False)
        self._coordinates = self._travel.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._travel is not None:
            self._travel.stop()
        self._travel = None
        self._coordinates = None

    @property
    def running(self) -> bool:
        """True between entering and leaving the ``with`` block."""
        return self._coordinates is not None

    def advance(self, seconds: float) -> None:
        """Move simulated time forward by ``seconds``."""
        if self._coordinates is None:
            raise RuntimeError("SimClock.advance() needs a running clock: use it inside `with SimClock() as clock:`")
        self._coordinates.shift(seconds)

    @property
    def elapsed(self) -> float:
        """Simulated seconds since ``start`` (0.0 outside the ``with`` block)."""
        if self._coordinates is None:
            return 0.0
        return round(time.time() - self.start.timestamp(), 6)

    def __repr__(self) -> str:
        state = f"+{self.elapsed:g} s" if self.running else "stopped"
        return f"SimClock(start={self.start.isoformat()}, {state})"
