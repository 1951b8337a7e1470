"""The shop's accounts: who may log in, with which password, and with which roles (lessons 00, 03).

The roles live here, with the accounts, like a user directory: a session strategy only carries
what the shop hands it at login (a JWT copies the roles into the token, which is why a token's
roles can go stale: lesson 03).
"""
from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

BASE_ROLES: tuple[str, ...] = ("customer",)
"""The roles of every account unless the directory says otherwise."""

DEMO_ROLES: Mapping[str, tuple[str, ...]] = MappingProxyType({"alice": ("customer", "admin")})
"""The demo directory's exceptions: alice is an admin."""

NAMED_ACCOUNTS: Mapping[str, str] = MappingProxyType({"alice": "alice-password", "bob": "bob-password"})
"""Two accounts with names, for lessons that tell a story about alice and bob."""


def credentials(index: int) -> tuple[str, str]:
    """The name and password of simulated user ``index``: ``("user007", "pass007")``."""
    if index < 0:
        raise ValueError(f"a user index is 0 or more, not {index}")
    return f"user{index:03d}", f"pass{index:03d}"


class Accounts:
    """Passwords and roles by user name: the shop's user directory. Build it with ``Accounts.for_users(n)``.

    It cannot be changed in place: every server keeps its own copy (``copy()``), as servers
    share no mutable object. A changed directory is a new ``Accounts`` (``with_roles``), and a
    server started with it (lesson 03: a token issued before the change still carries the old roles).
    """

    def __init__(self, passwords: Mapping[str, str], *, roles: Mapping[str, Sequence[str]] | None = None) -> None:
        self.passwords: Mapping[str, str] = MappingProxyType(dict(passwords))
        directory = DEMO_ROLES if roles is None else roles
        self.roles: Mapping[str, tuple[str, ...]] = MappingProxyType({u: tuple(r) for u, r in directory.items()})

    @classmethod
    def for_users(cls, count: int, *, roles: Mapping[str, Sequence[str]] | None = None) -> Accounts:
        """Accounts for simulated users ``0 .. count - 1`` plus alice and bob."""
        if count < 0:
            raise ValueError(f"cannot make accounts for {count} users")
        return cls(dict(map(credentials, range(count))) | dict(NAMED_ACCOUNTS), roles=roles)

    def check_password(self, user: str, password: str) -> bool:
        """True when ``user`` exists and ``password`` is theirs (compared in constant time)."""
        known = self.passwords.get(user)
        return known is not None and hmac.compare_digest(known.encode(), password.encode())

    def roles_of(self, user: str) -> list[str]:
        """``user``'s roles in the directory."""
        return list(self.roles.get(user, BASE_ROLES))

    def with_roles(self, user: str, roles: Iterable[str]) -> Accounts:
        """A copy of this directory with ``user``'s roles changed."""
        return Accounts(self.passwords, roles={**self.roles, user: tuple(roles)})

    def copy(self) -> Accounts:
        """An equal directory that shares no object with this one (one per server)."""
        return Accounts(self.passwords, roles=self.roles)

    def __contains__(self, user: object) -> bool:
        return user in self.passwords

    def __len__(self) -> int:
        return len(self.passwords)

    def __repr__(self) -> str:
        return f"Accounts({len(self)} users)"


__all__ = ["BASE_ROLES", "DEMO_ROLES", "NAMED_ACCOUNTS", "Accounts", "credentials"]
