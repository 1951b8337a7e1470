"""``AppServer``: one gunicorn server of lesson 08, one worker process, so one memory per server.

Each server is its own OS process group: a gunicorn master and the single worker it forks,
serving a Unix socket in the deployment folder. Killing the group is a crashed server (its
memory is gone, nginx finds its socket refusing); killing only the worker is a crash-restart
(the master forks a fresh worker with empty memory at once).
"""
from __future__ import annotations

import ast
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Mapping
from importlib import metadata

from . import procfs
from .client import TIMEOUT, Reply, unix_request
from .errors import BadSetup, RealProcessError
from .folder import DeploymentFolder
from .middleware import check_server_name
from .process import ManagedProcess

APP_SPEC = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")
"""``module:factory``: gunicorn imports the module and calls the factory."""

OptionValue = str | int | float | bool | None
"""What an app option may be: a literal gunicorn can pass to the factory."""
PROBE_TIMEOUT = 2.0
"""Seconds one readiness request may wait (the worker may still be importing the app)."""
PROBE_PATH = "/healthz"
"""What readiness checks ask for: any answer, even 404, shows the worker serves requests."""


def app_call(app: str, options: Mapping[str, OptionValue], server: str) -> str:
    """The gunicorn app string that calls factory ``app`` with ``options`` and ``server=<name>``.

    >>> app_call("labsupport.serve:create_app", {"strategy": "memory"}, "s1")
    "labsupport.serve:create_app(strategy='memory', server='s1')"
    """
    if not isinstance(app, str) or not APP_SPEC.fullmatch(app):
        raise BadSetup(f"app {app!r} must name a factory as 'module:function', e.g. 'labsupport.serve:create_app'")
    arguments = []
    for key, value in {**options, "server": check_server_name(server)}.items():
        if not key.isidentifier() or (key == "server" and key in options):
            raise BadSetup(f"app option {key!r} is not a keyword gunicorn can pass (and 'server' is set per server)")
        if (value is not None and not isinstance(value, (str, int, float, bool))) or not _is_literal(repr(value)):
            raise BadSetup(f"app option {key}={value!r} must be a str, int, float, bool or None")
        arguments.append(f"{key}={value!r}")
    return f"{app}({', '.join(arguments)})"


def _is_literal(text: str) -> bool:
    """True when gunicorn, which reads factory arguments with ``ast.literal_eval``, can read ``text``."""
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return False
    return True


def check_threads(threads: int) -> int:
    """``threads`` if it is a usable thread count for the one worker (1 to 64)."""
    if not isinstance(threads, int) or isinstance(threads, bool) or not 1 <= threads <= 64:
        raise BadSetup(f"threads={threads!r} must be a whole number from 1 to 64")
    return threads


def _gunicorn_version() -> tuple[int, ...]:
    try:
        version = metadata.version("gunicorn")
    except metadata.PackageNotFoundError:
        return ()
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2])


def gunicorn_argv(*, call: str, socket: str, pidfile: str, threads: int, worker_tmp_dir: str) -> list[str]:
    """The command line of one server: this Python's gunicorn, one gthread worker, a Unix socket."""
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"unix:{socket}", "--workers", "1",
            "--worker-class", "gthread", "--threads", str(threads), "--pid", pidfile,
            "--worker-tmp-dir", worker_tmp_dir, "--error-logfile", "-", "--graceful-timeout", "5"]
    if _gunicorn_version() >= (25, 1):
        argv.append("--no-control-socket")  # else every server would claim the same ~/.gunicorn/gunicorn.ctl
    return [*argv, call]


