"""The browser page served by the box: every parameter, live meters, the EQ's
response curve, snapshots, compare, listening modes, the assistant's
proposals and the session log, for a laptop or tablet in the room.

aiohttp in a thread of the control process, its own event loop; every asset
ships in the package (firmware/remote/web/: no build step, no network, no
CDN). The page builds itself from the schema the snapshot carries.

Protocol: JSON over a websocket at /ws. On connect: a snapshot (values,
schema, revision, listening, snapshots, proposal, log tail). Then deltas, one
per session revision, in order ({"type": "change", "revision", ...}); a
client that reconnects sends {"type": "resync", "revision": N} and gets the
missing deltas or, if they are gone, a new snapshot. Meters go out ten times
a second, latest value wins. A client asks with {"type": "pair", "code"},
then {"type": "set", "param", "value"}, "compare", "listen", "reference"
(on, index), "recall", "store", "recall_mode" (mode, morph_ms), "undo", "redo",
"accept", "reject", "preset_load" (name), "preset_save" (name, overwrite). The snapshot also carries the box's last minute of
short-term loudness and ten seconds of gain reduction per stage, sampled
from when the server started, so a page opened late still shows them.

Security: off by default; when on it listens on the configured address and
port only. Nothing changes before pairing (the code on the Remote page, or
the config's password); wrong codes wait, per address; a websocket whose
Origin is not this page's own is refused; the page reads and writes no file
(the log export is generated, not read from disk) but the user's presets:
it lists, loads and saves presets by name only, through the preset folder's
own class, whose names cannot hold a path.

The audio never waits for the network: each client reads the session
through its own bounded feed; a client that falls behind gets a snapshot
instead of a backlog, and one that stops reading is dropped after
SEND_TIMEOUT_S.
"""
from __future__ import annotations

import asyncio
import collections
import json
import logging
import math
import os
import secrets
import threading
import time
from typing import TYPE_CHECKING

import numpy as np

from dsp import params

from ..errors import UserError
from ..history import GR_LABELS, RATE_HZ, History, gain_changes
from .. import codec_preview
from ..platforms import PLATFORMS
from ..targets import TARGETS
from ..verbs import Hands, dispatch
from .pairing import Pairing

if TYPE_CHECKING:
    from ..session import Session
    from ..sink import MeterReading

log = logging.getLogger("masterbox.web")

ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "web")
METER_HZ = 10.0
SEND_TIMEOUT_S = 2.0
FEED_LEN = 256
LOG_LEN = 10000
CURVE_POINTS = 160


def _json_safe(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    if isinstance(v, (np.floating,)):
        return _json_safe(float(v))
    return v


class SessionLog:
    """Every change with its time, source and from -> to: what the engineer
    hands the artist with the master."""

    def __init__(self, session):
        self.rows = collections.deque(maxlen=LOG_LEN)
        self._unsub = session.subscribe(self._add)

    def _add(self, ch) -> None:
        for pid, (old, new) in ch.values.items():
            self.rows.append({"time": ch.time, "revision": ch.revision, "source": ch.source,
                              "kind": ch.kind, "param": pid, "from": old, "to": new})
        if not ch.values:
            self.rows.append({"time": ch.time, "revision": ch.revision, "source": ch.source,
                              "kind": ch.kind, "detail": _json_safe(ch.detail)})

    def text(self) -> str:
        out = []
        for r in list(self.rows):
            t = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["time"]))
            if "param" in r:
                p = params.get(r["param"])
                out.append(f"{t}  {r['source']:16s} {p.id:30s} {p.format(r['from'])} -> {p.format(r['to'])}")
            else:
                out.append(f"{t}  {r['source']:16s} {r['kind']} {json.dumps(r['detail'])}")
        return "\n".join(out) + "\n"

    def close(self) -> None:
        self._unsub()


def eq_curve(values: dict, fs: float = 48000.0) -> dict:
    """The EQ's response (dB) for mid and side, from the coefficients the box
    designs for these values (dsp/modules/eq.py)."""
    from dsp import filter_design as fd
    from dsp.modules import eq

    f = np.geomspace(20.0, 20000.0, CURVE_POINTS)
    mid = np.zeros_like(f)
    side = np.zeros_like(f)
    if values["eq.on"]:
        for cm, cs in eq.sections(values, fs):
            mid += 20 * np.log10(np.maximum(np.abs(fd.biquad_response(cm, f, fs)), 1e-9))
            side += 20 * np.log10(np.maximum(np.abs(fd.biquad_response(cs, f, fs)), 1e-9))
    return {"f": [round(float(x), 1) for x in f], "mid": [round(float(x), 3) for x in mid],
            "side": [round(float(x), 3) for x in side]}


