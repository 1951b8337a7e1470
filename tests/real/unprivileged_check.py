"""Run a deployment as the current (unprivileged) user and print what it saw as JSON (``tests/test_real.py``).

The test runs it through ``runuser -u nobody`` when the test itself runs as root.
"""
from __future__ import annotations

import hashlib
import json
import os

from labsupport.real import Deployment, procfs


def main() -> None:
    body = os.urandom(32 * 1024)
    with Deployment(app="demo_apps:memory_app", servers=1, redis=True) as deployment:
        folder = str(deployment.path)
        pids = [pid for group in deployment.pids().values() for pid in group]
        uids = sorted({info.uid for info in map(procfs.read, pids) if info is not None})
        servers = [deployment.request("/").json()["server"] for _ in range(2)]
        echo = deployment.request("/echo", method="POST", body=body).json()
        config = (deployment.path / "nginx.conf").read_text()
    leftovers = [p.pid for p in procfs.processes() if p.mentions(folder) or p.pid in pids]
    print(json.dumps({
        "uid": os.geteuid(), "process_uids": uids, "servers": servers,
        "echo_ok": echo["length"] == len(body) and echo["sha256"] == hashlib.sha256(body).hexdigest(),
        "nginx_user_line": any(line.startswith("user ") for line in config.splitlines()),
        "leftovers": leftovers, "folder_exists": os.path.exists(folder),
    }))


if __name__ == "__main__":
    main()
