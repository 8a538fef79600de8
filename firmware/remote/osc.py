"""OSC 1.0 messages over UDP: the codec (enough of the spec for control
surfaces: int32, float32, float64, int64, string, blob, true/false/nil, and
bundles, which are unpacked) and the box's OSC surface.

Addresses (values in the parameter's own units, as the schema has them):

    /masterbox/pair CODE                 pair this host (the code on the Remote page,
                                         or the config's remote_password)
    /masterbox/<module>/<param> VALUE    set (paired hosts only)
    /masterbox/<module>/<param>          reply with the value, same address
    /masterbox/snapshot/recall N         0-3 (A-D)      /masterbox/snapshot/store N
    /masterbox/snapshot/mode compare|perform [MS]   how recalls are heard (morph 50-500 ms)
    /masterbox/compare 0|1               /masterbox/listen stereo|mono|mid|side|delta
    /masterbox/reference 0|1             /masterbox/undo    /masterbox/redo
    /masterbox/subscribe [PORT [HZ]]     push every change and the meters to PORT
                                         (default: the sender's), at most 30 Hz
                                         (default 10); /masterbox/heartbeat keeps it,
                                         silence for HEARTBEAT_S ends it

Replies go to the sender's address and port. A change from a host that has
not paired is refused with /masterbox/error; wrong codes are rate-limited per
host. Nothing here can stall the audio or the panel: the socket is served by
its own thread, sends never block, and a subscriber reads the session through
a bounded feed.
"""
from __future__ import annotations

import logging
import math
import socket
import struct
import threading
import time
from typing import TYPE_CHECKING

from dsp import params

from ..verbs import Hands, dispatch
from .pairing import Pairing

if TYPE_CHECKING:
    from ..session import Session
    from ..sink import MeterReading

log = logging.getLogger("masterbox.osc")

PREFIX = "/masterbox"
HEARTBEAT_S = 10.0
MAX_RATE_HZ = 30.0
DEFAULT_RATE_HZ = 10.0
MAX_PACKET = 65507


class OscError(ValueError):
    pass


# ---------------------------------------------------------------- the codec
def _pad(b: bytes) -> bytes:
    return b + b"\0" * (4 - len(b) % 4)


