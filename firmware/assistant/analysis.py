"""What the assistant measures in a programme (or a reference): the figures an
engineer would look at before touching anything, each computed from the audio
with numpy/scipy (and the box's own BS.1770 meter), never from the settings.

    a = analyse(x, fs)              # x: (n, 2) float32
    a.tonal_mid, a.tonal_side       # dB per third-octave band, level removed
    a.summary()                     # plain numbers for --json and the page

Tonal balance is the long-term power per third-octave band (ISO centres 25 Hz
to 20 kHz) of the mid and of the side, in dB relative to the programme's
integrated loudness: two programmes at different levels compare by shape.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.signal import butter, sosfilt, welch

from dsp.bs1770 import k_weighting_sos
from dsp.meters import measure

CENTRES = np.array([25, 31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800,
                    1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000, 12500,
                    16000, 20000], dtype=float)
FIT_LO, FIT_HI = 50.0, 16000.0    # where tonal differences are judged (the span)
LOW_CORR_HZ = 150.0
CAPTURE_S = 30.0                  # the loudest stretch the assistant listens to
MIN_VALID_S = 10.0                # less than this above the gates: too little to judge
CLIP_RUN = 3                      # consecutive samples at the peak: a clipped run


@dataclass
class Analysis:
    fs: int
    seconds: float
    valid_seconds: float          # 400 ms blocks above BS.1770's gates, in seconds
    integrated_lufs: float
    max_short_term_lufs: float
    lra_lu: float
    true_peak_dbtp: float
    plr_lu: float                 # true peak over integrated loudness
    psr_lu: float                 # true peak over the loudest short-term loudness
    tonal_mid: np.ndarray         # dB per band (CENTRES), relative to the integrated loudness
    tonal_side: np.ndarray
    side_to_mid: np.ndarray       # dB per band (a stereo EQ move leaves it as it is)
    side_to_mid_db: float         # above LOW_CORR_HZ, power-weighted
    correlation: float
    correlation_low: float        # below LOW_CORR_HZ
    dc_dbfs: tuple                # per channel
    clipped_runs: int
    # mean gain reduction per stage on the loud part, with the settings it was
    # rendered with (filled by propose(), which renders it; empty otherwise)
    loud_part_gr_db: dict = field(default_factory=dict)

    def summary(self) -> dict:
        r = lambda v: None if v is None or not np.isfinite(v) else round(float(v), 2)  # noqa: E731
        return {
            "seconds": r(self.seconds), "valid_seconds": r(self.valid_seconds),
            "integrated_lufs": r(self.integrated_lufs),
            "max_short_term_lufs": r(self.max_short_term_lufs), "lra_lu": r(self.lra_lu),
            "true_peak_dbtp": r(self.true_peak_dbtp), "plr_lu": r(self.plr_lu),
            "psr_lu": r(self.psr_lu), "correlation": r(self.correlation),
            "correlation_below_150hz": r(self.correlation_low),
            "side_to_mid_db": r(self.side_to_mid_db),
            "dc_dbfs": [r(v) for v in self.dc_dbfs], "clipped_runs": self.clipped_runs,
            "bands_hz": [float(c) for c in CENTRES],
            "tonal_mid_db": [r(v) for v in self.tonal_mid],
            "tonal_side_db": [r(v) for v in self.tonal_side],
            "loud_part_gr_db": dict(self.loud_part_gr_db),
        }


def band_edges(centres: np.ndarray = CENTRES) -> tuple[np.ndarray, np.ndarray]:
    return centres * 2 ** (-1 / 6), centres * 2 ** (1 / 6)


def band_power_db(sig: np.ndarray, fs: int) -> np.ndarray:
    """Long-term power per third-octave band, dB (Welch, 8192-point Hann)."""
    n = min(8192, len(sig))
    f, p = welch(sig, fs, nperseg=n, noverlap=n // 2, detrend=False)
    lo, hi = band_edges()
    out = np.empty(len(CENTRES))
    df = f[1] - f[0]
    for i, (a, b) in enumerate(zip(lo, hi)):
        sel = (f >= a) & (f < b)
        e = p[sel].sum() * df if sel.any() else np.interp((a + b) / 2, f, p) * (b - a)
        out[i] = 10 * np.log10(max(e, 1e-20))
    return out


def loudest_stretch(x: np.ndarray, fs: int, seconds: float = CAPTURE_S) -> np.ndarray:
    """The ``seconds`` of x with the highest K-weighted energy (the whole of x
    when it is shorter): what an assistant should listen to."""
    n = int(seconds * fs)
    if len(x) <= n:
        return x
    hop = fs // 10
    e = _hop_energy(x, fs)
    w = n // hop
    c = np.concatenate([[0.0], np.cumsum(e)])
    start = int(np.argmax(c[w:] - c[:-w]))
    return x[start * hop:start * hop + n]


def _hop_energy(x: np.ndarray, fs: int) -> np.ndarray:
    """K-weighted energy of each 100 ms, summed over the channels."""
    k = sosfilt(k_weighting_sos(fs), x.astype(np.float64), axis=0)
    hop = fs // 10
    blocks = len(k) // hop
    return (k[:blocks * hop] ** 2).sum(axis=1).reshape(blocks, hop).sum(axis=1)


def _corr(l: np.ndarray, r: np.ndarray) -> float:
    d = np.sqrt(np.dot(l, l) * np.dot(r, r))
    return float(np.dot(l, r) / d) if d > 0 else float("nan")


def _clipped_runs(x: np.ndarray) -> int:
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak < 0.5:
        return 0
    runs = 0
    for c in range(x.shape[1]):
        at = np.abs(x[:, c]) >= peak * 0.9999
        # starts of runs of at least CLIP_RUN samples at the peak
        edges = np.diff(np.concatenate([[0], at.astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        runs += int(np.sum(ends - starts >= CLIP_RUN))
    return runs


def analyse(x: np.ndarray, fs: int) -> Analysis:
    x = np.asarray(x, np.float32)
    if x.ndim == 1:
        x = np.stack([x, x], 1)
    m = measure(x, fs)
    xd = x.astype(np.float64)
    mid = 0.5 * (xd[:, 0] + xd[:, 1])
    side = 0.5 * (xd[:, 0] - xd[:, 1])
    integ = m["integrated_lufs"]
    ref = integ if np.isfinite(integ) else -70.0
    tm = band_power_db(mid, fs)
    ts = band_power_db(side, fs)
    lo = sosfilt(butter(4, LOW_CORR_HZ, "lowpass", fs=fs, output="sos"), xd, axis=0)
    hi = sosfilt(butter(4, LOW_CORR_HZ, "highpass", fs=fs, output="sos"), xd, axis=0)
    s_hi = 0.5 * (hi[:, 0] - hi[:, 1])
    m_hi = 0.5 * (hi[:, 0] + hi[:, 1])
    with np.errstate(divide="ignore"):
        stm = 10 * np.log10(max(np.dot(s_hi, s_hi), 1e-20) / max(np.dot(m_hi, m_hi), 1e-20))
        dc = tuple(20 * np.log10(max(abs(float(np.mean(xd[:, c]))), 1e-12)) for c in range(2))
    tp = m["true_peak_dbtp"]
    return Analysis(
        fs=fs, seconds=len(x) / fs, valid_seconds=valid_seconds(x, fs, integ),
        integrated_lufs=integ, max_short_term_lufs=m["max_short_term_lufs"],
        lra_lu=m["loudness_range_lu"], true_peak_dbtp=tp,
        plr_lu=tp - integ if np.isfinite(integ) else float("nan"),
        psr_lu=tp - m["max_short_term_lufs"] if np.isfinite(m["max_short_term_lufs"]) else float("nan"),
        tonal_mid=tm - ref, tonal_side=ts - ref, side_to_mid=ts - tm, side_to_mid_db=float(stm),
        correlation=_corr(xd[:, 0], xd[:, 1]), correlation_low=_corr(lo[:, 0], lo[:, 1]),
        dc_dbfs=dc, clipped_runs=_clipped_runs(x))


def valid_seconds(x: np.ndarray, fs: int, integrated: float) -> float:
    """Seconds of audio in BS.1770's gating blocks (400 ms, every 100 ms)
    above both gates: what an integrated loudness is made of."""
    e = _hop_energy(x, fs)
    if len(e) < 4 or not np.isfinite(integrated):
        return 0.0
    hop = fs // 10
    blocks = (e[:-3] + e[1:-2] + e[2:-1] + e[3:]) / (4 * hop)
    with np.errstate(divide="ignore"):
        lufs = -0.691 + 10 * np.log10(blocks)
    return float(np.sum((lufs > -70.0) & (lufs > integrated - 10.0)) * 0.1)