class AppServer:
    """One gunicorn server (master + one worker) running the app built for server ``name``."""

    def __init__(self, name: str, *, app: str, app_options: Mapping[str, OptionValue],
                 folder: DeploymentFolder, threads: int = 4, env: Mapping[str, str] | None = None) -> None:
        check_threads(threads)
        self.name = check_server_name(name)
        self.call = app_call(app, app_options, name)
        self.socket = folder.file(f"{name}.sock")
        self.pidfile = folder.file(f"{name}.pid")
        argv = gunicorn_argv(call=self.call, socket=str(self.socket), pidfile=str(self.pidfile),
                             threads=threads, worker_tmp_dir=str(folder.path))
        self._process = ManagedProcess(name, argv, folder=folder, env=env)

    @property
    def running(self) -> bool:
        """True while the gunicorn master runs."""
        return self._process.running

    @property
    def master_pid(self) -> int | None:
        """The gunicorn master's pid (also the server's process group), or ``None`` when stopped."""
        return self._process.pid

    def _worker(self) -> procfs.ProcInfo | None:
        master = self.master_pid
        workers = procfs.children(master) if master is not None else []
        return workers[-1] if workers else None

    @property
    def worker_pid(self) -> int | None:
        """The pid of the worker that holds this server's memory, or ``None`` (stopped or respawning)."""
        worker = self._worker()
        return worker.pid if worker is not None else None

    def request(self, target: str = "/", *, method: str = "GET", headers: Mapping[str, str] | None = None,
                body: bytes | None = None, timeout: float = TIMEOUT) -> Reply:
        """Send one request straight to this server's socket, bypassing nginx."""
        return unix_request(str(self.socket), target, method=method, headers=headers, body=body, timeout=timeout)

    def _answers(self) -> bool:
        try:
            self.request(PROBE_PATH, timeout=PROBE_TIMEOUT)
        except OSError:
            return False
        return True

    def start(self, *, timeout: float = 20.0, wait: bool = True) -> None:
        """Start the server; with ``wait``, block until its worker answers HTTP (``NotReady`` after ``timeout``)."""
        self._process.start()
        if wait:
            self.wait_ready(timeout=timeout)

    def wait_ready(self, *, timeout: float = 20.0) -> None:
        """Block until the server's worker answers an HTTP request (any status)."""
        self._process.wait_until(self._answers, what="answer HTTP on its socket", timeout=timeout)

    def stop(self, *, wait: bool = True) -> None:
        """Shut down gracefully (SIGTERM to the master: requests in flight finish, up to 5 s).

        ``wait=False`` only sends the signal; ``wait_stopped()`` finishes (stopping many at once).
        """
        self._process.ask_to_stop(signal.SIGTERM)
        if wait:
            self.wait_stopped()

    def wait_stopped(self) -> None:
        """Wait for a stopping server to exit (SIGKILL after 10 s)."""
        self._process.wait_stopped(timeout=10.0)

    def kill(self, *, timeout: float = 5.0) -> None:
        """Crash the whole server (SIGKILL to master and worker): its memory is gone, its socket refuses.

        Returns once a connection to the socket is refused, so no request sent after the crash can
        still be taken in by a dying process (``RealProcessError`` if that takes over ``timeout``).
        """
        self._process.kill()
        deadline = time.monotonic() + timeout
        while not self._refuses():
            if time.monotonic() > deadline:
                raise RealProcessError(f"{self.name} was killed, but its socket still accepts connections")
            time.sleep(0.01)

    def _refuses(self) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(PROBE_TIMEOUT)
            try:
                probe.connect(str(self.socket))
            except (ConnectionRefusedError, FileNotFoundError):
                return True
            except OSError:
                return False
        return False

    def kill_worker(self, *, timeout: float = 20.0, wait: bool = True) -> int:
        """SIGKILL only the worker; the master forks a new one with empty memory. Returns the killed pid.

        With ``wait``, blocks until the new worker answers.
        """
        old = self._worker()
        if old is None:
            raise RealProcessError(f"{self.name} has no worker to kill (stopped, or respawning)")
        try:
            os.kill(old.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it died on its own meanwhile: the master replaces it either way
        if wait:
            def replaced() -> bool:
                new = self._worker()
                return new is not None and (new.pid, new.start) != (old.pid, old.start) and self._answers()

            self._process.wait_until(replaced, what="fork a new worker that answers", timeout=timeout)
        return old.pid

    def restart(self, *, timeout: float = 20.0) -> None:
        """Stop gracefully and start again: a new master and worker, empty memory."""
        self.stop()
        self.start(timeout=timeout)

    def log_tail(self, lines: int = 20) -> str:
        """The end of this server's gunicorn log."""
        return self._process.log_tail(lines)

    def __repr__(self) -> str:
        return f"AppServer({self.name!r}, {'running' if self.running else 'stopped'})"

