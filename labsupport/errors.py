"""The exceptions labsupport raises: one root, specific subclasses carrying data."""
from __future__ import annotations


class LabError(Exception):
    """Root of every error labsupport raises on purpose."""


class SessionRejected(LabError):
    """A request carried no usable session; the shop answers with ``status`` (lesson 02).

    ``reason`` is the sentence the learner sees in the JSON error body.
    """

    def __init__(self, reason: str, *, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class StoreUnavailable(SessionRejected):
    """The session store cannot be reached: the app fails closed with 503 (lesson 06)."""

    def __init__(self, reason: str = "session store unavailable") -> None:
        super().__init__(reason, status=503)


class TokenRejected(SessionRejected):
    """A JWT that failed a check: the shop answers 401 with ``reason`` (lesson 03).

    ``code`` names the check in a word or two (``"expired"``, ``"bad-signature"``,
    ``"missing-claim"``, ``"revoked"``, ...) so tests and tables can group rejections; ``claim``
    names the claim involved, when there is one. A rejection that came from PyJWT keeps its
    exception as ``__cause__`` and its class name as ``detail`` (the reason is always the
    course's own words, never the library's message).
    """

    def __init__(self, reason: str, *, code: str, claim: str | None = None, status: int = 401,
                 detail: str | None = None) -> None:
        super().__init__(reason, status=status)
        self.code = code
        self.claim = claim
        self.detail = detail


class ClusterError(LabError):
    """A cluster operation that cannot be done as asked (lesson 00)."""


class UnknownServer(ClusterError, KeyError):
    """A server name that is not part of the cluster."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"no server named {name!r}; the cluster has {', '.join(known) or 'none'}")
        self.name = name
        self.known = known

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownChoice(LabError, ValueError):
    """A name (policy, strategy, event, exercise) that labsupport does not know."""

    def __init__(self, kind: str, name: object, known: list[str]) -> None:
        super().__init__(f"unknown {kind} {name!r}; choose one of: {', '.join(known)}")
        self.kind = kind
        self.name = name
        self.known = known


class ScenarioError(LabError):
    """A step a scenario needs did not succeed: a bug in the simulator or the scenario, never the learner's answer.

    ``step`` says what was tried, ``status`` and ``reason`` what the shop answered.
    """

    def __init__(self, step: str, *, status: int, reason: str = "") -> None:
        super().__init__(f"{step} failed: HTTP {status}" + (f" ({reason})" if reason else ""))
        self.step = step
        self.status = status
        self.reason = reason
