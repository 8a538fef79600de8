"""Loudness and peak meter kernel (BS.1770-4 / EBU Mode / Tech 3342), streaming.

One kernel serves the real-time path and offline files, so both give the same
numbers. State lives in the caller's arrays; nothing is allocated.

Signal flow per channel: K-weighting (two biquads), square, weight G_c, sum
over channels into the current sub-block. A sub-block is ~1 ms (SUB samples; D
of them make exactly 100 ms). Rings of sub-block energies give:
- momentary M: mean over the last 4D sub-blocks (400 ms), updated every sub-block;
- short-term S: mean over the last 30D sub-blocks (3 s), updated every sub-block;
- every 100 ms, the last 400 ms as a gating block for the integrated loudness,
  and S as a sample for the loudness range.
Every gating block's loudness also enters the 100 ms series, from which
dsp/meters.py collects them all and gates exactly. Integrated loudness and LRA
keep histograms too (0.01 LU bins, -70..+30 LUFS) of block counts and block
energies, bounded however long the meter runs: the fallback for a reader that
missed part of the series. Blocks are only counted when complete, so an
incomplete final block is dropped.

True peak: BS.1770 Annex 2, the 48-tap 4-phase interpolator (folded on its
symmetry, lanes.annex_peak), all channels, kept per 100 ms slot (for PSR and
the plot) and since reset. Correlation: exponential averages (CORR_TAU_S) of
L*R, L*L and R*R, moved once a sub-block by the sub-block's means (the live
figure), and their plain sums since reset (the whole programme's).
"""
import math

from numba import njit

from .common import JIT, dot, flush_denormals
from .lanes import annex_peak
from .layout import Layout
from .meter_lanes import meter_pair

MAX_CH = 6
RING = 3000              # sub-blocks in 3 s (D <= 100)
HIST_BINS = 10000        # 0.01 LU from -70 to +30
HIST_LO = -70.0
HIST_STEP = 0.01
SERIES = 256             # 100 ms rows of (M, S, true peak) for plots and the UI

# MT: configuration and coefficients (designed in dsp/meters.py)
_MT = Layout()
C, SUB, D, CORR_K = _MT.each(4)
G = _MT.take(MAX_CH)     # channel weights
K_LANES = _MT.take(20)   # K-weighting, shelf then high-pass, laid out for meter_lanes.meter_pair:
                         # [section][b0 b1 b2 a1 a2][lane] (2 x 5 x 2)
ANNEX = _MT.take(24)     # Annex 2 interpolator, folded (lanes.annex_folded)
NO_TP = _MT.take()       # 1: no true peak (a file's is measured on another thread: slot_peaks)
MT_SIZE = _MT.size

# A block is metered in passes of at most MAXN frames (LOUD_PASS without the
# true peak), a channel pair at a time: the pair's per-frame work in one vector
# loop (meter_lanes.meter_pair, which hands over the sums of each sub-block
# that ends), then its true peak four frames per vector (lanes.annex_peak),
# split where 100 ms slots end; then the completed sub-blocks in time order.
MAXN = 128
LOUD_PASS = 1024
HX_LEN = 2 * (11 + MAXN)
PAIR_WORDS = 24                    # meter_lanes.meter_pair's state (STATE_WORDS), rounded up

