"""Standard-true meters: BS.1770-4 loudness (EBU Mode M, S, I), EBU Tech 3342
loudness range, BS.1770 Annex 2 true peak, sample peak, PLR, PSR, correlation
and balance. A Python wrapper around the kernel in kernels/meters.py: it designs
the coefficients, owns the arrays, and turns the kernel's histograms into the
gated figures (off the audio thread).

    m = Meter(48000, channels=2)
    m.process(block)             # any number of frames, float32 or float64
    m.results()                  # dict of figures, LUFS / dBTP / dBFS / LU

Streaming in blocks and measuring a whole file use the same kernel, so they
give the same numbers, bit for bit. measure() spreads a whole signal over two
threads (loudness on one, the true peak on the other) and still does.
"""
from __future__ import annotations

import math
import threading

import numpy as np

from .bs1770 import annex2_phases, k_weighting
from .errors import DspError
from .kernels import meters as K
from .kernels.lanes import annex_folded
from .truepeak import true_peak_precise

WEIGHTS = {1: (1.0,), 2: (1.0, 1.0), 3: (1.0, 1.0, 1.0),
           5: (1.0, 1.0, 1.0, 1.41, 1.41),            # L R C Ls Rs
           6: (1.0, 1.0, 1.0, 0.0, 1.41, 1.41)}       # L R C LFE Ls Rs (LFE excluded)
CORR_TAU_S = 0.4
ABS_GATE_ENERGY = 10.0 ** ((-70.0 + 0.691) / 10.0)     # -70 LUFS
REL_GATE_FACTOR = 10.0 ** (-10.0 / 10.0)               # -10 LU


class MeterError(DspError):
    pass


def sub_blocks(fs: int) -> tuple[int, int]:
    """(samples per sub-block, sub-blocks per 100 ms): the finest split of 100 ms
    into at most 100 equal parts, ~1 ms each."""
    hop = fs / 10
    if hop != int(hop):
        raise MeterError(f"sample rate {fs} Hz: 100 ms is not a whole number of samples")
    hop = int(hop)
    for d in range(100, 0, -1):
        if hop % d == 0:
            return hop // d, d
    raise MeterError(f"sample rate {fs} Hz cannot be metered")


def _lufs(e: float) -> float:
    return -0.691 + 10 * math.log10(e) if e > 0 else float("-inf")


def _db(x: float) -> float:
    return 20 * math.log10(x) if x > 0 else float("-inf")


