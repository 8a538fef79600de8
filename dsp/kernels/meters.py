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

from .common import FAST, JIT, biquad_step, coefs, dot, fir, flush_denormals

MAX_CH = 6
RING = 3000              # sub-blocks in 3 s (D <= 100)
HIST_BINS = 10000        # 0.01 LU from -70 to +30
HIST_LO = -70.0
HIST_STEP = 0.01
SERIES = 256             # 100 ms rows of (M, S, true peak) for plots and the UI

# MT: configuration and coefficients (designed in dsp/meters.py)
C, SUB, D, CORR_K = 0, 1, 2, 3
G = 4                    # channel weights (MAX_CH)
K_SHELF = G + MAX_CH     # biquad
K_HP = K_SHELF + 5       # biquad
ANNEX = K_HP + 5         # 4 phases x 12, reversed
MT_SIZE = ANNEX + 48

# MS: state
S_KF = 0                           # K filter states: MAX_CH x 2 sections x 2
S_ACC = S_KF + MAX_CH * 4          # energy of the current sub-block
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
# A block is metered in passes of at most MAXN frames, stage by stage: each
# channel's K-filter (state in registers) and its true-peak interpolator (each
# phase over the pass at once, common.fir), then the sub-block bookkeeping.
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
# channels, the largest interpolated magnitude, and one phase's outputs
S_E = S_FRAMES + 1
S_P = S_E + MAXN
S_Q = S_P + MAXN
MS_SIZE = S_Q + MAXN

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


@njit(**FAST)
def _true_peak(MT, hb, P, Q, m):
    """The Annex 2 interpolator's four phases over the pass (each a FIR over
    all of it at once), P[i] kept at the largest magnitude of frame i."""
    for ph in range(4):
        fir(MT[ANNEX + 12 * ph:ANNEX + 12 * ph + 12], hb, Q, m)
        for i in range(m):
            P[i] = max(P[i], abs(Q[i]))


@njit(**JIT)
def _pass(x, c0, m, MT, MS):
    nch = int(MT[C])
    E = MS[S_E:S_E + m]
    P = MS[S_P:S_P + m]
    Q = MS[S_Q:S_Q + MAXN]
    for i in range(m):
        E[i] = 0.0
        P[i] = 0.0
    shelf = coefs(MT, K_SHELF)
    hp = coefs(MT, K_HP)
    sp = MS[S_SP]
    corr = nch >= 2
    ck = MT[CORR_K]
    c_lr = MS[S_CORR]
    c_ll = MS[S_CORR + 1]
    c_rr = MS[S_CORR + 2]
    c = 0
    while c < nch:
        pair = c + 1 < nch                 # two channels' recurrences side by side
        k = S_KF + 4 * c
        s1, s2, t1, t2 = MS[k], MS[k + 1], MS[k + 2], MS[k + 3]
        u1 = u2 = w1 = w2 = 0.0
        if pair:
            u1, u2, w1, w2 = MS[k + 4], MS[k + 5], MS[k + 6], MS[k + 7]
        ha = MS[S_TPH + c * TPH_LEN:S_TPH + (c + 1) * TPH_LEN]
        hb = MS[S_TPH + (c + 1) * TPH_LEN:S_TPH + (c + 2) * TPH_LEN] if pair else ha
        ga = MT[G + c]
        gb = MT[G + c + 1] if pair else 0.0
        first = c == 0 and corr           # channels 0 and 1: also the correlation
        for i in range(m):
            v = float(x[c0 + i, c])
            ha[11 + i] = v
            sp = max(sp, abs(v))
            y, s1, s2 = biquad_step(v, shelf, s1, s2)
            y, t1, t2 = biquad_step(y, hp, t1, t2)
            e = ga * y * y
            if pair:
                r = float(x[c0 + i, c + 1])
                hb[11 + i] = r
                sp = max(sp, abs(r))
                y, u1, u2 = biquad_step(r, shelf, u1, u2)
                y, w1, w2 = biquad_step(y, hp, w1, w2)
                e += gb * y * y
                if first:
                    c_lr += ck * (v * r - c_lr)
                    c_ll += ck * (v * v - c_ll)
                    c_rr += ck * (r * r - c_rr)
            E[i] += e
        MS[k], MS[k + 1], MS[k + 2], MS[k + 3] = s1, s2, t1, t2
        if pair:
            MS[k + 4], MS[k + 5], MS[k + 6], MS[k + 7] = u1, u2, w1, w2
        for j in range(2 if pair else 1):
            h = ha if j == 0 else hb
            _true_peak(MT, h, P, Q, m)
            for t in range(11):
                h[t] = h[m + t]
        c += 2 if pair else 1
    MS[S_SP] = sp
    MS[S_CORR] = c_lr
    MS[S_CORR + 1] = c_ll
    MS[S_CORR + 2] = c_rr
    flush_denormals(MS, S_KF, 4 * nch)
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
