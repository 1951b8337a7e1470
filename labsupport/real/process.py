"""One program run as its own process group, with its output in a log file of the deployment folder."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence

from . import procfs
from .errors import NotReady, RealProcessError
from .folder import DeploymentFolder, kill_group

POLL = 0.05
"""Seconds between two readiness checks."""


class ManagedProcess:
    """A program started in a new session (so it leads its own process group), stopped by pid.

    Its stdout and stderr go to ``<name>.log`` in the deployment folder, kept across
    restarts. Every start and stop is written to the folder's ``deployment.json``.
    """

    def __init__(self, name: str, argv: Sequence[str], *, folder: DeploymentFolder,
                 env: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.argv = list(argv)
        self.folder = folder
        self.env = dict(env) if env is not None else None
        self.log = folder.file(f"{name}.log")
        self._popen: subprocess.Popen[bytes] | None = None
        self._start = 0

    @property
    def pid(self) -> int | None:
        """The pid of the running program (its process group id too), or ``None``."""
        return self._popen.pid if self.running and self._popen is not None else None

    @property
    def running(self) -> bool:
        """True while the program has not exited."""
        return self._popen is not None and self._popen.poll() is None

    def start(self) -> None:
        """Start the program; it must not be running."""
        if self.running:
            raise RealProcessError(f"{self.name} is running already")
        with open(self.log, "ab") as log:
            try:
                self._popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                               cwd=self.folder.path, env=self.env, start_new_session=True)
            except OSError as error:
                raise RealProcessError(f"{self.name} could not be started: {error}") from error
        self._start = procfs.start_time(self._popen.pid) or 0
        self.folder.record(self.name, self._popen.pid, self._start)

    def send(self, sig: signal.Signals, *, group: bool = True) -> None:
        """Send ``sig`` to the whole process group (or only its leader)."""
        pid = self.pid
        if pid is None:
            raise RealProcessError(f"{self.name} is not running")
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)

    def stop(self, sig: signal.Signals = signal.SIGTERM, *, timeout: float = 10.0) -> None:
        """Ask the leader to exit with ``sig``; SIGKILL the group after ``timeout`` seconds or leftovers."""
        self.ask_to_stop(sig)
        self.wait_stopped(timeout=timeout)

    def ask_to_stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Send ``sig`` to the leader (after SIGCONT, so a paused program can act on it); returns at once."""
        if self.running and self._popen is not None:
            os.killpg(self._popen.pid, signal.SIGCONT)
            os.kill(self._popen.pid, sig)

    def wait_stopped(self, *, timeout: float = 10.0) -> None:
        """Wait up to ``timeout`` seconds for the leader to exit, then SIGKILL whatever is left of the group."""
        if self._popen is None:
            return
        try:
            self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        self._end()

    def kill(self) -> None:
        """SIGKILL the whole process group at once: the program crashes, with its children."""
        if self._popen is not None:
            self._end()

    def _end(self) -> None:
        popen = self._popen
        if popen is None:
            return
        kill_group(popen.pid, self._start)  # the leader and everything it forked
        if popen.poll() is None:
            popen.kill()
        popen.wait()
        self.folder.forget(self.name)

    def log_tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines of the log."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_until(self, check: Callable[[], bool], *, what: str, timeout: float) -> None:
        """Poll ``check`` until it is true; ``NotReady`` with the log tail if the program exits or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            if check():
                return
            if not self.running:
                code = self._popen.returncode if self._popen is not None else None
                self._end()
                raise NotReady(self.name, f"exited with code {code} before it {what}", self.log_tail())
            if time.monotonic() > deadline:
                self.kill()
                raise NotReady(self.name, f"did not {what} within {timeout:g} s", self.log_tail())
            time.sleep(POLL)

    def __repr__(self) -> str:
        return f"ManagedProcess({self.name!r}, running={self.running})"
