"""Finding the programs lesson 08 runs: redis-server and nginx from Debian packages, gunicorn from pip."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable

from .errors import BadSetup, MissingBinaries

SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")
"""Where Debian puts nginx; a normal user's PATH often lacks these."""

APT_PACKAGES = {"redis-server": "redis-server", "nginx": "nginx"}
"""The Debian package that provides each program."""

PIP_PACKAGES = {"gunicorn": "gunicorn"}
"""Programs that come from pip, into the Python that runs the course."""

NAMES = ("redis-server", "gunicorn", "nginx")


def find_program(name: str, *, path: str | None = None) -> str | None:
    """Where program ``name`` is: searched on ``path`` (default: PATH), then in the sbin folders."""
    if path is None:
        path = os.pathsep.join([os.environ.get("PATH", os.defpath), *SBIN_DIRS])
    return shutil.which(name, path=path)


def find_gunicorn() -> str | None:
    """The folder of the gunicorn package importable by this Python (gunicorn runs as ``python -m gunicorn``)."""
    spec = importlib.util.find_spec("gunicorn")
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def available(*, path: str | None = None) -> dict[str, str | None]:
    """Lesson 08's programs and where each is, or ``None`` when it is missing.

    ``path`` replaces PATH and the sbin folders in the search (tests use it to hide a program).
    """
    found: dict[str, str | None] = {}
    for name in NAMES:
        found[name] = find_gunicorn() if name in PIP_PACKAGES else find_program(name, path=path)
    return found


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def install_hint(missing: Iterable[str]) -> str:
    """One sentence naming the missing programs and the command(s) that install them."""
    names = list(missing)
    apt = [APT_PACKAGES[n] for n in names if n in APT_PACKAGES]
    pip = [PIP_PACKAGES[n] for n in names if n in PIP_PACKAGES]
    commands = []
    if apt:
        commands.append("sudo apt-get install -y " + " ".join(apt))
    if pip:
        commands.append(f"{os.path.basename(sys.executable)} -m pip install " + " ".join(pip))
    verb = "is" if len(names) == 1 else "are"
    return f"{_and(names)} {verb} not installed: {' and '.join(commands)}"


def require(names: Iterable[str], *, path: str | None = None) -> dict[str, str]:
    """The paths of ``names``; raises ``MissingBinaries`` with one install sentence if any is missing."""
    wanted = list(names)
    unknown = [n for n in wanted if n not in NAMES]
    if unknown:
        raise BadSetup(f"unknown program(s) {unknown}; lesson 08 runs {', '.join(NAMES)}")
    found = available(path=path)
    missing = [n for n in wanted if found[n] is None]
    if missing:
        raise MissingBinaries(missing, install_hint(missing))
    return {n: p for n, p in found.items() if n in wanted and p is not None}


def program_version(argv: list[str]) -> tuple[int, ...]:
    """The first ``x.y.z`` that ``argv`` (e.g. ``[nginx, "-v"]``) prints, as numbers; ``()`` if none.

    Versions decide options older releases lack: nginx's ``-e`` (1.19.5), Redis's
    ``proc-title-template`` (6.2); Ubuntu 22.04, Binder's base, ships nginx 1.18 and Redis 6.0.
    """
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    found = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", done.stdout + done.stderr)
    return tuple(int(part) for part in found.groups() if part is not None) if found else ()
