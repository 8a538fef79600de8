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
Integrated loudness and LRA keep histograms (0.01 LU bins, -70..+30 LUFS) of
block counts and block energies, so memory is bounded however long the meter
runs; the gates and percentiles are computed from them off the audio thread.
Blocks are only counted when complete, so an incomplete final block is dropped.

True peak: BS.1770 Annex 2, the 48-tap 4-phase interpolator, all channels.
"""
import math

from numba import njit

from .common import FAST, JIT, dot, flush_denormals
from .lanes import annex_peak, k_weight2

MAX_CH = 6
RING = 3000              # sub-blocks in 3 s (D <= 100)
HIST_BINS = 10000        # 0.01 LU from -70 to +30
HIST_LO = -70.0
HIST_STEP = 0.01
SERIES = 256             # 100 ms rows of (M, S, true peak) for plots and the UI

# MT: configuration and coefficients (designed in dsp/meters.py)
C, SUB, D, CORR_K = 0, 1, 2, 3
G = 4                    # channel weights (MAX_CH)
K_LANES = G + MAX_CH     # K-weighting, shelf then high-pass, laid out for lanes.k_weight2:
                         # [section][b0 b1 b2 a1 a2][lane] (2 x 5 x 2)
ANNEX = K_LANES + 20     # 4 phases x 12, reversed
MT_SIZE = ANNEX + 48

# MS: state
S_KF = 0                           # K filter states: per channel pair 2 sections x 4 words x 2 lanes
S_ACC = S_KF + MAX_CH * 8          # energy of the current sub-block
S_ACCN = S_ACC + 1                 # samples in it
S_RING = S_ACCN + 1                # sub-block energies (sum of weighted squares)
S_RPOS = S_RING + RING
S_NSUB = S_RPOS + 1                # sub-blocks completed since reset
S_SUMM = S_NSUB + 1                # running sums over the M and S windows
S_SUMS = S_SUMM + 1
S_M = S_SUMS + 1                   # current momentary, short-term (LUFS)
S_S = S_M + 1
S_MAXM = S_S + 1
S_MAXS = S_MAXM + 1
S_HI_N = S_MAXS + 1                # gating-block histogram: counts
S_HI_E = S_HI_N + HIST_BINS        #                          energies
S_HL_N = S_HI_E + HIST_BINS        # short-term (LRA) histogram: counts
S_HL_E = S_HL_N + HIST_BINS        #                             energies
# A block is metered in passes of at most MAXN frames, stage by stage, a
# channel pair at a time: the pair's K-filters side by side in SIMD lanes and
# its true-peak interpolator four frames per vector (kernels/lanes.py), then
# the sub-block bookkeeping.
MAXN = 128
TPH_LEN = 11 + MAXN
S_TPH = S_HL_E + HIST_BINS         # Annex 2 inputs: MAX_CH linear buffers, 11 of history first
S_TP = S_TPH + MAX_CH * TPH_LEN    # max true peak (linear) since reset
S_SP = S_TP + 1                    # max sample peak (linear) since reset
S_TPSLOT = S_SP + 1                # true peak of the current 100 ms slot
S_TPRING = S_TPSLOT + 1            # the last 30 slots' true peaks (for PSR)
S_CORR = S_TPRING + 30             # E[LR], E[LL], E[RR] (exponential)
S_SERIES = S_CORR + 3              # SERIES x 3
S_SERN = S_SERIES + 3 * SERIES     # rows written since reset
S_FRAMES = S_SERN + 1              # frames measured since reset
# scratch, rewritten every pass: per frame the weighted K-energy of all
# channels and the largest interpolated magnitude, then a pair's samples
S_E = S_FRAMES + 1
S_P = S_E + MAXN
S_KX = S_P + MAXN                  # a channel pair's samples, frame-major, then K-weighted
MS_SIZE = S_KX + 2 * MAXN

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
    c0 = 0
    while c0 < n:
        m = min(MAXN, n - c0)
        _pass(x, c0, m, MT, MS)
        c0 += m
    MS[S_FRAMES] += n


@njit(nogil=True, cache=True, error_model="numpy", fastmath={"contract"})
def _correlation(kx, m, ck, cr):
    """The exponential averages E[LR], E[LL], E[RR] over a pass, one frame at
    a time, so the figures do not depend on how the signal was split into
    blocks (a weighted sum per pass would, in rounding; so would reassociation,
    hence contraction alone here). Written so that each average waits on one
    multiply-add per frame."""
    c_lr, c_ll, c_rr = cr
    kd = 1.0 - ck
    for i in range(m):
        v = kx[2 * i]
        r = kx[2 * i + 1]
        c_lr = kd * c_lr + ck * (v * r)
        c_ll = kd * c_ll + ck * (v * v)
        c_rr = kd * c_rr + ck * (r * r)
    return c_lr, c_ll, c_rr


@njit(**FAST)
def _pair(x, c0, m, c, pair, MT, MS, first, sp, cr):
    """Channels c and c+1 (or c alone) of the pass: their samples side by side
    into the K-filters (lanes.k_weight2: both channels' recurrences in one
    vector register), the weighted K-energy added to E, the Annex 2 history,
    the sample peak and (channels 0 and 1) the correlation sums."""
    E = MS[S_E:S_E + m]
    kx = MS[S_KX:S_KX + 2 * m]
    ha = MS[S_TPH + c * TPH_LEN:S_TPH + (c + 1) * TPH_LEN]
    hb = MS[S_TPH + (c + 1) * TPH_LEN:S_TPH + (c + 2) * TPH_LEN]
    if pair:
        for i in range(m):
            v = float(x[c0 + i, c])
            r = float(x[c0 + i, c + 1])
            kx[2 * i] = v
            kx[2 * i + 1] = r
            ha[11 + i] = v
            hb[11 + i] = r
    else:
        for i in range(m):
            v = float(x[c0 + i, c])
            kx[2 * i] = v
            kx[2 * i + 1] = 0.0
            ha[11 + i] = v
    for i in range(2 * m):
        sp = max(sp, abs(kx[i]))
    if first:
        cr = _correlation(kx, m, MT[CORR_K], cr)
    k_weight2(kx, kx, m, MT[K_LANES:K_LANES + 20], MS[S_KF + 8 * c:S_KF + 8 * c + 16])
    ga = MT[G + c]
    gb = MT[G + c + 1] if pair else 0.0
    for i in range(m):
        yl = kx[2 * i]
        yr = kx[2 * i + 1]
        E[i] += ga * yl * yl + gb * yr * yr
    return sp, cr


@njit(**JIT)
def _pass(x, c0, m, MT, MS):
    nch = int(MT[C])
    E = MS[S_E:S_E + m]
    P = MS[S_P:S_P + m]
    for i in range(m):
        E[i] = 0.0
        P[i] = 0.0
    sp = MS[S_SP]
    cr = (MS[S_CORR], MS[S_CORR + 1], MS[S_CORR + 2])
    c = 0
    while c < nch:
        pair = c + 1 < nch                 # two channels' recurrences side by side
        sp, cr = _pair(x, c0, m, c, pair, MT, MS, c == 0 and pair, sp, cr)
        ha = MS[S_TPH + c * TPH_LEN:S_TPH + (c + 1) * TPH_LEN]
        hb = MS[S_TPH + (c + 1) * TPH_LEN:S_TPH + (c + 2) * TPH_LEN] if pair else ha
        annex_peak(ha, hb, m, MT[ANNEX:ANNEX + 48], P)
        for t in range(11):
            ha[t] = ha[m + t]
            hb[t] = hb[m + t]
        c += 2
    MS[S_SP] = sp
    MS[S_CORR], MS[S_CORR + 1], MS[S_CORR + 2] = cr
    flush_denormals(MS, S_KF, 8 * (nch + (nch & 1)))
    # sub-blocks: energies summed and true peaks kept in time order
    sub = int(MT[SUB])
    d = int(MT[D])
    acc = MS[S_ACC]
    accn = int(MS[S_ACCN])
    tp_slot = MS[S_TPSLOT]
    i = 0
    while i < m:
        seg = min(m - i, sub - accn)
        for j in range(i, i + seg):
            acc += E[j]
            tp_slot = max(tp_slot, P[j])
        accn += seg
        i += seg
        if accn == sub:
            _sub_block_done(MS, acc, sub, d, 4 * d, 30 * d, tp_slot)
            if (int(MS[S_NSUB]) % d) == 0:
                tp_slot = 0.0
            acc = 0.0
            accn = 0
    MS[S_ACC] = acc
    MS[S_ACCN] = accn
    MS[S_TPSLOT] = tp_slot


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
    MS[S_SUMM] = max(sm, 0.0)
    MS[S_SUMS] = max(ss, 0.0)
    m = _lufs(MS[S_SUMM] / (wm * sub))
    s = _lufs(MS[S_SUMS] / (ws * sub))
    MS[S_M] = m
    MS[S_S] = s
    if nsub >= wm and m > MS[S_MAXM]:
        MS[S_MAXM] = m
    if nsub >= ws and s > MS[S_MAXS]:
        MS[S_MAXS] = s
    if nsub % d == 0:
        k = nsub // d                   # 100 ms steps since reset
        if nsub >= wm:
            eb = MS[S_SUMM] / (wm * sub)
            _hist_add(MS, S_HI_N, S_HI_E, _lufs(eb), eb)
        if nsub >= ws:
            es = MS[S_SUMS] / (ws * sub)
            _hist_add(MS, S_HL_N, S_HL_E, _lufs(es), es)
        MS[S_TPRING + (k % 30)] = tp_slot
        row = int(MS[S_SERN]) % SERIES
        MS[S_SERIES + 3 * row] = m if nsub >= wm else NEG_INF
        MS[S_SERIES + 3 * row + 1] = s if nsub >= ws else NEG_INF
        MS[S_SERIES + 3 * row + 2] = tp_slot
        MS[S_SERN] += 1.0
        if tp_slot > MS[S_TP]:
            MS[S_TP] = tp_slot


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
