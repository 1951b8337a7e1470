"""The seven session setups lesson 07 compares: a strategy and the balancer it runs behind."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnknownChoice
from ..sessions import StrategySpec, strategy_spec


@dataclass(frozen=True)
class Setup:
    """One row of the comparison: a session strategy behind one balancing policy (lesson 07)."""

    name: str
    strategy: str
    policy: str
    description: str

    @property
    def spec(self) -> StrategySpec:
        """The strategy with its default options."""
        return strategy_spec(self.strategy)

    @property
    def stateful(self) -> bool:
        """True when each server keeps the sessions in its own memory (the article's *stateful* column)."""
        return self.spec.strategy.stateful

    @property
    def needs_store(self) -> bool:
        """True when the strategy keeps something in a shared session store."""
        return self.spec.needs_store

    def __repr__(self) -> str:
        return f"Setup({self.name!r}: {self.strategy} sessions, {self.policy})"


SETUPS: tuple[Setup, ...] = (
    Setup("memory", "memory", "round-robin", "each server's own memory, round robin (lesson 02)"),
    Setup("memory+sticky", "memory", "sticky", "each server's own memory, a sticky balancer (lesson 02)"),
    Setup("replicated", "replicated", "round-robin", "memory copied to every server on each write (lesson 02)"),
    Setup("signed-cookie", "signed-cookie", "round-robin", "Flask's signed cookie, carried by the client (lesson 03)"),
    Setup("jwt", "jwt", "round-robin", "stateless JWT access + refresh tokens (lesson 03)"),
    Setup("jwt-revocable", "jwt-revocable", "round-robin", "JWT + denylist and token families in a store (lesson 05)"),
    Setup("store", "store", "round-robin", "a session id in a cookie, the session in Redis (lesson 06)"),
)
"""Every setup the comparison measures, stateful ones first."""

SETUP_NAMES: tuple[str, ...] = tuple(setup.name for setup in SETUPS)


def setup_named(name: str) -> Setup:
    """The setup called ``name`` (``UnknownChoice`` for any other)."""
    for setup in SETUPS:
        if setup.name == name:
            return setup
    raise UnknownChoice("setup", name, list(SETUP_NAMES))