class WebServer:
    def __init__(self, session: Session, bind: str = "127.0.0.1", port: int = 8080, code: str = "",
                 meter: MeterReading | None = None, clock=time.monotonic,
                 history: History | None = None, presets=None, assistant=None):
        """``history``: the box's meter history (the panel's, or a
        screenshot's), sampled here too (a time slot is taken once, whoever
        samples it); else the server keeps its own from now on. ``presets``: the user's presets
        (store/presets.UserPresets) or None: the built-ins only. ``assistant``:
        the panel's assistant hand, which the ``ask`` verb reaches (None: none)."""
        self.session = session
        self.assistant = assistant
        self.bind, self.port = bind, port
        self.pairing = Pairing(code, clock)
        self.code = self.pairing.code
        self.meter = meter
        self.presets = presets
        self.clock = clock
        self.log = SessionLog(session)
        self.history = history or History()   # the box's, from when the page server started
        self.tokens: set[str] = set()
        self.clients: set = set()
        self._busy: set = set()         # clients a meter update is still going to
        self.dropped = 0
        self._loop = None
        self._runner = None
        self._ready = threading.Event()
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._run, name="web", daemon=True)

    # ------------------------------------------------------------ life
    def start(self) -> "WebServer":
        self._thread.start()
        self._ready.wait(10.0)
        if self._error is not None:
            from ..errors import UserError
            raise UserError(f"web page: cannot listen on {self.bind}:{self.port} ({self._error})")
        return self

    def status(self) -> list[str]:
        return [f"web on port {self.port}", f"{len(self.clients)} page(s) open"]

    def close(self) -> None:
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(5.0)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5.0)
        self.log.close()

    async def _stop(self) -> None:
        self._meter_task.cancel()
        for ws in list(self.clients):
            await ws.close()
        await self._runner.cleanup()

    def _run(self) -> None:
        from aiohttp import web

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        app = web.Application()
        app.router.add_get("/", self._index)
        app.router.add_get("/app.js", self._asset("app.js", "application/javascript"))
        app.router.add_get("/style.css", self._asset("style.css", "text/css"))
        app.router.add_get("/ws", self._ws)
        app.router.add_get("/log.json", self._log_json)
        app.router.add_get("/log.txt", self._log_text)
        self._runner = web.AppRunner(app, access_log=None)
        try:
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, self.bind, self.port)
            loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]
        except OSError as e:
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        self._meter_task = loop.create_task(self._meters())
        loop.run_forever()
        loop.close()

    # ------------------------------------------------------------ http
    async def _index(self, request):
        from aiohttp import web
        return web.FileResponse(os.path.join(ASSETS, "index.html"))

    def _asset(self, name: str, ctype: str):
        from aiohttp import web

        async def serve(request):
            with open(os.path.join(ASSETS, name), "rb") as f:
                return web.Response(body=f.read(), content_type=ctype)
        return serve

    def _authorised(self, request) -> bool:
        return request.query.get("token", "") in self.tokens

    async def _log_json(self, request):
        from aiohttp import web
        if not self._authorised(request):
            return web.Response(status=403, text="pair first")
        return web.json_response(_json_safe(list(self.log.rows)),
                                 headers={"Content-Disposition": "attachment; filename=session-log.json"})

    async def _log_text(self, request):
        from aiohttp import web
        if not self._authorised(request):
            return web.Response(status=403, text="pair first")
        return web.Response(text=self.log.text(),
                            headers={"Content-Disposition": "attachment; filename=session-log.txt"})

    # ------------------------------------------------------------ websocket
    def _same_origin(self, request) -> bool:
        origin = request.headers.get("Origin")
        return origin is not None and origin in (f"http://{request.host}", f"https://{request.host}")

    async def _ws(self, request):
        from aiohttp import WSMsgType, web

        if not self._same_origin(request):
            return web.Response(status=403, text="cross-origin websocket refused")
        ws = web.WebSocketResponse(heartbeat=10.0)
        await ws.prepare(request)
        client = {"ws": ws, "paired": False, "host": request.remote or "?",
                  "feed": self.session.feed(FEED_LEN), "revision": self.session.revision}
        self.clients.add(ws)
        pump = asyncio.get_running_loop().create_task(self._pump(client))
        try:
            await self._send(client, self._snapshot())
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    m = json.loads(msg.data)
                except ValueError:
                    m = None
                try:
                    if not isinstance(m, dict) or not isinstance(m.get("type"), str):
                        raise UserError('a page message is a JSON object with a "type" (a verb: '
                                        "docs/remote.md), like {\"type\": \"undo\"}")
                    reply = self._message(client, m)
                except Exception as e:              # one bad message: said, not fatal
                    reply = {"type": "error", "text": str(e)[:200]}
                if reply is not None:
                    await self._send(client, reply)
        finally:
            pump.cancel()
            self.clients.discard(ws)
            self.session.unfeed(client["feed"])
        return ws

    async def _send(self, client, doc) -> None:
        ws = client["ws"]
        try:
            await asyncio.wait_for(ws.send_str(json.dumps(_json_safe(doc))), SEND_TIMEOUT_S)
        except (asyncio.TimeoutError, ConnectionError, RuntimeError):
            self.dropped += 1                       # a client that stopped reading: dropped
            await ws.close()

    async def _pump(self, client) -> None:
        """This client's changes, in revision order; a snapshot after an overflow."""
        feed = client["feed"]
        while not client["ws"].closed:
            ch = feed.get(timeout=0)
            if feed.take_overflow():
                await self._send(client, self._snapshot())
                continue
            if ch is None:
                await asyncio.sleep(0.02)
                continue
            doc = {"type": "change", "revision": ch.revision, "source": ch.source, "kind": ch.kind,
                   "time": ch.time, "values": {p: [o, n] for p, (o, n) in ch.values.items()},
                   "detail": ch.detail, "modified": self.session.modified}
            if any(p.startswith("eq.") for p in ch.values):
                doc["eq_curve"] = eq_curve(self.session.values)
            if ch.kind in ("proposal", "listen", "store", "recall", "restore", "preset", "recall-mode",
                           "preset-saved", "preset-renamed"):
                doc["state"] = self._state()
            await self._send(client, doc)

    async def _meters(self) -> None:
        while True:
            await asyncio.sleep(1.0 / METER_HZ)
            if self.meter is None:
                continue
            r = self.meter.results()
            gr = gain_changes(self.session.sink)
            self.history.sample(self.clock(), r, gr)     # kept with no page open, for the next one
            if not self.clients:
                continue
            doc = {"type": "meters", **{k: r.get(k) for k in (
                "momentary_lufs", "short_term_lufs", "integrated_lufs", "true_peak_dbtp",
                "loudness_range_lu", "correlation_recent")}, "gr": gr,
                "codec": self.session.codec_reading()}
            text = json.dumps(_json_safe(doc))
            for ws in list(self.clients):
                # latest value wins: a client still sending the last one skips this one
                if not ws.closed and ws not in self._busy:
                    self._busy.add(ws)
                    asyncio.get_running_loop().create_task(self._meter_send(ws, text))

    async def _meter_send(self, ws, text: str) -> None:
        try:
            await asyncio.wait_for(ws.send_str(text), SEND_TIMEOUT_S)
        except Exception:
            pass
        finally:
            self._busy.discard(ws)

    # ------------------------------------------------------------ state
    def _state(self) -> dict:
        s = self.session
        st = s.state()
        return {"listen": st["listen"], "solo": st["solo"], "platform": st["platform"],
                "codec": st["codec"],
                "snapshots": st["snapshots"],
                "active_slot": st["active_slot"], "target": st["target"], "preset": st["preset"],
                "modified": st["modified"], "proposal": st["proposal"],
                "references": st["references"], "reference": st["reference"],
                "contexts": st["contexts"], "context": st["context"],
                "recall": st["recall"], "proposal_slot": st["proposal_slot"],
                "readings": st["readings"], "proposal_info": st["proposal_info"],
                "presets": self._preset_list(),
                "can_undo": s.can_undo, "can_redo": s.can_redo}

    def _snapshot(self) -> dict:
        s = self.session
        return {"type": "snapshot", "revision": s.revision, "values": s.values,
                "schema": params.schema_json(), "state": self._state(),
                "platforms": [{"key": p.key, "name": p.name, "reported": p.reported}
                              for p in PLATFORMS.values()],
                "codecs": [c.name for c in codec_preview.available()],
                "targets": {t.name: {"lufs": t.lufs, "ceiling_dbtp": t.ceiling_dbtp}
                            for t in TARGETS.values()},
                "eq_curve": eq_curve(s.values), "log": list(self.log.rows)[-50:],
                "history": {"rate_hz": RATE_HZ, "short_term": list(self.history.short_term),
                            "gr": {k: list(v) for k, v in self.history.gr.items()},
                            "labels": dict(GR_LABELS)}}

    def _message(self, client, m: dict) -> dict | None:
        kind = m.get("type")
        if kind == "resync":
            return self._snapshot() if m.get("revision") != self.session.revision else None
        if kind == "pair":
            if m.get("token") in self.tokens:       # a page that paired before reconnects
                client["paired"] = True
                return {"type": "paired", "token": m["token"]}
            return self._pair(client, str(m.get("code", "")))
        if not client["paired"]:
            return {"type": "error", "text": "not paired: enter the code shown on the box's Remote page"}
        dispatch(Hands(self.session, self.presets, self.assistant), kind,
                 {k: v for k, v in m.items() if k != "type"}, "page")
        return None

    def _preset_list(self) -> list:
        from ..store.presets import builtin_names

        return ([[n, b] for n, b in self.presets.all()] if self.presets is not None
                else [[n, True] for n in builtin_names()])

    def _pair(self, client, code: str) -> dict:
        why = self.pairing.attempt(client["host"], code)
        if why is not None:
            return {"type": "error", "text": why}
        client["paired"] = True
        token = secrets.token_urlsafe(16)
        self.tokens.add(token)
        return {"type": "paired", "token": token}
