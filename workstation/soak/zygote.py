"""A fork server for the Desk's processes: it imports the Desk once, then forks one child per request.

A restart then costs a fork, not a second of imports. The soak writes one JSON config per line to its
stdin; it answers each with the new child's pid. The kernel reaps the children (SIGCHLD ignored), so a
child killed with SIGKILL leaves no zombie. It exits when the soak closes its stdin.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from .child import main as child_main


def serve() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for line in sys.stdin:
        config = json.loads(line)
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            child_main(config)  # never returns
            os._exit(1)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
