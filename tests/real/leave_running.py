"""Start a deployment, print its folder and pids as JSON, then end without closing it (``tests/test_real.py``).

usage: python leave_running.py BASE_DIR killed|exit

``killed``: the Python kills itself with SIGKILL (no ``atexit``), leaving the processes behind.
``exit``: the Python returns normally without ``close()``: the ``atexit`` guard must stop them.
"""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from labsupport.real import Deployment


def main(base_dir: str, ending: str) -> None:
    deployment = Deployment(app="demo_apps:memory_app", servers=1, redis=True, base_dir=Path(base_dir)).start()
    pids = sorted(pid for group in deployment.pids().values() for pid in group)
    print(json.dumps({"folder": str(deployment.path), "pids": pids}), flush=True)
    if ending == "killed":
        os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
