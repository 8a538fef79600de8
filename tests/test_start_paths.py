"""Both ways the box starts (`masterbox run` on the real engine, here on the
JACK dummy server, and `masterbox run --sim`, the laptop mode) go through
one function that starts the surfaces: with OSC, the browser page and MIDI
all on, each is checked end to end on each path, bank select 1 + program
change loading a user preset included (the box once built its MIDI surface
without the user's presets, so that did nothing there)."""
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import tty

import pytest

from firmware.remote.osc import decode, encode
from firmware.store import presets
from helpers import jackd_dummy

EXE = os.path.join(os.path.dirname(sys.executable), "masterbox")
PASSWORD = "271828"


def free_port(kind=socket.SOCK_DGRAM) -> int:
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def osc_ask(port, address, *args, want=None, timeout=20.0):
    """Send until a reply comes (the box may still be starting); the reply's
    (address, args), or the first whose address is ``want``."""
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.settimeout(0.5)
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            c.sendto(encode(address, *args), ("127.0.0.1", port))
            try:
                for addr, got in decode(c.recv(4096)):
                    if want is None or addr == want:
                        return addr, got
            except socket.timeout:
                continue
        raise AssertionError(f"no reply to {address} in {timeout} s")
    finally:
        c.close()


async def page_state(port):
    import aiohttp

    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"http://127.0.0.1:{port}/ws",
                                   headers={"Origin": f"http://127.0.0.1:{port}"})
        snap = json.loads((await ws.receive(timeout=10)).data)
        await ws.send_json({"type": "pair", "code": PASSWORD})
        while json.loads((await ws.receive(timeout=10)).data)["type"] != "paired":
            pass
        await ws.send_json({"type": "set", "param": "eq.bell2_gain_db", "value": 2.5})
        while True:
            m = json.loads((await ws.receive(timeout=10)).data)
            if m["type"] == "change" and "eq.bell2_gain_db" in m.get("values", {}):
                break
        await ws.close()
        return snap


@pytest.mark.parametrize("path", ["box", "laptop"])
def test_every_surface_on_both_start_paths(tmp_path, path):
    if not shutil.which("jackd"):
        pytest.skip("jackd is not installed (scripts/setup.sh installs jackd2)")
    state = tmp_path / "state"
    user = presets.UserPresets(str(state / "presets"))
    user.save("Bank Me", dict(presets.load("neutral"), **{"glue.ratio": 7.0}))
    program = [n for n, _ in user.all()].index("Bank Me")
    master, slave = os.openpty()
    tty.setraw(slave)                      # bytes as they come, like a rawmidi device file
    osc_port, web_port = free_port(), free_port(socket.SOCK_STREAM)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'state_dir = "{state}"\nremote_password = "{PASSWORD}"\n'
                   f'osc_port = {osc_port}\nweb_port = {web_port}\n'
                   f'midi_device = "{os.ttyname(slave)}"\npanel = "none"\nrt_priority = 0\n'
                   'device = "system"\n')
    args = [EXE, "run", "--config", str(cfg), "--seconds", "40"]
    if path == "laptop":
        args += ["--sim", "--no-sound", "--record", str(tmp_path / "sim.wav")]
    with jackd_dummy() as server:
        env = dict(os.environ, JACK_DEFAULT_SERVER=server)
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, text=True)
        try:
            # OSC: pair (the whole host), then a change read back
            assert osc_ask(osc_port, "/masterbox/pair", PASSWORD, timeout=90)[0] == "/masterbox/paired"
            c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            c.sendto(encode("/masterbox/glue/threshold_db", -30.0), ("127.0.0.1", osc_port))
            c.close()
            end = time.monotonic() + 10
            while osc_ask(osc_port, "/masterbox/glue/threshold_db",
                          want="/masterbox/glue/threshold_db")[1][0] != -30.0:
                assert time.monotonic() < end, f"{path}: an OSC change did not reach the session"
                time.sleep(0.2)
            # MIDI: bank 1, program N: the user's preset "Bank Me" (glue ratio 7)
            os.write(master, bytes([0xB0, 0x00, 0x01, 0xC0, program]))
            end = time.monotonic() + 20
            while time.monotonic() < end:
                ratio = osc_ask(osc_port, "/masterbox/glue/ratio", want="/masterbox/glue/ratio")[1][0]
                if ratio == 7.0:
                    break
                time.sleep(0.2)
            assert ratio == 7.0, f"{path}: bank 1 + program {program} did not load the user preset"
            # the page: paired, sees the preset's values, and its change reaches the session
            snap = asyncio.run(page_state(web_port))
            assert snap["values"]["glue.ratio"] == 7.0
            assert ["Bank Me", False] in snap["state"]["presets"]
            got = osc_ask(osc_port, "/masterbox/eq/bell2_gain_db", want="/masterbox/eq/bell2_gain_db")
            assert got[1][0] == 2.5
        finally:
            proc.terminate()
            out, err = proc.communicate(timeout=30)
            os.close(master)
            os.close(slave)
    assert proc.returncode in (0, 130, 143), err[-2000:]