def _string(data: bytes, i: int) -> tuple[str, int]:
    end = data.find(b"\0", i)
    if end < 0:
        raise OscError("unterminated string")
    return data[i:end].decode("utf-8", "replace"), (end // 4 + 1) * 4


def decode(data: bytes) -> list[tuple[str, list]]:
    """Every message in a packet (a bundle's, in order) as (address, args)."""
    if data.startswith(b"#bundle\0"):
        out, i = [], 16
        while i + 4 <= len(data):
            (n,) = struct.unpack(">i", data[i:i + 4])
            if n <= 0 or i + 4 + n > len(data):
                raise OscError("bundle element runs past the packet")
            out += decode(data[i + 4:i + 4 + n])
            i += 4 + n
        return out
    address, i = _string(data, 0)
    if not address.startswith("/"):
        raise OscError(f"address {address[:40]!r} does not start with /")
    if i >= len(data):
        return [(address, [])]
    tags, i = _string(data, i)
    if not tags.startswith(","):
        raise OscError("no type tags")
    args = []
    for t in tags[1:]:
        if t in "if":
            if i + 4 > len(data):
                raise OscError("argument runs past the packet")
            args.append(struct.unpack(">i" if t == "i" else ">f", data[i:i + 4])[0])
            i += 4
        elif t in "dh":
            if i + 8 > len(data):
                raise OscError("argument runs past the packet")
            args.append(struct.unpack(">d" if t == "d" else ">q", data[i:i + 8])[0])
            i += 8
        elif t == "s":
            v, i = _string(data, i)
            args.append(v)
        elif t == "b":
            (n,) = struct.unpack(">i", data[i:i + 4])
            args.append(data[i + 4:i + 4 + n])
            i += 4 + (n + 3) // 4 * 4
        elif t in "TFN":
            args.append({"T": True, "F": False, "N": None}[t])
        else:
            raise OscError(f"type tag {t!r} not handled")
    return [(address, args)]


def encode(address: str, *args) -> bytes:
    tags, body = ",", b""
    for a in args:
        if isinstance(a, bool):
            tags += "T" if a else "F"
        elif isinstance(a, int):
            tags += "i"
            body += struct.pack(">i", a)
        elif isinstance(a, float):
            tags += "f"
            body += struct.pack(">f", a)
        elif isinstance(a, str):
            tags += "s"
            body += _pad(a.encode())
        else:
            raise OscError(f"cannot send {type(a).__name__} over OSC")
    return _pad(address.encode()) + _pad(tags.encode()) + body


# ---------------------------------------------------------------- the surface
class _Subscriber:
    def __init__(self, addr, rate_hz: float, now: float):
        self.addr = addr
        self.period = 1.0 / rate_hz
        self.seen = now
        self.next = now
        self.dirty: set[str] = set()


class OscServer:
    def __init__(self, session: Session, bind: str = "127.0.0.1", port: int = 9000, password: str = "",
                 meter: MeterReading | None = None, clock=time.monotonic, presets=None,
                 assistant=None):
        self.session = session
        self.hands = Hands(session, presets, assistant)
        self.meter = meter
        self.clock = clock
        self.pairing = Pairing(password, clock)
        self.code = self.pairing.code
        self.paired: set[str] = set()
        self._subs: dict[tuple, _Subscriber] = {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.bind((bind, port))
        except OSError as e:
            from ..errors import UserError
            raise UserError(f"OSC: cannot listen on {bind}:{port} ({e.strerror})") from None
        self.sock.settimeout(0.02)
        self.port = self.sock.getsockname()[1]
        self._feed = session.feed(1024)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="osc", daemon=True)
        self.errors = 0

    def status(self) -> list[str]:
        """Lines for the Remote page (21 characters at most)."""
        return [f"OSC on port {self.port}", f"{len(self.paired)} paired, {len(self._subs)} subscribed"]

    def start(self) -> "OscServer":
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
        self.session.unfeed(self._feed)
        self.sock.close()

    # ------------------------------------------------------------ the loop
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(MAX_PACKET)
            except socket.timeout:
                data = None
            except OSError:
                if self._stop.is_set():
                    return
                continue
            if data is not None:
                try:
                    for address, args in decode(data):
                        self._handle(address, args, addr)
                except OscError as e:
                    self.errors += 1
                    log.debug("OSC from %s: %s", addr, e)
                except Exception:           # a bad message never stops the surface
                    self.errors += 1
                    log.exception("OSC message from %s", addr)
            self._push()

    def _send(self, addr, address: str, *args) -> None:
        try:
            self.sock.sendto(encode(address, *args), addr)
        except OSError:
            pass                            # a gone subscriber is dropped by its heartbeat

    def _error(self, addr, text: str) -> None:
        self._send(addr, f"{PREFIX}/error", text)

    # ------------------------------------------------------------ messages
    def _handle(self, address: str, args: list, addr) -> None:
        if not address.startswith(PREFIX + "/"):
            return
        path = address[len(PREFIX) + 1:]
        host = addr[0]
        if path == "pair":
            self._pair(host, addr, args)
            return
        if path == "heartbeat":
            for s in self._subs.values():
                if s.addr[0] == host:
                    s.seen = self.clock()
            return
        pid = path.replace("/", ".", 1)
        known = pid in params.defaults()
        if known and not args:
            self._send(addr, address, float(self.session.value(pid)))
            return
        if host not in self.paired:
            self._error(addr, f"not paired: send {PREFIX}/pair with the code on the box's Remote page")
            return
        from ..errors import MasterboxError
        try:
            self._change(path, pid, known, args, addr)
        except (MasterboxError, params.ParamError, ValueError, TypeError, IndexError) as e:
            self._error(addr, str(e)[:200])

    def _pair(self, host: str, addr, args) -> None:
        why = self.pairing.attempt(host, str(args[0]) if args else "")
        if why is not None:
            self._error(addr, why)
            return
        self.paired.add(host)
        self._send(addr, f"{PREFIX}/paired", 1)

    def _change(self, path: str, pid: str, known: bool, args: list, addr) -> None:
        if known:
            dispatch(self.hands, "set", [pid, *args[:1]], "osc")
        elif path == "subscribe":
            port = int(args[0]) if args else addr[1]
            rate = float(args[1]) if len(args) > 1 else DEFAULT_RATE_HZ
            if not (0 < port < 65536 and 0.0 < rate):
                raise ValueError(f"subscribe: port {port} (1..65535), rate {rate} Hz (above 0)")
            rate = min(rate, MAX_RATE_HZ)
            sub = _Subscriber((addr[0], port), rate, self.clock())
            sub.dirty = set(params.defaults())          # a new subscriber gets everything
            self._subs[sub.addr] = sub
        elif path == "unsubscribe":
            self._subs.pop((addr[0], int(args[0]) if args else addr[1]), None)
        else:
            dispatch(self.hands, path, args, "osc")

    # ------------------------------------------------------------ pushing
    def _push(self) -> None:
        changed: set[str] = set()
        while True:
            ch = self._feed.get(timeout=0)
            if ch is None:
                break
            changed.update(ch.values)
        if self._feed.take_overflow():
            changed = set(params.defaults())            # lost some: send everything
        now = self.clock()
        for key, sub in list(self._subs.items()):
            if now - sub.seen > HEARTBEAT_S:
                del self._subs[key]                     # no heartbeat: gone
                continue
            sub.dirty |= changed
            if now < sub.next:
                continue
            sub.next = max(sub.next + sub.period, now)
            for pid in sorted(sub.dirty):
                self._send(sub.addr, f"{PREFIX}/{pid.replace('.', '/', 1)}", float(self.session.value(pid)))
            sub.dirty.clear()
            self._send_meters(sub.addr)

    def _send_meters(self, addr) -> None:
        if self.meter is None:
            return
        r = self.meter.results()
        for key in ("momentary_lufs", "short_term_lufs", "integrated_lufs", "true_peak_dbtp",
                    "loudness_range_lu", "correlation_recent"):
            v = r.get(key)
            if v is not None and math.isfinite(v):
                self._send(addr, f"{PREFIX}/meters/{key}", float(v))
        gr = self.session.sink.gain_reduction_db() if self.session.sink is not None else {}
        for stage, v in gr.items():
            self._send(addr, f"{PREFIX}/meters/gr/{stage}", float(v))
