"""Remote surfaces under load on the JACK rig (issue #18): the real-time engine
on a private JACK dummy server, eight browser-page clients on websockets (in
another process, as browsers are), and a MIDI controller sending 1000
messages a second into the box's own MIDI path (a rawmidi device file; a
pseudo-terminal stands in for /dev/snd/midiC1D0 on a machine without ALSA
MIDI), for 60 s. Prints: xruns while idle before the load, under it, and
idle again after it (the same length each: two idle figures say how much
the machine itself varies), messages sent, whether the final state equals the last
value sent for every control (nothing lost or reordered), whether every page
ends on that state, and the process's memory at the start and end of the
load. The page clients stand in for browsers on other machines and run at
nice 10. No peer is named for these figures.

    .venv/bin/python bench/remote.py [--seconds 60] [--rt-cpu N] [--quick]

--rt-cpu pins the audio thread to CPU N (the box's `rt_cpu`) and keeps the page
clients off it.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CONTROLS = 16                       # CC 70..85 bound to 16 parameters
RATE = 1000                         # MIDI messages a second
PAGES = 8


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pages(port: int, seconds: float) -> None:
    """PAGES page clients on the box's websocket for ``seconds``: each keeps
    the latest value of every control it is told about; prints them."""
    import asyncio

    import aiohttp

    seen = [dict() for _ in range(PAGES)]

    async def page(k):
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(f"http://127.0.0.1:{port}/ws",
                                       headers={"Origin": f"http://127.0.0.1:{port}"})
            await ws.send_json({"type": "pair", "code": "000000"})
            end = asyncio.get_running_loop().time() + seconds
            while asyncio.get_running_loop().time() < end:
                try:
                    msg = await asyncio.wait_for(ws.receive(), 0.5)
                except asyncio.TimeoutError:
                    continue
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                m = json.loads(msg.data)
                if m["type"] == "snapshot":
                    seen[k].update(m["values"])
                elif m["type"] == "change":
                    seen[k].update({p: v[1] for p, v in m["values"].items()})
            await ws.close()

    async def run():
        await asyncio.gather(*(page(k) for k in range(PAGES)))
    asyncio.run(run())
    print(json.dumps(seen))


def child(seconds: float, rt_cpu: int = -1) -> None:
    sys.path.insert(0, ROOT)
    from dsp import params
    from firmware.engine import Engine
    from firmware.remote.midi import MidiSurface, fraction_value, value_fraction
    from firmware.remote.midi_ports import RawMidiPort
    from firmware.remote.web import WebServer
    from firmware.service.box import EngineMeter
    from firmware.session import Session
    from firmware.store import presets

    eng = Engine(48000, 128, device="system", values=presets.load("default"), rt_cpu=rt_cpu)
    eng.open()
    eng.start()
    s = Session(eng)
    out = {"rt": eng.rt_status}
    x0 = eng.counters()["xruns"]
    time.sleep(seconds)                                     # idle: the same length as the load
    out["xruns_idle"] = eng.counters()["xruns"] - x0

    # the controls: continuous parameters, bound as a learned map would bind them
    pids = [p.id for p in params.SCHEMA if not p.choices and p.id.split(".")[0] in
            ("eq", "glue", "limiter", "stereo")][:CONTROLS]
    for i, pid in enumerate(pids):
        s.bind({f"cc:0:{70 + i}": {"param": pid, "mode": "abs"}}, "bench")
    surface = MidiSurface(s)
    # the box's own MIDI path: a rawmidi device file (a pseudo-terminal stands in
    # for /dev/snd/midiC1D0 here, which has no ALSA MIDI)
    import tty
    master, slave = os.openpty()
    tty.setraw(slave)
    port = RawMidiPort(os.ttyname(slave), surface)
    # each control starts where its first message will be, so it is picked up at once
    s.apply({pid: params.check_value(pid, fraction_value(pid, c / 127)) for c, pid in enumerate(pids)},
            "bench")

    web = WebServer(s, "127.0.0.1", 0, code="000000", meter=EngineMeter(eng)).start()
    viewers = subprocess.Popen([sys.executable, __file__, "--pages", str(web.port), "--seconds",
                                str(seconds + 6)], stdout=subprocess.PIPE, text=True,
                               preexec_fn=lambda: _background(rt_cpu))
    time.sleep(2.0)                                          # the pages connect and pair
    rss0 = rss_mb()
    x0 = eng.counters()["xruns"]
    out["callback_idle"] = eng.callback_durations(reset=True)
    t0 = time.monotonic()
    k = 0
    while time.monotonic() - t0 < seconds:                   # the controller: RATE a second
        due = int((time.monotonic() - t0) * RATE)
        chunk = bytearray()
        while k < due:
            c = k % CONTROLS
            chunk += bytes((0xB0, 70 + c, (k // CONTROLS * 7 + c) % 128))
            k += 1
        if chunk:
            os.write(master, bytes(chunk))
        time.sleep(0.001)
    last_sent = {}
    for i in range(max(0, k - CONTROLS), k):
        c = i % CONTROLS
        last_sent[pids[c]] = (i // CONTROLS * 7 + c) % 128
    time.sleep(1.0)                                          # the last ones land
    out["xruns_load"] = eng.counters()["xruns"] - x0
    out["callback_load"] = eng.callback_durations(reset=True)
    out["rss_mb_start"] = round(rss0, 1)
    out["rss_mb_end"] = round(rss_mb(), 1)
    out["midi_sent"] = k
    out["midi_rate"] = round(k / seconds)
    wrong = [pid for pid, v in last_sent.items()
             if abs(value_fraction(pid, s.value(pid)) - v / 127) > 1e-6]
    out["final_state_equals_last_sent"] = not wrong
    out["wrong"] = wrong
    seen = json.loads(viewers.communicate(timeout=seconds + 60)[0].strip().splitlines()[-1])
    final = s.values
    out["pages_on_final_state"] = sum(all(v.get(p) == final[p] for p in pids) for v in seen)
    out["pages"] = PAGES
    out["pages_dropped"] = web.dropped
    port.close()
    os.close(master)
    web.close()
    x0 = eng.counters()["xruns"]
    time.sleep(seconds)                                     # idle again, surfaces closed
    out["xruns_idle_after"] = eng.counters()["xruns"] - x0
    eng.stop()
    import sounddevice as sd
    sd._terminate()
    print(json.dumps(out))


def _background(rt_cpu: int) -> None:
    """The page clients: nice 10, and off the audio thread's CPU when it is pinned."""
    os.nice(10)
    if rt_cpu >= 0:
        os.sched_setaffinity(0, set(range(os.cpu_count())) - {rt_cpu})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--pages", type=int, metavar="PORT")
    ap.add_argument("--rt-cpu", type=int, default=-1, metavar="N")
    ap.add_argument("--quick", action="store_true", help="1 s per phase: that it runs")
    a = ap.parse_args()
    if a.quick:
        a.seconds = 1.0
    if a.child:
        child(a.seconds, a.rt_cpu)
        return
    if a.pages:
        pages(a.pages, a.seconds)
        return
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from stream import jackd

    server, proc = jackd(128)
    try:
        env = dict(os.environ, JACK_DEFAULT_SERVER=server)
        r = subprocess.run([sys.executable, __file__, "--child", "--seconds", str(a.seconds),
                            "--rt-cpu", str(a.rt_cpu)],
                           capture_output=True, text=True, env=env, timeout=a.seconds * 4 + 120)
        if r.returncode != 0:
            raise SystemExit(r.stderr[-3000:])
        o = json.loads(r.stdout.strip().splitlines()[-1])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"JACK dummy server, 48 kHz, 128 frames; {a.seconds:g} s idle, {a.seconds:g} s of load, "
          f"{a.seconds:g} s idle")
    print(f"audio thread: {o['rt']}")
    print(f"xruns: idle before {o['xruns_idle']}, under load {o['xruns_load']}, "
          f"idle after {o['xruns_idle_after']}")
    for phase in ("idle", "load"):
        d = o[f"callback_{phase}"]
        print(f"callback duration ({phase}): p50 {d.get('p50_us')} us, p99 {d.get('p99_us')} us, "
              f"max {d['max_us']:.0f} us (period 2667 us)")
    print(f"MIDI: {o['midi_sent']} messages ({o['midi_rate']}/s) to {CONTROLS} controls; final state equals "
          f"the last value sent for every control: {o['final_state_equals_last_sent']} {o['wrong'] or ''}")
    print(f"pages: {o['pages_on_final_state']}/{o['pages']} on the final state, "
          f"{o['pages_dropped']} dropped")
    print(f"memory (RSS): {o['rss_mb_start']} MB at the start of the load, {o['rss_mb_end']} MB at its end")


if __name__ == "__main__":
    main()
