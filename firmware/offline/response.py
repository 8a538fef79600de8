"""The chain's small-signal frequency response, measured, and drawn as a PNG.

The response is measured, not computed from the design: an impulse at -60 dBFS
(low enough that every compressor, the clipper and the limiter stay idle) goes
through the real chain, once as mid (L = R) and once as side (L = -R), and its
spectrum is read off. What a person sees is what the audio gets.
"""
from __future__ import annotations

import numpy as np

from dsp.chain import Chain

IMPULSE = 1e-3      # -60 dBFS
N = 1 << 16


def measure(values: dict, fs: int) -> dict:
    f = np.geomspace(20.0, min(20000.0, 0.49 * fs), 400)
    out = {"freq_hz": f}
    for name, sign in (("mid", 1.0), ("side", -1.0)):
        c = Chain(fs, values)
        x = np.zeros((N, 2), np.float32)
        x[0] = (IMPULSE, sign * IMPULSE)
        y = c.process(x)[c.latency:].astype(np.float64)
        h = 0.5 * (y[:, 0] + sign * y[:, 1]) / IMPULSE
        H = np.fft.rfft(h, N)
        fr = np.fft.rfftfreq(N, 1.0 / fs)
        out[name + "_db"] = np.interp(f, fr, 20 * np.log10(np.maximum(np.abs(H), 1e-12)))
    return out


def plot(resp: dict, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..store.atomic import atomic_path

    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    ax.semilogx(resp["freq_hz"], resp["mid_db"], label="mid (L+R)", color="#1f77b4", lw=2)
    ax.semilogx(resp["freq_hz"], resp["side_db"], label="side (L-R)", color="#d62728", lw=1.5,
                ls="--")
    lo = min(-3.0, float(np.floor(min(resp["mid_db"].min(), resp["side_db"].min()))) - 1)
    hi = max(3.0, float(np.ceil(max(resp["mid_db"].max(), resp["side_db"].max()))) + 1)
    ax.set_ylim(max(lo, -30.0), hi)
    ax.set_xlim(20, resp["freq_hz"][-1])
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("gain (dB)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
