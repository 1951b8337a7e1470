"""The errors lesson 08's real processes raise: all are ``LabError``s, so a lesson can catch them."""
from __future__ import annotations

from collections.abc import Sequence

from ..errors import LabError


class RealProcessError(LabError):
    """Something about the real processes of lesson 08 (redis-server, gunicorn, nginx) went wrong."""


class MissingBinaries(RealProcessError):
    """Programs lesson 08 needs are not installed; ``names`` lists them, the message says how to install.

    A lesson catches it and shows stored results instead of running the real processes.
    """

    def __init__(self, names: Sequence[str], message: str) -> None:
        super().__init__(message)
        self.names = tuple(names)


class NotReady(RealProcessError):
    """A process did not answer in time or exited while starting; ``log_tail`` holds the end of its log."""

    def __init__(self, name: str, reason: str, log_tail: str) -> None:
        tail = log_tail.strip() or "(its log is empty)"
        super().__init__(f"{name} {reason}. The end of its log:\n{tail}")
        self.name = name
        self.reason = reason
        self.log_tail = log_tail


class BadSetup(RealProcessError, ValueError):
    """A deployment option that cannot work as given (a bad app string, a server count of 0, ...)."""
