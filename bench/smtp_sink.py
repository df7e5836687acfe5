"""A local SMTP server that accepts and counts every message: `python -m bench.smtp_sink PORT FILE`.

It runs in its own process so its CPU is not the load generator's; it writes
how many messages it has taken to FILE twice a second and when stopped.
"""

import signal
import sys
import threading
from pathlib import Path

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.count += 1
        return "250 Message accepted"


def main() -> None:
    port, out = int(sys.argv[1]), Path(sys.argv[2])
    handler = Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            out.write_text(str(handler.count))
    finally:
        controller.stop()
        out.write_text(str(handler.count))


if __name__ == "__main__":
    main()
