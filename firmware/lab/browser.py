"""A real headless browser for the browser page's tests and pictures:
Debian's chromium, driven over its DevTools protocol (a websocket, through
aiohttp, which the page's server uses anyway). Nothing is downloaded.

    async with Browser() as b:
        await b.open("http://127.0.0.1:8080/")
        await b.eval("document.title")
        await b.screenshot("page.png")
"""
from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def find() -> str | None:
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


class Browser:
    def __init__(self, width: int = 1280, height: int = 1800):
        self.width, self.height = width, height
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}

    async def __aenter__(self) -> "Browser":
        import aiohttp

        exe = find()
        if exe is None:
            raise RuntimeError("no chromium: make test installs it (scripts/setup.sh)")
        self._dir = tempfile.mkdtemp(prefix="masterbox-chromium-")
        self.proc = subprocess.Popen(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--remote-debugging-port=0", f"--user-data-dir={self._dir}",
             f"--window-size={self.width},{self.height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self._dir, "DevToolsActivePort")
        for _ in range(300):
            if os.path.exists(port_file) and len(open(port_file).read().split()) >= 2:
                break
            await asyncio.sleep(0.05)
        port, path = open(port_file).read().split()[:2]
        self._http = aiohttp.ClientSession()
        self._ws = await self._http.ws_connect(f"ws://127.0.0.1:{port}{path}", max_msg_size=0)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        return self

    async def __aexit__(self, *exc) -> None:
        self._reader.cancel()
        await self._ws.close()
        await self._http.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self._dir, ignore_errors=True)

    async def _read(self) -> None:
        async for msg in self._ws:
            m = json.loads(msg.data)
            fut = self._pending.pop(m.get("id"), None)
            if fut is not None and not fut.done():
                fut.set_result(m)

    async def call(self, method: str, session: str | None = None, **params) -> dict:
        i = next(self._ids)
        fut = asyncio.get_running_loop().create_future()
        self._pending[i] = fut
        msg = {"id": i, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        await self._ws.send_str(json.dumps(msg))
        m = await asyncio.wait_for(fut, 30)
        if "error" in m:
            raise RuntimeError(f"{method}: {m['error']}")
        return m["result"]

    async def open(self, url: str) -> str:
        """A new tab at ``url``; returns its session (later calls use the last one opened)."""
        t = await self.call("Target.createTarget", url=url)
        s = await self.call("Target.attachToTarget", targetId=t["targetId"], flatten=True)
        self.session = s["sessionId"]
        await self.call("Emulation.setDeviceMetricsOverride", self.session, width=self.width,
                        height=self.height, deviceScaleFactor=1, mobile=False)
        return self.session

    async def open_paired(self, url: str, code: str) -> str:
        """The box's page at ``url``, built from the box's schema and paired
        with ``code`` (its controls enabled); returns the tab's session."""
        session = await self.open(url)
        await self.wait("document.getElementById('in-output.trim_db') !== null")
        await self.eval(f"document.getElementById('code').value = {code!r};"
                        "document.getElementById('pair').requestSubmit()")
        await self.wait("!document.getElementById('in-output.trim_db').disabled")
        return session

    async def eval(self, expression: str, session: str | None = None):
        r = await self.call("Runtime.evaluate", session or self.session, expression=expression,
                            returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"page: {r['exceptionDetails'].get('text')} in {expression[:80]}")
        return r["result"].get("value")

    async def wait(self, expression: str, timeout: float = 20.0, session: str | None = None):
        """Until ``expression`` is truthy in the page; returns its value."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            v = await self.eval(expression, session)
            if v:
                return v
            if loop.time() > end:
                raise TimeoutError(f"page: {expression} stayed false for {timeout} s")
            await asyncio.sleep(0.05)

    async def screenshot(self, path: str, session: str | None = None) -> None:
        from ..store.atomic import atomic_path

        r = await self.call("Page.captureScreenshot", session or self.session, format="png")
        with atomic_path(path, suffix=".png") as tmp:
            with open(tmp, "wb") as f:
                f.write(base64.b64decode(r["data"]))
