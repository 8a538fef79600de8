"""Software hardware-in-the-loop: run the engine on a JACK dummy server with a
second JACK client as the loop cable. Run as a script by tests/test_engine_jack.py
(a fresh process, so PortAudio starts against the test's private server and is
terminated before that server stops). Prints one JSON object.

    JACK_DEFAULT_SERVER=name python tests/jack_rig.py '{"values": {...}, ...}'
"""
import json
import os
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def stimulus(fs, seconds, seed=1, tone_only=False):
    rng = np.random.default_rng(seed)
    n = int(fs * seconds)
    t = np.arange(n) / fs
    x = 0.3 * np.sin(2 * np.pi * 220 * t)[:, None] + (0.0 if tone_only else 0.08) * rng.standard_normal((n, 2))
    x *= (0.6 + 0.4 * np.sin(2 * np.pi * 0.7 * t))[:, None]
    if tone_only:
        x *= np.minimum(t / 0.05, 1.0)[:, None]     # faded in: no onset click of its own
        x[0] = 0.0
        x[1] = 0.9      # a marker, away from the fade
    else:
        x[0] = 0.9      # a marker: the first sample is the loudest
    return x.astype(np.float32)


def main():
    cfg = json.loads(sys.argv[1])
    import jack
    import sounddevice as sd

    from firmware.engine import Engine

    server = os.environ["JACK_DEFAULT_SERVER"]
    fs, block = cfg.get("fs", 48000), cfg.get("block", 128)
    eng = Engine(fs, block, device=cfg.get("device", "system"), values=cfg.get("values", {}),
                 rt_cpu=cfg.get("rt_cpu", -1), reference_bytes=cfg.get("reference_mb", 0) << 20,
                 capture_seconds=cfg.get("capture_seconds", 0.0))
    if cfg.get("reference"):
        from firmware.references import Shelf
        eng.set_reference(Shelf(eng, fs).read(cfg["reference"], 0).selector)
    eng.open()
    x = stimulus(fs, cfg.get("seconds", 2.0), tone_only=cfg.get("tone_only", False))
    pre = int(0.2 * fs)
    tail = eng.latency + 8 * block + fs // 10
    play = np.concatenate([np.zeros((pre, 2), np.float32), x, np.zeros((tail, 2), np.float32)])
    rec = np.zeros_like(play)
    state = {"pos": 0, "rpos": 0, "done": threading.Event()}
    client = jack.Client("loopcable", servername=server)
    outs = [client.outports.register(f"out_{i}") for i in range(2)]
    ins = [client.inports.register(f"in_{i}") for i in range(2)]
    changes = cfg.get("changes", [])       # [[time_s, {param: value} or "monitor mode"], ...]

    @client.set_process_callback
    def process(frames):
        p = state["pos"]
        seg = play[p:p + frames]
        for c in range(2):
            buf = outs[c].get_array()
            buf[:] = 0.0
            buf[:len(seg)] = seg[:, c]
        r = state["rpos"]
        n = min(frames, len(rec) - r)
        if n > 0:
            for c in range(2):
                rec[r:r + n, c] = ins[c].get_array()[:n]
        state["pos"] = p + frames
        state["rpos"] = r + frames
        if state["rpos"] >= len(rec):
            state["done"].set()

    eng.start()
    client.activate()
    # the cable: loopcable -> PortAudio in, PortAudio out -> loopcable; nothing else
    pa_in = [p.name for p in client.get_ports(is_audio=True, is_input=True) if p.name.startswith("PortAudio")]
    pa_out = [p.name for p in client.get_ports(is_audio=True, is_output=True) if p.name.startswith("PortAudio")]
    for p in pa_in + pa_out:
        for q in client.get_all_connections(p):
            client.disconnect(p, q) if p in pa_out else client.disconnect(q, p)
    state["pos"] = 0
    state["rpos"] = 0
    for c in range(2):
        client.connect(outs[c], pa_in[c])
        client.connect(pa_out[c], ins[c])
    # the cable is now in place: restart the stimulus from its beginning
    state["pos"] = 0
    state["rpos"] = 0
    t0 = time.monotonic()
    for when, change in changes:
        while time.monotonic() - t0 < when:
            time.sleep(0.005)
        eng.set_monitor(change) if isinstance(change, str) else eng.set(change)
    hammer = cfg.get("hammer", 0)
    k = 0
    while not state["done"].wait(0.001):
        if hammer and time.monotonic() - t0 < len(play) / fs:
            eng.set({"eq.bell2_gain_db": (k % 25) - 12.0})
            k += 1
        if time.monotonic() - t0 > 30:
            break
    client.deactivate()
    client.close()
    counters = eng.counters()
    lat_in, lat_out = eng.stream_latency()
    rt = None
    if cfg.get("report_rt"):
        import threading as th

        from firmware.engine.realtime import thread_cpus, thread_policy
        rt = {"status": eng.rt_status, "callback_policy": list(thread_policy(eng.callback_thread)),
              "main_policy": list(thread_policy(th.main_thread().ident)),
              "callback_cpus": thread_cpus(eng.callback_thread),
              "main_cpus": thread_cpus(th.main_thread().ident)}
    captured = eng.capture()[0] if cfg.get("capture_seconds") else None
    eng.stop()
    sd._terminate()
    # where did the marker come back?
    start = int(np.argmax(np.abs(rec[:, 0]) > 0.5)) if np.any(np.abs(rec[:, 0]) > 0.5) else -1
    out = {"counters": counters, "chain_latency": eng.latency, "block": block,
           "pre": pre, "marker_at": start, "hammer_sets": k,
           "stream_latency_frames": round((lat_in + lat_out) * fs), "rt": rt}
    np.save(cfg["save"], rec) if cfg.get("save") else None
    if cfg.get("save_stimulus"):
        np.save(cfg["save_stimulus"], play)
    if captured is not None:
        np.save(cfg["save_capture"], captured)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
