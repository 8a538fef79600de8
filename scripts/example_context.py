"""Write docs/contexts/bandpass.wav: the example playback context the docs'
pictures are taken with. A sketch, not a measurement of any device: a
4th-order band-pass 350 Hz - 9 kHz with a resonance at 1.2 kHz, 60 ms, mono,
48 kHz float. The box ships no contexts (docs/delivery.md says why).

    .venv/bin/python scripts/example_context.py
"""
import os

import numpy as np
import soundfile as sf
from scipy import signal

FS = 48000
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "contexts", "bandpass.wav")


def bandpass_sketch(fs: int = FS, seconds: float = 0.06) -> np.ndarray:
    sos = signal.butter(4, [350, 9000], btype="bandpass", fs=fs, output="sos")
    imp = np.zeros(int(seconds * fs))
    imp[0] = 1.0
    h = signal.sosfilt(sos, imp)
    b, a = signal.iirpeak(1200, 4, fs=fs)
    return h + 0.5 * signal.lfilter(b, a, h)


if __name__ == "__main__":
    sf.write(OUT, bandpass_sketch().astype(np.float32), FS, subtype="FLOAT")
    print(f"wrote {os.path.normpath(OUT)}")