# MS: state
_MS = Layout()
S_PAIR = _MS.take(MAX_CH // 2 * PAIR_WORDS)  # per channel pair: K-filters and the sub-block's running sums
S_ACCN = _MS.take()                # frames of the current sub-block metered so far
S_RING = _MS.take(RING)            # sub-block energies (sum of weighted squares)
S_RPOS = _MS.take()
S_NSUB = _MS.take()                # sub-blocks completed since reset
S_SUMM, S_SUMS = _MS.each(2)       # running sums over the M and S windows
S_M, S_S = _MS.each(2)             # current momentary, short-term: mean energies
S_MAXM, S_MAXS = _MS.each(2)       # their maxima since reset (energies; -1 before the first)
S_HI_N = _MS.take(HIST_BINS)       # gating-block histogram: counts
S_HI_E = _MS.take(HIST_BINS)       #                          energies
S_HL_N = _MS.take(HIST_BINS)       # short-term (LRA) histogram: counts
S_HL_E = _MS.take(HIST_BINS)       #                             energies
S_HX = _MS.take(MAX_CH // 2 * HX_LEN)  # Annex 2 inputs: per channel pair, frame-major, 11 frames of history first
S_TP = _MS.take()                  # max true peak (linear) since reset
S_SP = _MS.take()                  # max sample peak (linear) since reset
S_TPSLOT = _MS.take()              # true peak of the current 100 ms slot
S_TPRING = _MS.take(30)            # the last 30 slots' true peaks (for PSR)
S_CORR = _MS.take(3)               # E[LR], E[LL], E[RR] (exponential, per sub-block)
S_CSUM = _MS.take(3)               # sums of LR, LL, RR since reset (the whole programme's correlation)
S_SERIES = _MS.take(3 * SERIES)    # SERIES rows of (M, S, true peak)
S_SERN = _MS.take()                # rows written since reset
S_FRAMES = _MS.take()              # frames measured since reset
# scratch, rewritten every pass: the energies of the sub-blocks it completes,
# a pair's six sums of each (meter_pair's out), and the true peaks of the
# pass's parts between 100 ms slot ends
S_SBE = _MS.take(LOUD_PASS)
S_SBO = _MS.take(6 * LOUD_PASS)
S_TPS = _MS.take(LOUD_PASS + 1)
MS_SIZE = _MS.size

NEG_INF = -math.inf


@njit(inline="always", **JIT)
def _lufs(energy_mean):
    if energy_mean <= 0.0:
        return NEG_INF
    return -0.691 + 10.0 * math.log10(energy_mean)


@njit(inline="always", **JIT)
def _hist_add(MS, base_n, base_e, lufs, energy):
    if lufs > HIST_LO:
        b = int((lufs - HIST_LO) / HIST_STEP)
        if b >= HIST_BINS:
            b = HIST_BINS - 1
        MS[base_n + b] += 1.0
        MS[base_e + b] += energy


@njit(**JIT)
def process(x, n, MT, MS):
    """Meter n frames of x (n, channels) float32 or float64."""
    step = MAXN if MT[NO_TP] == 0.0 else LOUD_PASS
    c0 = 0
    while c0 < n:
        m = min(step, n - c0)
        _pass(x, c0, m, MT, MS)
        c0 += m
    MS[S_FRAMES] += n


@njit(**JIT)
def _pass(x, c0, m, MT, MS):
    nch = int(MT[C])
    sub = int(MT[SUB])
    d = int(MT[D])
    hop = sub * d
    ck = MT[CORR_K]
    accn0 = int(MS[S_ACCN])
    nsub0 = int(MS[S_NSUB])
    ncomp = (accn0 + m) // sub                  # sub-blocks this pass completes
    SBE = MS[S_SBE:S_SBE + ncomp]
    SBO = MS[S_SBO:S_SBO + 6 * ncomp]
    for k in range(ncomp):
        SBE[k] = 0.0
    # where the pass's 100 ms slots end: after `first` frames, then every hop
    first = hop - ((nsub0 % d) * sub + accn0)
    nseg = 1 + (m - first + hop - 1) // hop if m > first else 1
    TPS = MS[S_TPS:S_TPS + nseg]
    for j in range(nseg):
        TPS[j] = 0.0
    sp = MS[S_SP]
    tp = MT[NO_TP] == 0.0
    coef = MT[K_LANES:K_LANES + 20]
    H = MT[ANNEX:ANNEX + 24]
    c = 0
    while c < nch:
        pair = c + 1 < nch                 # two channels' recurrences side by side
        corr = c == 0 and pair
        st = MS[S_PAIR + (c // 2) * PAIR_WORDS:S_PAIR + (c // 2 + 1) * PAIR_WORDS]
        hx = MS[S_HX + (c // 2) * HX_LEN:S_HX + (c // 2 + 1) * HX_LEN]
        g = MT[G + c:G + c + 2]
        # the per-frame work; the sums of each sub-block that ends come back in SBO
        sp = max(sp, meter_pair(x, c0, m, c, pair, corr, tp, coef, st, hx, g, sub - accn0, sub, SBO))
        for k in range(ncomp):
            SBE[k] += SBO[6 * k] + SBO[6 * k + 1]
        if corr:
            inv = 1.0 / sub
            for k in range(ncomp):
                _corr_step(MS, S_CORR, SBO[6 * k + 4] * inv, ck)
                _corr_step(MS, S_CORR + 1, SBO[6 * k + 2] * inv, ck)
                _corr_step(MS, S_CORR + 2, SBO[6 * k + 3] * inv, ck)
                MS[S_CSUM] += SBO[6 * k + 4]
                MS[S_CSUM + 1] += SBO[6 * k + 2]
                MS[S_CSUM + 2] += SBO[6 * k + 3]
        flush_denormals(st, 0, 16)
        if tp:
            # the true peak, in segments that end where 100 ms slots end
            start = 0
            for j in range(nseg):
                end = min(m, first + j * hop)
                TPS[j] = max(TPS[j], annex_peak(hx[2 * start:], end - start, H))
                start = end
            for t in range(22):
                hx[t] = hx[2 * m + t]
        c += 2
    MS[S_SP] = sp
    MS[S_ACCN] = (accn0 + m) % sub
    # the completed sub-blocks in time order, each 100 ms slot's true peak
    # entering the figures at the sub-block that ends it
    tp_slot = MS[S_TPSLOT]
    j = 0
    wm = 4 * d
    ws = 30 * d
    for k in range(ncomp):
        slot_ends = (nsub0 + k + 1) % d == 0
        if slot_ends:
            tp_slot = max(tp_slot, TPS[j])
            j += 1
        _sub_block_done(MS, SBE[k], sub, d, wm, ws, tp_slot)
        if slot_ends:
            tp_slot = 0.0
    if j < nseg:
        tp_slot = max(tp_slot, TPS[j])
    MS[S_TPSLOT] = tp_slot


@njit(inline="always", **JIT)
def _flushed(v):
    """0 for a value that has decayed into the slow denormal range."""
    return v if abs(v) > 1e-200 else 0.0


@njit(inline="always", **JIT)
def _corr_step(MS, k, mean, ck):
    """One sub-block of an exponential average (time constant CORR_TAU_S)."""
    MS[k] = _flushed(MS[k] + ck * (mean - MS[k]))


@njit(**JIT)
def _sub_block_done(MS, acc, sub, d, wm, ws, tp_slot):
    pos = int(MS[S_RPOS])
    nsub = int(MS[S_NSUB])
    # the values leaving the two windows
    old_m = MS[S_RING + (pos - wm) % ws] if nsub >= wm else 0.0
    old_s = MS[S_RING + pos] if nsub >= ws else 0.0
    MS[S_RING + pos] = acc
    pos += 1
    if pos == ws:
        pos = 0
    nsub += 1
    MS[S_RPOS] = pos
    MS[S_NSUB] = nsub
    sm = MS[S_SUMM] + acc - old_m
    ss = MS[S_SUMS] + acc - old_s
    if pos == 0:
        # re-sum exactly once per lap, so rounding never accumulates
        sm = 0.0
        ss = 0.0
        for j in range(ws):
            ss += MS[S_RING + j]
        for j in range(wm):
            sm += MS[S_RING + (ws - 1 - j)]
    sm = max(sm, 0.0)
    ss = max(ss, 0.0)
    MS[S_SUMM] = sm
    MS[S_SUMS] = ss
    # mean energies; LUFS only where a figure is kept (the log is the costly
    # part and is monotonic, so the maxima can be taken on energies)
    em = sm / (wm * sub)
    es = ss / (ws * sub)
    MS[S_M] = em
    MS[S_S] = es
    if nsub >= wm and em > MS[S_MAXM]:
        MS[S_MAXM] = em
    if nsub >= ws and es > MS[S_MAXS]:
        MS[S_MAXS] = es
    if nsub % d == 0:
        k = nsub // d                   # 100 ms steps since reset
        m = _lufs(em)
        s = _lufs(es)
        if nsub >= wm:
            _hist_add(MS, S_HI_N, S_HI_E, m, em)
        if nsub >= ws:
            _hist_add(MS, S_HL_N, S_HL_E, s, es)
        MS[S_TPRING + (k % 30)] = tp_slot
        row = int(MS[S_SERN]) % SERIES
        MS[S_SERIES + 3 * row] = m if nsub >= wm else NEG_INF
        MS[S_SERIES + 3 * row + 1] = s if nsub >= ws else NEG_INF
        MS[S_SERIES + 3 * row + 2] = tp_slot
        MS[S_SERN] += 1.0
        if tp_slot > MS[S_TP]:
            MS[S_TP] = tp_slot


SLOT_CHUNK = 4096                  # frames converted at a time by slot_peaks


@njit(**JIT)
def slot_peaks(xf, nch, start, end, hop, H, buf, out):
    """The true peak of each 100 ms slot (hop frames, counted from frame 0)
    that frames start..end touch, into out[slot - start // hop] (kept if
    larger). xf: the signal, nch channels interleaved (a C-contiguous block,
    flattened). The same interpolator and the same arithmetic as the
    streaming pass, so a file's figures can be split between threads and
    still equal streaming's bit for bit. buf: scratch of 2 * (11 + SLOT_CHUNK)."""
    if (nch < 1 or start < 0 or end * nch > xf.shape[0] or hop <= 0
            or buf.shape[0] < 2 * (11 + SLOT_CHUNK) or H.shape[0] < 24
            or (end > start and out.shape[0] < (end - 1) // hop - start // hop + 1)):
        raise ValueError("meters.slot_peaks: a range or an array is outside its layout")
    s0 = start // hop
    for c in range(0, nch, 2):
        pair = c + 1 < nch
        a = start
        while a < end:
            slot = a // hop
            b = min(end, (slot + 1) * hop, a + SLOT_CHUNK)
            for t in range(11):
                f = a - 11 + t
                buf[2 * t] = float(xf[f * nch + c]) if f >= 0 else 0.0
                buf[2 * t + 1] = float(xf[f * nch + c + 1]) if f >= 0 and pair else 0.0
            if nch == 2:
                # a stereo block is already the pair frame-major
                base = 2 * a
                for i in range(2 * (b - a)):
                    buf[22 + i] = xf[base + i]
            else:
                for i in range(b - a):
                    buf[22 + 2 * i] = float(xf[(a + i) * nch + c])
                    buf[23 + 2 * i] = float(xf[(a + i) * nch + c + 1]) if pair else 0.0
            p = annex_peak(buf, b - a, H)
            if p > out[slot - s0]:
                out[slot - s0] = p
            a = b


@njit(**JIT)
def oversampled_peak(x, H):
    """Largest |value| of x interpolated by H.shape[0] (polyphase branches, each
    reversed, H.shape[1] taps): x is one channel, already padded with taps-1
    zeros in front and taps-1 behind. Offline only (it reads the whole signal)."""
    phases, taps = H.shape
    peak = 0.0
    for i in range(x.shape[0] - taps + 1):
        w = x[i:i + taps]
        for p in range(phases):
            v = abs(dot(H[p], w))
            if v > peak:
                peak = v
    return peak
