"""Choosing a TCP port on 127.0.0.1 for the programs that must listen on one."""
from __future__ import annotations

import socket

HOST = "127.0.0.1"
BUSY = "Address already in use"
"""What nginx and redis-server log when the chosen port was taken in the meantime."""
ATTEMPTS = 3
"""How many ports a start tries before giving up (another program may grab one in between)."""


def free_port() -> int:
    """A port the OS just handed out on 127.0.0.1 and that is free again.

    The OS picks it (port 0), so it never clashes with a system nginx on 80 or a system Redis on
    6379. Between closing it here and the program binding it another program could take it:
    starts that see ``BUSY`` in their log try again with a new port.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port
