"""Pairing for the network surfaces: one code for the box (the config's
remote_password, or a fresh six digits each start, shown on the Remote page),
and wrong codes that make the address wait."""
from __future__ import annotations

import secrets
import time

WRONG_CODES = 3                 # wrong codes from an address before it waits
WAIT_S = 10.0                   # ... this long, doubling with each further miss


def new_code(password: str = "") -> str:
    return password or f"{secrets.randbelow(10 ** 6):06d}"


class Pairing:
    def __init__(self, code: str = "", clock=time.monotonic):
        self.code = new_code(code)
        self.clock = clock
        self.misses: dict[str, tuple[int, float]] = {}      # host -> (wrong codes, wait until)

    def attempt(self, host: str, code: str) -> str | None:
        """None when ``code`` pairs ``host``; else why not, in a line."""
        now = self.clock()
        misses, until = self.misses.get(host, (0, 0.0))
        if now < until:
            return f"too many wrong codes: wait {until - now:.0f} s"
        if code == self.code:
            self.misses.pop(host, None)
            return None
        misses += 1
        self.misses[host] = (misses, now + (WAIT_S * 2 ** (misses - WRONG_CODES)
                                            if misses >= WRONG_CODES else 0.0))
        return "wrong pairing code"
