"""systemd's notify protocol, spoken by the service (no libsystemd needed).

READY=1 is sent only once the full chain's callback is running; STATUS= lines
say what the box is doing; WATCHDOG=1 is sent only while the audio callback
counter advances, so a hung stream stops the pings and systemd restarts the
service (WatchdogSec=). Without $NOTIFY_SOCKET (not under systemd) it is silent.
"""
from __future__ import annotations

import os
import socket
import time


class Notifier:
    def __init__(self, env=None):
        env = os.environ if env is None else env
        addr = env.get("NOTIFY_SOCKET", "")
        self.addr = ("\0" + addr[1:]) if addr.startswith("@") else addr
        usec = env.get("WATCHDOG_USEC")
        # ping twice per watchdog period, as systemd recommends
        self.watchdog_interval = int(usec) / 2e6 if usec and usec.isdigit() else None
        self._sock = None
        self._last_count = None
        self._last_ping = 0.0
        self.dropped = 0
        self.last_error = ""

    @property
    def active(self) -> bool:
        return bool(self.addr)

    def send(self, *lines: str) -> None:
        if not self.addr:
            return
        if self._sock is None:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            # never wait for the supervisor: a full queue (a unix datagram socket
            # holds 10 by default) drops this message instead of hanging the box
            self._sock.sendto("\n".join(lines).encode(), socket.MSG_DONTWAIT, self.addr)
        except (BlockingIOError, FileNotFoundError, ConnectionRefusedError) as e:
            self.dropped += 1
            self.last_error = f"{type(e).__name__}: {e}"

    def status(self, text: str) -> None:
        self.send(f"STATUS={text}")

    def ready(self, text: str) -> None:
        self.send("READY=1", f"STATUS={text}")

    def tick(self, callbacks: int, now: float | None = None) -> bool:
        """Call regularly with the callback counter: pings the watchdog only if
        the counter advanced since the last call. Returns whether it pinged."""
        now = time.monotonic() if now is None else now
        advanced = self._last_count is not None and callbacks > self._last_count
        self._last_count = callbacks
        if not advanced or self.watchdog_interval is None:
            return False
        if now - self._last_ping >= self.watchdog_interval:
            self.send("WATCHDOG=1")
            self._last_ping = now
            return True
        return False

    def stopping(self) -> None:
        self.send("STOPPING=1", "STATUS=stopping")
