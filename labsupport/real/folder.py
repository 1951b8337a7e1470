"""One private temporary folder per deployment, and the cleanup of deployments whose Python died.

Every deployment of lesson 08 lives in a folder of its own under a per-user base folder
(``$XDG_RUNTIME_DIR/labsupport-real`` when that is usable, else ``/tmp/labsupport-real-<uid>``):
configs, sockets, pid files, logs, data, and ``deployment.json``, which names the Python process
that owns the deployment and the process group of every program it started. ``atexit`` does not
run when a kernel is killed, so the next deployment first calls ``cleanup_leftovers``: for each
folder whose owner is gone it kills the recorded process groups that are still the ones it
started (same pid and start time, or later members of a group whose leader died) and removes
the folder.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

from . import procfs
from .errors import BadSetup

MANIFEST = "deployment.json"
UNIX_SOCKET_PATH_MAX = 107
"""Linux keeps at most 107 bytes of a Unix socket's path."""


def default_base_dir() -> Path:
    """The per-user folder that holds every deployment folder."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.access(runtime, os.W_OK | os.X_OK) and os.stat(runtime).st_uid == os.getuid():
        return Path(runtime) / "labsupport-real"
    return Path(tempfile.gettempdir()) / f"labsupport-real-{os.getuid()}"


def private_dir(path: Path) -> Path:
    """``path`` as an existing folder only this user can enter; refuses anything else found there."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise BadSetup(f"{path} must be a folder of this user that no one else can enter (mode 700); "
                       "remove it or choose another base_dir")
    return path


def _owner() -> dict[str, int]:
    pid = os.getpid()
    return {"pid": pid, "start": procfs.start_time(pid) or 0}


class DeploymentFolder:
    """A deployment's folder and its ``deployment.json`` (owner and started process groups)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._processes: dict[str, dict[str, int]] = {}
        self._save()

    @classmethod
    def create(cls, base_dir: Path | None = None) -> DeploymentFolder:
        """A new empty folder under ``base_dir`` (default: ``default_base_dir()``)."""
        base = private_dir(base_dir or default_base_dir())
        path = Path(tempfile.mkdtemp(prefix="d-", dir=base))
        longest = path / "s00.sock"
        if len(os.fsencode(longest)) > UNIX_SOCKET_PATH_MAX:
            shutil.rmtree(path)
            raise BadSetup(f"the folder {base} is too deep for Unix sockets (at most {UNIX_SOCKET_PATH_MAX} "
                           "bytes): pass a shorter base_dir, e.g. one under /tmp")
        return cls(path)

    def file(self, name: str) -> Path:
        """A path inside the folder."""
        return self.path / name

    def record(self, name: str, pid: int, start: int) -> None:
        """Remember that process group ``pid`` (started at ``start``) belongs to this deployment."""
        self._processes[name] = {"pid": pid, "start": start}
        self._save()

    def forget(self, name: str) -> None:
        """The process group recorded as ``name`` is gone."""
        if self._processes.pop(name, None) is not None:
            self._save()

    def _save(self) -> None:
        data = {"owner": _owner(), "processes": self._processes}
        temporary = self.file(MANIFEST + ".new")
        temporary.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(temporary, self.file(MANIFEST))

    def remove(self) -> None:
        """Delete the folder and everything in it (its processes must be stopped first)."""
        shutil.rmtree(self.path, ignore_errors=True)

    def __repr__(self) -> str:
        return f"DeploymentFolder(processes={sorted(self._processes)})"


def kill_group(pgid: int, start: int, *, timeout: float = 3.0) -> bool:
    """SIGKILL process group ``pgid`` if it is still the one whose leader started at ``start``.

    A leader with another start time means the pid was reused: nothing is killed. A group
    whose leader died already keeps its id while members live, so its members that started
    after the leader are killed. True when something was killed; waits until the group is gone.
    """
    leader = procfs.read(pgid)
    if leader is not None and leader.start != start:
        return False
    if not [p for p in procfs.group(pgid) if p.start >= start]:
        return False
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    deadline = time.monotonic() + timeout
    while procfs.group(pgid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return True


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def cleanup_leftovers(base_dir: Path | None = None) -> list[Path]:
    """Stop the processes of deployments whose owning Python is gone, remove their folders.

    Deployments of live Pythons (another open notebook) are left alone. Returns the folders
    removed. Lesson 08 calls it before each start, so a killed kernel leaves nothing running
    for longer than until the next deployment.
    """
    base = base_dir or default_base_dir()
    if not base.is_dir():
        return []
    private_dir(base)
    removed = []
    for folder in sorted(base.iterdir()):
        manifest = _read_manifest(folder / MANIFEST)
        if manifest is None:
            continue
        owner = manifest.get("owner", {})
        if procfs.is_same(int(owner.get("pid", 0)), int(owner.get("start", -1))):
            continue
        for process in manifest.get("processes", {}).values():
            kill_group(int(process["pid"]), int(process["start"]))
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed
