"""The codec preview on the engine, as on the box: the engine and the
preview's worker in this process, the loop cable in another
(tests/jack_cable.py). An idle phase, then the same length with the live
AAC preview heard; prints one JSON object: xruns of each phase, late
decoded frames, the resident memory each second of the codec phase.

    JACK_DEFAULT_SERVER=name python tests/codec_soak.py SECONDS
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    seconds = float(sys.argv[1])
    import sounddevice as sd

    from firmware.codec_preview import CodecPreview, codec_delay, find
    from firmware.engine import Engine

    eng = Engine(48000, 128, device="system", values={"limiter.on": 1, "limiter.drive_db": 6},
                 previews=True)
    eng.open()
    eng.start()
    codec_delay("aac", 48000)                  # measured once, as the box does at first use
    cable = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "jack_cable.py")],
                             stdout=subprocess.PIPE, text=True)
    try:
        cable.stdout.readline()                # "connected"
        time.sleep(1.0)
        x0 = eng.counters()["xruns"]
        time.sleep(seconds)
        x1 = eng.counters()["xruns"]
        preview = CodecPreview(eng)
        preview.start(find("aac"))
        eng.set_monitor("codec")
        rss = []
        t0 = time.monotonic()
        for sec in range(int(seconds)):
            while time.monotonic() - t0 < sec + 1:
                time.sleep(0.01)
            rss.append(rss_mb())
        x2 = eng.counters()["xruns"]
        out = {"xruns_idle": x1 - x0, "xruns_codec": x2 - x1, "rss_mb": rss,
               "late": preview.late_frames(), "error": preview.error,
               "decoded_s": preview._decoded / 48000, "true_peak_dbtp": preview.true_peak_dbtp()}
        eng.set_monitor("processed")
        preview.stop()
    finally:
        cable.kill()
        cable.wait()
    eng.stop()
    sd._terminate()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