class Meter:
    def __init__(self, fs: int, channels: int = 2, weights=None):
        if channels not in WEIGHTS and weights is None:
            raise MeterError(f"{channels} channels: give weights (known layouts: 1, 2, 3, 5, 6)")
        if channels > K.MAX_CH:
            raise MeterError(f"{channels} channels: at most {K.MAX_CH}")
        self.fs = int(fs)
        self.channels = channels
        self.MT = np.zeros(K.MT_SIZE)
        sub, d = sub_blocks(self.fs)
        self.MT[K.C] = channels
        self.MT[K.SUB] = sub
        self.MT[K.D] = d
        # the correlation averages move once a sub-block (~1 ms)
        self.MT[K.CORR_K] = 1 - math.exp(-sub / (CORR_TAU_S * fs))
        w = weights if weights is not None else WEIGHTS[channels]
        self.MT[K.G:K.G + channels] = w
        shelf, hp = k_weighting(self.fs)
        # [section][coefficient][lane], both lanes the same filter
        self.MT[K.K_LANES:K.K_LANES + 20] = np.repeat(np.array([shelf, hp]).ravel(), 2)
        self.MT[K.ANNEX:K.ANNEX + 24] = annex_folded(annex2_phases()[:, ::-1])
        self.MS = np.zeros(K.MS_SIZE)
        self.reset()

    def reset(self) -> None:
        """Integrated, LRA, maxima and peaks start again (EBU Mode reset)."""
        self.MS[:] = 0.0
        self.MS[K.S_MAXM] = self.MS[K.S_MAXS] = -1.0      # no window complete yet
        self._series_read = 0
        self._blocks: list[np.ndarray] = []      # gating blocks collected (LUFS)
        self._rows = 0                           # series rows collected
        self._exact = True                       # no row missed since reset

    def _frames(self, x, what: str) -> np.ndarray:
        """x as (frames, channels), float32 or float64, C-contiguous, as the kernels take it."""
        x = np.asarray(x)
        if x.ndim == 1 and self.channels == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != self.channels:
            raise MeterError(f"{what} of shape {x.shape}; expected (frames, {self.channels})")
        if x.dtype not in (np.float32, np.float64) or not x.flags.c_contiguous:
            x = np.ascontiguousarray(x, dtype=np.float64)
        return x

    def process(self, x: np.ndarray) -> None:
        x = self._frames(x, "block")
        step = self._collect_every()
        for i in range(0, x.shape[0], step):
            part = x[i:i + step]
            K.process(part, part.shape[0], self.MT, self.MS)
            self._collect()

    # ------------------------------------------------------- gating blocks
    def _collect_every(self) -> int:
        """Frames the kernel may meter between two collections of the series
        without its ring of 100 ms rows wrapping (a margin of 2.6 s)."""
        return (K.SERIES - 26) * (self.fs // 10)

    def _collect(self) -> None:
        """Take the gating blocks (the series' momentary column: the loudness of
        the 400 ms ending at each 100 ms step) written since the last call. A
        reader whose state jumped (the engine's meter copied in, a reset, or a
        gap longer than the ring) starts over or falls back to the histogram."""
        n = int(self.MS[K.S_SERN])
        if n < self._rows:                     # the state was reset under us
            self._blocks, self._rows, self._exact = [], 0, n <= K.SERIES
        if n - self._rows > K.SERIES:
            self._exact = False
        if n > self._rows:
            rows = np.arange(max(self._rows, n - K.SERIES), n)
            m = self.MS[K.S_SERIES + 3 * (rows % K.SERIES)]
            self._blocks.append(m[np.isfinite(m)])
        self._rows = n

    def gating_blocks(self) -> np.ndarray | None:
        """The mean energy of every gating block since reset (None when some
        were missed: the histogram stands in)."""
        self._collect()
        if not self._exact:
            return None
        b = np.concatenate(self._blocks) if self._blocks else np.zeros(0)
        return 10.0 ** ((b + 0.691) / 10.0)

    def measure_whole(self, x: np.ndarray) -> None:
        """Meter a whole signal from reset on two threads: the loudness (the
        kernel with its true peak off) here, the true peak of each 100 ms slot on
        a second thread (kernels.meters.slot_peaks, the same interpolator and
        arithmetic); this thread takes the last part of the true peak when its
        own work is done. The peaks then go where the streaming
        kernel would have put them, so every figure equals streaming's."""
        x = self._frames(x, "signal")
        self.reset()
        n = x.shape[0]
        flat = x.reshape(-1)
        hop = self.fs // 10
        slots = -(-n // hop)
        tps = np.zeros(slots)
        H = self.MT[K.ANNEX:K.ANNEX + 24]
        # the true peak in chunks of whole slots, taken from the front by the
        # helper and from the back by this thread once its loudness pass is done
        chunk = TP_CHUNK_SLOTS * hop
        cursor = [0, slots * hop]
        lock = threading.Lock()
        failed = []

        def take(front):
            with lock:
                lo, hi = cursor
                if lo >= hi:
                    return None
                if front:
                    cursor[0] = min(hi, lo + chunk)
                    return lo, cursor[0]
                cursor[1] = max(lo, hi - chunk)
                return cursor[1], hi

        def true_peak(front):
            buf = np.zeros(2 * (11 + K.SLOT_CHUNK))
            while (part := take(front)) is not None:
                a, b = part
                K.slot_peaks(flat, self.channels, a, min(b, n), hop, H, buf, tps[a // hop:])

        def helper_run():
            try:
                true_peak(True)
            except Exception as e:          # handed to the caller below
                failed.append(e)

        helper = threading.Thread(target=helper_run, name="meter-true-peak")
        helper.start()
        mt = self.MT.copy()
        mt[K.NO_TP] = 1.0
        step = self._collect_every()
        try:
            for i in range(0, n, step):
                part = x[i:i + step]
                K.process(part, part.shape[0], mt, self.MS)
                self._collect()
            true_peak(False)
        finally:
            helper.join()
        if failed:
            raise failed[0]
        MS = self.MS
        done = n // hop                                  # complete slots
        MS[K.S_TP] = max(0.0, tps[:done].max()) if done else 0.0
        MS[K.S_TPSLOT] = tps[done] if done < slots else 0.0
        for s in range(max(0, done - 30), done):
            MS[K.S_TPRING + (s + 1) % 30] = tps[s]
        for s in range(max(0, done - K.SERIES), done):
            MS[K.S_SERIES + 3 * (s % K.SERIES) + 2] = tps[s]
        # the interpolator's history, as streaming leaves it (the tail's peak)
        last = x[max(0, n - 11):]
        for p in range(0, self.channels, 2):
            hx = MS[K.S_HX + (p // 2) * K.HX_LEN:K.S_HX + (p // 2) * K.HX_LEN + 22].reshape(11, 2)
            hx[:] = 0.0
            hx[11 - len(last):, 0] = last[:, p]
            if p + 1 < self.channels:
                hx[11 - len(last):, 1] = last[:, p + 1]

    # ------------------------------------------------------------------ figures
    @property
    def seconds(self) -> float:
        return self.MS[K.S_FRAMES] / self.fs

    def integrated(self) -> float:
        """BS.1770 gated loudness: absolute gate -70 LUFS, relative gate -10 LU,
        on every gating block (as libebur128 gates: a block at a gate is kept);
        from the histogram's 0.01 LU bins when blocks were missed."""
        e = self.gating_blocks()
        if e is not None:
            return gated_loudness(e)
        n = self.MS[K.S_HI_N:K.S_HI_N + K.HIST_BINS]
        e = self.MS[K.S_HI_E:K.S_HI_E + K.HIST_BINS]
        if n.sum() == 0:
            return float("-inf")
        gate = _lufs(e.sum() / n.sum()) - 10.0
        keep = self._above(gate)
        if n[keep].sum() == 0:
            return float("-inf")
        return _lufs(e[keep].sum() / n[keep].sum())

    def loudness_range(self) -> float:
        """EBU Tech 3342: short-term values gated at -70 LUFS and 20 LU below
        their power mean; P95 - P10, nearest rank."""
        n = self.MS[K.S_HL_N:K.S_HL_N + K.HIST_BINS]
        e = self.MS[K.S_HL_E:K.S_HL_E + K.HIST_BINS]
        if n.sum() == 0:
            return 0.0
        gate = _lufs(e.sum() / n.sum()) - 20.0
        keep = self._above(gate)
        counts = np.where(keep, n, 0.0)
        total = counts.sum()
        if total == 0:
            return 0.0
        cum = np.cumsum(counts)
        centers = K.HIST_LO + (np.arange(K.HIST_BINS) + 0.5) * K.HIST_STEP
        def pct(p):
            rank = max(1, math.ceil(p / 100 * total))
            return centers[np.searchsorted(cum, rank)]
        return float(pct(95) - pct(10))

    @staticmethod
    def _above(gate: float) -> np.ndarray:
        centers = K.HIST_LO + (np.arange(K.HIST_BINS) + 0.5) * K.HIST_STEP
        return centers > gate

    def true_peak_linear(self) -> float:
        """Since reset: the interpolated points (the tail after the newest
        sample included) and never below the sample peak, as libebur128 reports."""
        return max(self.MS[K.S_TP], self.MS[K.S_TPSLOT], self._tail_peak(), self.MS[K.S_SP])

    def _tail_peak(self) -> float:
        """The Annex 2 points after the newest sample: the reconstruction of the
        last 11 samples against silence (the kernel computes each point when its
        window's newest sample arrives, so these wait for samples that may never
        come)."""
        h = annex2_phases()
        peak = 0.0
        for p in range(0, self.channels, 2):
            hx = self.MS[K.S_HX + (p // 2) * K.HX_LEN:K.S_HX + (p // 2) * K.HX_LEN + 22].reshape(11, 2)
            for c in range(2 if p + 1 < self.channels else 1):
                tail = np.concatenate([hx[:, c], np.zeros(11)])
                for q in range(4):
                    peak = max(peak, float(np.max(np.abs(np.convolve(tail, h[q])[11:22]))))
        return peak

    def results(self) -> dict:
        MS = self.MS
        tp = _db(self.true_peak_linear())
        integ = self.integrated()
        s = _lufs(MS[K.S_S])
        recent_tp = max(MS[K.S_TPRING:K.S_TPRING + 30].max(), MS[K.S_TPSLOT])
        out = {
            "integrated_lufs": integ,
            "momentary_lufs": _lufs(MS[K.S_M]),
            "short_term_lufs": s,
            "max_momentary_lufs": _lufs(MS[K.S_MAXM]),
            "max_short_term_lufs": _lufs(MS[K.S_MAXS]),
            "loudness_range_lu": self.loudness_range(),
            "lra_stable": self.seconds >= 60.0,
            "true_peak_dbtp": tp,
            "sample_peak_dbfs": _db(MS[K.S_SP]),
            "plr_lu": tp - integ if math.isfinite(integ) and math.isfinite(tp) else None,
            "psr_lu": _db(recent_tp) - s if math.isfinite(s) and recent_tp > 0 else None,
            "seconds": self.seconds,
        }
        if self.channels >= 2:
            lr, ll, rr = (float(v) for v in MS[K.S_CSUM:K.S_CSUM + 3])
            out["correlation"] = lr / math.sqrt(ll * rr) if ll > 0 and rr > 0 else None
            out["balance_db"] = 10 * math.log10(rr / ll) if ll > 0 and rr > 0 else None
            lr, ll, rr = (float(v) for v in MS[K.S_CORR:K.S_CORR + 3])
            out["correlation_recent"] = lr / math.sqrt(ll * rr) if ll > 0 and rr > 0 else None
            out["balance_recent_db"] = 10 * math.log10(rr / ll) if ll > 0 and rr > 0 else None
        return {k: (float(v) if isinstance(v, (float, np.floating)) else
                    bool(v) if isinstance(v, (bool, np.bool_)) else v) for k, v in out.items()}

    def series(self) -> np.ndarray:
        """New (momentary, short-term, true peak dBTP) rows, one per 100 ms, since
        the last call (at most the last 25.6 s)."""
        n = int(self.MS[K.S_SERN])
        start = max(self._series_read, n - K.SERIES)
        rows = [self.MS[K.S_SERIES + 3 * (r % K.SERIES):K.S_SERIES + 3 * (r % K.SERIES) + 3]
                for r in range(start, n)]
        self._series_read = n
        if not rows:
            return np.zeros((0, 3))
        a = np.array(rows)
        with np.errstate(divide="ignore"):
            a[:, 2] = 20 * np.log10(a[:, 2])
        return a


# measure(): the true peak of a file is shared between two threads in chunks
# of this many 100 ms slots (small enough that both finish together)
TP_CHUNK_SLOTS = 10


def measure(x: np.ndarray, fs: int, channels: int | None = None, block: int = 1 << 16,
            precise: bool = False, threads: int = 2) -> dict:
    """Measure a whole signal; the same kernel as streaming, and the same
    figures bit for bit. With ``threads`` = 2 (signals of a second or more),
    the true and sample peaks run on a second thread while this one does the
    loudness; otherwise the signal is streamed in blocks of ``block`` frames.
    ``precise`` adds the precise true peak (``true_peak_precise_dbtp``, dsp.truepeak)."""
    x = np.asarray(x)
    ch = channels or (1 if x.ndim == 1 else x.shape[1])
    m = Meter(fs, ch)
    if threads >= 2 and len(x) >= fs:
        m.measure_whole(x)
    else:
        for i in range(0, len(x), block):
            m.process(x[i:i + block])
    r = m.results()
    if precise:
        r["true_peak_precise_dbtp"] = true_peak_precise(x)
    return r


def gated_loudness(e: np.ndarray) -> float:
    """BS.1770 integrated loudness of gating-block mean energies ``e``."""
    e = e[e >= ABS_GATE_ENERGY]
    if e.size == 0:
        return float("-inf")
    e = e[e >= e.mean() * REL_GATE_FACTOR]
    return _lufs(float(e.mean()))
