"""Reading Linux's /proc: who a process is, its group, its children, whether it is still the one we started.

A process is named by its pid and its start time (clock ticks after boot): a pid can be reused,
the pair cannot. Zombies (exited, not yet reaped) count as gone.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

PROC = "/proc"


@dataclass(frozen=True)
class ProcInfo:
    """One live process as /proc shows it."""

    pid: int
    ppid: int
    pgid: int
    uid: int
    start: int
    cmdline: str

    def mentions(self, text: str) -> bool:
        """True when ``text`` (a folder, say) appears in the command line."""
        return text in self.cmdline


def _stat(pid: int) -> tuple[list[str], str, int] | None:
    """The fields of /proc/<pid>/stat after the command name, the command line, the owner's uid."""
    try:
        with open(f"{PROC}/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
        with open(f"{PROC}/{pid}/cmdline", "rb") as f:
            cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        uid = os.stat(f"{PROC}/{pid}").st_uid
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
    return stat[stat.rfind(")") + 2:].split(), cmdline, uid


def read(pid: int) -> ProcInfo | None:
    """The process ``pid``, or ``None`` when there is none, it is a zombie, or /proc refuses."""
    found = _stat(pid)
    if found is None or found[0][0] in ("Z", "X"):
        return None
    fields, cmdline, uid = found
    return ProcInfo(pid=pid, ppid=int(fields[1]), pgid=int(fields[2]), uid=uid, start=int(fields[19]),
                    cmdline=cmdline)


def processes() -> Iterator[ProcInfo]:
    """Every live process this user can see."""
    for entry in os.listdir(PROC):
        if entry.isdigit():
            info = read(int(entry))
            if info is not None:
                yield info


def state(pid: int) -> str | None:
    """The state letter /proc gives ``pid`` (``"R"`` running, ``"S"`` sleeping, ``"T"`` stopped, ...), or ``None``."""
    found = _stat(pid)
    return None if found is None else found[0][0]


def start_time(pid: int) -> int | None:
    """When ``pid`` started (clock ticks after boot), zombies included; ``None`` when there is no such pid."""
    found = _stat(pid)
    return None if found is None else int(found[0][19])


def is_same(pid: int, start: int) -> bool:
    """True while the process that had ``pid`` and started at ``start`` still runs (a zombie does not)."""
    info = read(pid)
    return info is not None and info.start == start


def children(pid: int) -> list[ProcInfo]:
    """The live child processes of ``pid``, oldest first."""
    return sorted((p for p in processes() if p.ppid == pid), key=lambda p: (p.start, p.pid))


def group(pgid: int) -> list[ProcInfo]:
    """The live members of process group ``pgid`` that belong to this user."""
    uid = os.getuid()
    return [p for p in processes() if p.pgid == pgid and p.uid == uid]


def mentioning(text: str) -> list[ProcInfo]:
    """This user's live processes whose command line mentions ``text``."""
    uid = os.getuid()
    return [p for p in processes() if p.uid == uid and p.mentions(text)]
